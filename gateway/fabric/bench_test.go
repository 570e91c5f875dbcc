package fabric_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	ucx "github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
)

// BenchmarkFabricAnchoring anchors events for many vehicles from 64 concurrent producers on
// the real network: batched (many vehicles per transaction once transactions are in flight)
// against one transaction per event (64 in flight). Reported as anchored events per second.
func BenchmarkFabricAnchoring(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts []contract.Option
	}{
		{"batched", []contract.Option{contract.WithInflight(8)}},
		{"one-tx-per-event", []contract.Option{contract.WithInflight(64), contract.WithMaxBatch(1)}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			tr := benchNetwork(b)
			c := contract.New(tr, mode.opts...)
			ctx := context.Background()
			base := fmt.Sprintf("LB%07d", time.Now().UnixNano()%10000000)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			per := max(b.N/64, 1)
			for p := range 64 {
				wg.Go(func() {
					for i := range per {
						vin := fmt.Sprintf("%s%02d%06d", base, p, i)
						if _, err := c.RecordEvent(ctx, ucx.OrgCustoms, ucx.EventInput{VIN: vin, Type: "CLEARANCE_CHECKED", EvidenceHash: fmt.Sprintf("sha256:%064x", i), Actor: "bench"}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(per*64)/time.Since(start).Seconds(), "events/s")
		})
	}
}
