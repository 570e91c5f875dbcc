// Package gatewaytest holds the conformance suites every implementation of a gateway
// interface must pass: the embedded implementations on every `go test`, the real ones
// (Redis, Fabric) under UCX_INTEGRATION=1.
package gatewaytest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
)

// TestStore runs the Store conformance suite; newStore returns an empty store.
func TestStore(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()
	rec := func(id, vin string) *gateway.FilingRecord {
		return &gateway.FilingRecord{
			FilingID: id, VIN: vin, ExporterUSCC: "91350100M000100Y43", Decision: gateway.Accepted,
			RulesetVersion: "2026-01-01", DocHash: "sha256:" + fmt.Sprintf("%064x", len(id)+len(vin)),
			Results:   []gateway.RuleResult{{Code: "MAINT_NO_RECORDS", Severity: gateway.SeverityWarn, Pointers: []string{"/vehicle/vin"}, MessageEn: "en", MessageZh: "中文", Clause: "c"}},
			CreatedAt: time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC),
		}
	}

	t.Run("save and read back", func(t *testing.T) {
		s := newStore(t)
		r := rec("F1", "LSJA24U62JG269225")
		require.NoError(t, s.SaveFiling(ctx, r, []byte(`{"a":1}`), nil))
		got, err := s.Filing(ctx, "F1")
		require.NoError(t, err)
		assert.Equal(t, r, got)
		doc, err := s.Document(ctx, r.DocHash)
		require.NoError(t, err)
		assert.Equal(t, `{"a":1}`, string(doc))
		latest, err := s.LatestFiling(ctx, r.VIN)
		require.NoError(t, err)
		assert.Equal(t, "F1", latest.FilingID)
	})

	t.Run("absent things are ENOTFOUND", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Filing(ctx, "nope")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
		_, err = s.Document(ctx, "sha256:00")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
		_, err = s.LatestFiling(ctx, "LSJA24U62JG269225")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
		_, err = s.Idempotent(ctx, "k")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
	})

	t.Run("a refiling supersedes in the same write", func(t *testing.T) {
		s := newStore(t)
		vin := "LSJA24U62JG269225"
		require.NoError(t, s.SaveFiling(ctx, rec("F1", vin), []byte(`{}`), nil))
		second := rec("F2", vin)
		require.NoError(t, s.SaveFiling(ctx, second, []byte(`{}`), nil))
		assert.Equal(t, "F1", second.Supersedes)
		first, err := s.Filing(ctx, "F1")
		require.NoError(t, err)
		assert.Equal(t, "F2", first.SupersededBy)
		latest, err := s.LatestFiling(ctx, vin)
		require.NoError(t, err)
		assert.Equal(t, "F2", latest.FilingID)
	})

	t.Run("a filing ID is stored once", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.SaveFiling(ctx, rec("F1", "LSJA24U62JG269225"), []byte(`{}`), nil))
		err := s.SaveFiling(ctx, rec("F1", "LDC613P23A1305189"), []byte(`{}`), nil)
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err))
		_, err = s.LatestFiling(ctx, "LDC613P23A1305189")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err), "a refused write changes nothing")
	})

	t.Run("idempotent response stored with the filing", func(t *testing.T) {
		s := newStore(t)
		r := rec("F1", "LSJA24U62JG269225")
		require.NoError(t, s.SaveFiling(ctx, r, []byte(`{}`), &gateway.Idempotency{Key: "k1", RequestHash: "h1"}))
		resp, err := s.Idempotent(ctx, "k1")
		require.NoError(t, err)
		assert.Equal(t, gateway.IdempotentResponse{RequestHash: "h1", FilingID: r.FilingID}, *resp)

		err = s.SaveFiling(ctx, rec("F2", "LDC613P23A1305189"), []byte(`{}`), &gateway.Idempotency{Key: "k1", RequestHash: "h2"})
		assert.Equal(t, gateway.EIDEMPOTENCYREUSED, gateway.ErrorCode(err))
		_, err = s.Filing(ctx, "F2")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err), "a refused write changes nothing")
	})

	t.Run("concurrent filings of one VIN form one chain", func(t *testing.T) {
		s := newStore(t)
		vin := "LSJA24U62JG269225"
		const n = 16
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				assert.NoError(t, s.SaveFiling(ctx, rec(fmt.Sprintf("F%02d", i), vin), []byte(`{}`), nil))
			})
		}
		wg.Wait()
		// Walk back from the latest filing: every filing appears exactly once.
		latest, err := s.LatestFiling(ctx, vin)
		require.NoError(t, err)
		assert.Empty(t, latest.SupersededBy)
		seen := map[string]bool{}
		for cur := latest; ; {
			require.False(t, seen[cur.FilingID], "cycle at %s", cur.FilingID)
			seen[cur.FilingID] = true
			if cur.Supersedes == "" {
				break
			}
			prev, err := s.Filing(ctx, cur.Supersedes)
			require.NoError(t, err)
			assert.Equal(t, cur.FilingID, prev.SupersededBy)
			cur = prev
		}
		assert.Len(t, seen, n)
	})

	t.Run("saved filings queue for anchoring until done", func(t *testing.T) {
		s := newStore(t)
		for _, id := range []string{"F1", "F2", "F3"} {
			require.NoError(t, s.SaveFiling(ctx, rec(id, "LSJA24U62JG269225"), []byte(`{}`), nil))
		}
		pending, err := s.PendingAnchors(ctx, 2)
		require.NoError(t, err)
		require.Len(t, pending, 2)
		assert.Equal(t, "F1", pending[0].FilingID, "oldest first")
		require.NoError(t, s.AnchorDone(ctx, "F1", "F3"))
		pending, err = s.PendingAnchors(ctx, 10)
		require.NoError(t, err)
		require.Len(t, pending, 1)
		assert.Equal(t, "F2", pending[0].FilingID)
		require.NoError(t, s.AnchorDone(ctx, "F2", "F2", "unknown"), "idempotent")
	})

	t.Run("a verification code finds its filing", func(t *testing.T) {
		s := newStore(t)
		r := rec("F1", "LSJA24U62JG269225")
		r.VerificationCode = "7KQ4M2XD9PAB"
		require.NoError(t, s.SaveFiling(ctx, r, []byte(`{}`), nil))
		require.NoError(t, s.SaveFiling(ctx, rec("F2", "LDC613P23A1305189"), []byte(`{}`), nil))
		got, err := s.FilingByVerificationCode(ctx, "7KQ4M2XD9PAB")
		require.NoError(t, err)
		assert.Equal(t, "F1", got.FilingID)
		assert.Equal(t, "7KQ4M2XD9PAB", got.VerificationCode)
		_, err = s.FilingByVerificationCode(ctx, "AAAAAAAAAAAA")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
		_, err = s.FilingByVerificationCode(ctx, "")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
	})

	t.Run("signed reports: stored once, read back", func(t *testing.T) {
		s := newStore(t)
		r := &gateway.StoredReport{AgencyUSCC: "91110108MA01C8TQ26", ReportNo: "BJJC-2026-000123", VIN: "LSJA24U62JG269225",
			ReportHash: "sha256:" + fmt.Sprintf("%064x", 1), Report: []byte(`{"reportNo":"BJJC-2026-000123"}`),
			KeyID: "k1", Algorithm: "Ed25519", Signature: "c2ln", StoredAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
		require.NoError(t, s.SaveReport(ctx, r))
		require.NoError(t, s.SaveReport(ctx, r), "the same report again is fine")
		got, err := s.Report(ctx, r.AgencyUSCC, r.ReportNo)
		require.NoError(t, err)
		assert.Equal(t, r, got)
		other := *r
		other.ReportHash = "sha256:" + fmt.Sprintf("%064x", 2)
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(s.SaveReport(ctx, &other)))
		got, err = s.Report(ctx, r.AgencyUSCC, r.ReportNo)
		require.NoError(t, err)
		assert.Equal(t, r.ReportHash, got.ReportHash, "a refused report changes nothing")
		_, err = s.Report(ctx, r.AgencyUSCC, "nope")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
	})

	t.Run("clearances: a VIN is live on one declaration at a time", func(t *testing.T) {
		s := newStore(t)
		vin := "LSJA24U62JG269225"
		first := &gateway.ClearanceRecord{DeclarationNo: "020220260000000001", DeclarationHash: "sha256:" + fmt.Sprintf("%064x", 1),
			Declaration: []byte(`{"declarationNo":"020220260000000001"}`), CheckedAt: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC),
			Lines: []gateway.ClearanceLine{{VIN: vin, HSCode: "8703231990", Status: gateway.Clear, Reasons: []gateway.RuleResult{}, RiskLevel: "NORMAL"}}}
		require.NoError(t, s.SaveClearance(ctx, first))
		require.NoError(t, s.SaveClearance(ctx, first), "checking the same declaration again")
		got, err := s.Clearance(ctx, first.DeclarationNo)
		require.NoError(t, err)
		assert.Equal(t, first, got)
		no, err := s.LiveDeclaration(ctx, vin)
		require.NoError(t, err)
		assert.Equal(t, first.DeclarationNo, no)

		second := &gateway.ClearanceRecord{DeclarationNo: "020220260000000002", DeclarationHash: "sha256:" + fmt.Sprintf("%064x", 2),
			Declaration: []byte(`{}`), CheckedAt: first.CheckedAt,
			Lines: []gateway.ClearanceLine{{VIN: vin, HSCode: "8703231990", Status: gateway.Clear, Reasons: []gateway.RuleResult{}, RiskLevel: "NORMAL"}}}
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(s.SaveClearance(ctx, second)))
		_, err = s.Clearance(ctx, second.DeclarationNo)
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err), "a refused write changes nothing")

		// Refused on re-check: the VIN is free again.
		first.Lines[0].Status = gateway.Refuse
		require.NoError(t, s.SaveClearance(ctx, first))
		_, err = s.LiveDeclaration(ctx, vin)
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
		require.NoError(t, s.SaveClearance(ctx, second))
	})

	t.Run("deadlines: one per kind and VIN, listed in order", func(t *testing.T) {
		s := newStore(t)
		d := &gateway.Deadline{Kind: gateway.DeadlineTempPlate, VIN: "LSJA24U62JG269225", Agency: gateway.OrgPolice, Due: "2026-05-01", Status: gateway.DeadlineOpen, Since: "2026-03-02T00:00:00Z"}
		require.NoError(t, s.PutDeadline(ctx, d))
		require.NoError(t, s.PutDeadline(ctx, &gateway.Deadline{Kind: gateway.DeadlineDeregistration, VIN: "LDC613P23A1305189", Agency: gateway.OrgPolice, Due: "2026-07-01", Status: gateway.DeadlineOpen}))
		met := *d
		met.Status, met.Closed = gateway.DeadlineMet, "2026-04-01T00:00:00Z"
		require.NoError(t, s.PutDeadline(ctx, &met))
		all, err := s.Deadlines(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, gateway.DeadlineDeregistration, all[0].Kind)
		assert.Equal(t, met, *all[1], "the same kind and VIN is replaced")
	})

	t.Run("credit reports: one per verification code, read back byte for byte", func(t *testing.T) {
		s := newStore(t)
		r := &gateway.StoredCreditReport{VerificationCode: "7KQ4-M2XD-9PAB-3HTV", ReportNo: "UCX-CR-20261126-K7M2XD9P",
			ExporterUSCC: "91440300MA5GK7R3DQ", IssuedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
			Report: []byte(`{"reportNo":"UCX-CR-20261126-K7M2XD9P","credit":{"score":80,"weight":-2.5},"signature":"c2ln"}`)}
		require.NoError(t, s.SaveCreditReport(ctx, r))
		require.NoError(t, s.SaveCreditReport(ctx, r), "the same report again is fine")
		other := &gateway.StoredCreditReport{VerificationCode: "AAAA-BBBB-CCCC-DDDD", ReportNo: "UCX-CR-20261126-00000000",
			ExporterUSCC: r.ExporterUSCC, IssuedAt: r.IssuedAt, Report: []byte(`{"reportNo":"UCX-CR-20261126-00000000"}`)}
		require.NoError(t, s.SaveCreditReport(ctx, other))

		got, err := s.CreditReportByCode(ctx, r.VerificationCode)
		require.NoError(t, err)
		assert.Equal(t, r, got)

		clash := *other
		clash.VerificationCode = r.VerificationCode
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(s.SaveCreditReport(ctx, &clash)))
		got, err = s.CreditReportByCode(ctx, r.VerificationCode)
		require.NoError(t, err)
		assert.Equal(t, string(r.Report), string(got.Report), "a refused report changes nothing")

		_, err = s.CreditReportByCode(ctx, "ZZZZ-ZZZZ-ZZZZ-ZZZZ")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
		_, err = s.CreditReportByCode(ctx, "")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
	})

	t.Run("ready", func(t *testing.T) {
		assert.NoError(t, newStore(t).Ready(ctx))
	})
}
