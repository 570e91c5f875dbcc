package embedded_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
)

func openLedger(t testing.TB, dir string) *embedded.Ledger {
	t.Helper()
	cc, err := chaincode.New()
	require.NoError(t, err)
	l, err := embedded.OpenLedger(dir, cc)
	require.NoError(t, err)
	return l
}

func TestLedgerChainVerifiesAndSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	l := openLedger(t, dir)
	c := contract.New(l)
	ctx := context.Background()
	ev, err := c.RecordFiling(ctx, gateway.FilingAnchor{FilingID: "F1", VIN: "LSJA24U62JG269225", DocHash: "sha256:" + fmt.Sprintf("%064x", 1),
		Decision: gateway.Accepted, RulesetVersion: "2026-01-01", ExporterUSCC: "91350100M000100Y43", Actor: "exporter-1"})
	require.NoError(t, err)
	require.NotNil(t, ev.Receipt)
	assert.Equal(t, gateway.LedgerEmbedded, ev.Receipt.Ledger)
	assert.Equal(t, gateway.ReceiptCommitted, ev.Receipt.Status)

	_, err = c.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: "LSJA24U62JG269225", Type: "DECLARED", EvidenceHash: "sha256:" + fmt.Sprintf("%064x", 2), Actor: "customs-1"})
	require.NoError(t, err)
	_, err = c.RecordEvent(ctx, gateway.OrgPolice, gateway.EventInput{VIN: "LSJA24U62JG269225", Type: "DECLARED", EvidenceHash: "sha256:" + fmt.Sprintf("%064x", 2), Actor: "police-1"})
	assert.Equal(t, gateway.EFORBIDDEN, gateway.ErrorCode(err))

	p, err := c.Trace(ctx, "LSJA24U62JG269225", 0, "")
	require.NoError(t, err)
	require.Len(t, p.Events, 2)
	assert.Equal(t, "FILED", p.Events[0].Type)
	assert.Equal(t, "DECLARED", p.Events[1].Type)

	n, err := l.Verify()
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n, "the refused write made no block")
	proof, err := l.Proof(ctx, ev.Receipt.TxID)
	require.NoError(t, err)
	assert.Equal(t, *ev.Receipt, proof.Receipt)
	txHash, err := hex.DecodeString(proof.TxHash)
	require.NoError(t, err)
	assert.True(t, embedded.VerifyMerklePath([32]byte(txHash), proof.MerklePath, proof.DataHash), "the audit path leads to the block's Merkle root")
	blk, err := l.Block(proof.Receipt.Block)
	require.NoError(t, err)
	assert.Equal(t, blk.HeaderHash(), proof.BlockHash)
	require.NoError(t, l.Close())

	l = openLedger(t, dir)
	defer l.Close()
	n, err = l.Verify()
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n)
	p, err = contract.New(l).Trace(ctx, "LSJA24U62JG269225", 0, "")
	require.NoError(t, err)
	assert.Len(t, p.Events, 2)
}

func BenchmarkLedgerEvents64(b *testing.B) {
	l := openLedger(b, b.TempDir())
	defer l.Close()
	c := contract.New(l)
	ctx := context.Background()
	var n atomic.Int64
	b.Cleanup(func() { b.Logf("%+v", l.Stats()) })
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	per := b.N/64 + 1
	for p := range 64 {
		wg.Go(func() {
			for i := range per {
				vin := fmt.Sprintf("LSJA24U62JG%06d", (p*per+i)%1000)
				_, err := c.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: vin, Type: "DECLARED", EvidenceHash: "sha256:" + fmt.Sprintf("%064x", i), Actor: "customs-1"})
				if err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "events/s")
}

func TestLedgerConformance(t *testing.T) {
	gatewaytest.TestLedger(t, func(t *testing.T) gateway.Ledger {
		l := openLedger(t, t.TempDir())
		t.Cleanup(func() { l.Close() })
		return contract.New(l)
	})
}
