package fabric_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	ucx "github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
)

// BenchmarkFabricAnchoring anchors a backlog of events for many vehicles on the real network
// under high traffic, as the anchoring worker does after a burst of filings: up to 1,024
// events outstanding at once. Batched (many vehicles per transaction, 8 transactions in
// flight per organisation) against one transaction per event (64 in flight). Reported as
// anchored events per second.
func BenchmarkFabricAnchoring(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts []contract.Option
	}{
		{"batched", []contract.Option{contract.WithInflight(benchInflight())}},
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
			const producers = 1024
			per := max(b.N/producers, 1)
			for p := range producers {
				wg.Go(func() {
					for i := range per {
						vin := fmt.Sprintf("%s%04d%04d", base, p, i)
						if _, err := c.RecordEvent(ctx, ucx.OrgCustoms, ucx.EventInput{VIN: vin, Type: "CLEARANCE_CHECKED", EvidenceHash: fmt.Sprintf("sha256:%064x", i), Actor: "bench"}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(per*producers)/time.Since(start).Seconds(), "events/s")
		})
	}
}

func benchInflight() int {
	if n, err := strconv.Atoi(os.Getenv("UCX_BENCH_INFLIGHT")); err == nil {
		return n
	}
	return 8
}
