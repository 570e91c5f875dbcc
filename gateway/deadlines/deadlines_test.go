package deadlines_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
	"github.com/ucx-export/ucx/gateway/deadlines"
	"github.com/ucx-export/ucx/gateway/embedded"
)

// TestDeregistrationOverdueCharges: an overdue deregistration records credit event E14
// against the exporter of the vehicle's accepted filing, once per vehicle, even when the
// worker is interrupted and runs the deadline again.
func TestDeregistrationOverdueCharges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := embedded.Open(dir)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	cc, err := chaincode.New()
	require.NoError(t, err)
	ledger, err := embedded.OpenLedger(dir, cc)
	require.NoError(t, err)
	t.Cleanup(func() { ledger.Close() })
	w := deadlines.Watch(contract.New(ledger), store, slog.New(slog.NewTextHandler(io.Discard, nil)))

	const vin, uscc = "LSJA24U62JG269225", "91440300MA5GK7R3DQ"
	_, err = w.RecordFiling(ctx, gateway.FilingAnchor{FilingID: "F-1", VIN: vin, DocHash: "sha256:" + sixtyFour('1'),
		Decision: gateway.Accepted, RulesetVersion: "2026-01-01", ExporterUSCC: uscc, Actor: "exporter-1"})
	require.NoError(t, err)
	overdue := &gateway.Deadline{Kind: gateway.DeadlineDeregistration, VIN: vin, Agency: gateway.OrgPolice,
		Due: "2026-09-01", Status: gateway.DeadlineOpen, Since: "2026-07-01T00:00:00Z"}
	require.NoError(t, store.PutDeadline(ctx, overdue))

	n, err := w.RecordPassed(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	file, err := w.CreditFile(ctx, uscc)
	require.NoError(t, err)
	events := file.Events
	require.Len(t, events, 1)
	assert.Equal(t, "E14", events[0].Code)
	assert.Equal(t, vin, events[0].Ref)
	assert.Equal(t, gateway.Date("2026-09-01"), events[0].OccurredAt)
	assert.Equal(t, gateway.CreditAutomatic, events[0].Source)

	// Interrupted before the deadline was marked: it runs again, and charges nothing more.
	require.NoError(t, store.PutDeadline(ctx, overdue))
	_, err = w.RecordPassed(ctx)
	require.NoError(t, err)
	file, err = w.CreditFile(ctx, uscc)
	require.NoError(t, err)
	assert.Len(t, file.Events, 1, "once per vehicle")

	// A vehicle without an accepted filing has no exporter to charge; the deadline still passes.
	other := *overdue
	other.VIN = "LGXCE4CB8N4107254"
	require.NoError(t, store.PutDeadline(ctx, &other))
	n, err = w.RecordPassed(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func sixtyFour(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}
