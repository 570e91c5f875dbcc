package embedded_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
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

	_, err = c.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: "LSJA24U62JG269225", Type: "CLEARANCE_CHECKED", EvidenceHash: "sha256:" + fmt.Sprintf("%064x", 2), Actor: "customs-1"})
	require.NoError(t, err)
	_, err = c.RecordEvent(ctx, gateway.OrgPolice, gateway.EventInput{VIN: "LSJA24U62JG269225", Type: "DECLARED", EvidenceHash: "sha256:" + fmt.Sprintf("%064x", 2), Actor: "police-1"})
	assert.Equal(t, gateway.EFORBIDDEN, gateway.ErrorCode(err))

	p, err := c.Trace(ctx, "LSJA24U62JG269225", 0, "")
	require.NoError(t, err)
	require.Len(t, p.Events, 2)
	assert.Equal(t, "FILED", p.Events[0].Type)
	assert.Equal(t, "CLEARANCE_CHECKED", p.Events[1].Type)

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
	c := contract.New(l, contract.WithInflight(embedded.Inflight)) // as cmd/exportgw wires it
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
				_, err := c.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: vin, Type: "CLEARANCE_CHECKED", EvidenceHash: "sha256:" + fmt.Sprintf("%064x", i), Actor: "customs-1"})
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

// TestLedgerRecoversFromTornTailAndLostState: a crash mid-append leaves a torn record at the
// end of the block log, and the world state (not fsync'd on its own) may be lost entirely;
// reopening cuts the torn record, rebuilds the state from the log, and the chain verifies
// with every acknowledged event.
func TestLedgerRecoversFromTornTailAndLostState(t *testing.T) {
	dir := t.TempDir()
	l := openLedger(t, dir)
	c := contract.New(l)
	ctx := context.Background()
	for i := range 5 {
		_, err := c.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: "LSJA24U62JG269225", Type: "CLEARANCE_CHECKED", EvidenceHash: fmt.Sprintf("sha256:%064x", i), Actor: "c"})
		require.NoError(t, err)
	}
	h, err := l.Height()
	require.NoError(t, err)
	require.NoError(t, l.Close())

	// A torn record: a header promising more bytes than follow, where the zeros were.
	f, err := os.OpenFile(filepath.Join(dir, embedded.BlockLogFile), os.O_RDWR, 0)
	require.NoError(t, err)
	st, err := f.Stat()
	require.NoError(t, err)
	end := int64(0)
	buf := make([]byte, st.Size())
	_, err = f.ReadAt(buf, 0)
	require.NoError(t, err)
	for end < int64(len(buf)) { // walk the records to the zero header that ends them
		n := int64(buf[end])<<24 | int64(buf[end+1])<<16 | int64(buf[end+2])<<8 | int64(buf[end+3])
		if n == 0 {
			break
		}
		end += 8 + n
	}
	_, err = f.WriteAt([]byte{0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef, '{', '"', 'n'}, end)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	// And the world state is gone.
	require.NoError(t, os.Remove(filepath.Join(dir, embedded.StateFile)))

	l = openLedger(t, dir)
	defer l.Close()
	n, err := l.Verify()
	require.NoError(t, err)
	assert.Equal(t, h, n, "every acknowledged block survives; the torn one is cut")
	p, err := contract.New(l).Trace(ctx, "LSJA24U62JG269225", 0, "")
	require.NoError(t, err)
	assert.Len(t, p.Events, 5)
	_, err = contract.New(l).RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: "LSJA24U62JG269225", Type: "CLEARANCE_CHECKED", EvidenceHash: fmt.Sprintf("sha256:%064x", 9), Actor: "c"})
	require.NoError(t, err, "the ledger goes on after the cut")
	n, err = l.Verify()
	require.NoError(t, err)
	assert.Equal(t, h+1, n)
}
