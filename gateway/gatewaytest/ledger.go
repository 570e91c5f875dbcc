package gatewaytest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
)

// uniqueVINs makes VINs no earlier run used, so the suite can run against a long-lived
// network: 17 characters of the VIN alphabet, distinct per call.
type uniqueVINs struct {
	mu   sync.Mutex
	base string
	n    int
}

func newUniqueVINs() *uniqueVINs {
	const alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
	t := time.Now().UnixNano()
	b := make([]byte, 7)
	for i := range b {
		b[i] = alphabet[t%int64(len(alphabet))]
		t /= int64(len(alphabet))
	}
	return &uniqueVINs{base: "LT" + string(b)}
}

func (u *uniqueVINs) next() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n++
	return fmt.Sprintf("%s%08d", u.base, u.n)
}

func hash(i int) string { return fmt.Sprintf("sha256:%064x", i) }

// feedTail is the position of the credit feed's last change (other tests write to it too).
func feedTail(ctx context.Context, t *testing.T, l gateway.Ledger) uint64 {
	var after uint64
	for {
		page, err := l.CreditChanges(ctx, after, 1000)
		require.NoError(t, err)
		if len(page) == 0 {
			return after
		}
		after = page[len(page)-1].Seq
	}
}

// TestLedger runs the Ledger conformance suite: the same inputs give the same traces,
// refusals and error codes on every implementation. newLedger returns a ready ledger; it may
// return the same long-lived ledger every time (the suite uses fresh VINs and IDs).
func TestLedger(t *testing.T, newLedger func(t *testing.T) gateway.Ledger) {
	ctx := context.Background()
	vins := newUniqueVINs()
	uniq := fmt.Sprintf("%x", time.Now().UnixNano())

	anchor := func(vin, id string) gateway.FilingAnchor {
		return gateway.FilingAnchor{FilingID: id, VIN: vin, DocHash: hash(1), Decision: gateway.Accepted,
			RulesetVersion: "2026-01-01", ExporterUSCC: "91350100M000100Y43", Actor: "exporter:91350100M000100Y43"}
	}

	t.Run("a filing and agency events form the vehicle's trace", func(t *testing.T) {
		l := newLedger(t)
		vin := vins.next()
		ev, err := l.RecordFiling(ctx, anchor(vin, "F"+uniq+"a"))
		require.NoError(t, err)
		assert.Equal(t, "FILED", ev.Type)
		assert.Equal(t, 0, ev.Seq)
		assert.Equal(t, gateway.MSPCommerce, ev.MSPID)
		require.NotNil(t, ev.Receipt)
		assert.Equal(t, l.Kind(), ev.Receipt.Ledger)
		assert.Equal(t, gateway.ReceiptCommitted, ev.Receipt.Status)
		assert.NotEmpty(t, ev.Receipt.TxID)

		steps := []struct{ org, typ string }{
			{gateway.OrgPolice, "TRANSFERRED_PENDING_EXPORT"}, {gateway.OrgCommerce, "INSPECTED"},
			{"licence", "LICENCE_ISSUED"},
			{gateway.OrgCustoms, "DECLARED"}, {gateway.OrgCustoms, "RELEASED"}, {gateway.OrgCustoms, "EXITED"},
			{gateway.OrgPolice, "DEREGISTERED"}, {gateway.OrgCommerce, "CLOSED"},
		}
		wantStatus := []string{"TRANSFERRED", "INSPECTED", "LICENSED", "DECLARED", "RELEASED", "EXITED", "DEREGISTERED", "CLOSED"}
		for i, s := range steps {
			if s.org == "licence" {
				_, _, err := l.IssueLicence(ctx, gateway.Licence{LicenceNo: fmt.Sprintf("26-JY-%06d", time.Now().UnixNano()%1000000), Status: "ISSUED",
					ExporterUSCC: "91350100M000100Y43", DestinationCountry: "KZ", IssueDate: "2026-03-01", ExpiryDate: "2026-08-31",
					Lines: []gateway.LicenceLine{{VIN: vin, Brand: "比亚迪", Model: "秦PLUS DM-i", RegistrationDate: "2022-05-01", HSCode: "8703609000"}}})
				require.NoError(t, err)
				continue
			}
			got, err := l.RecordEvent(ctx, s.org, gateway.EventInput{VIN: vin, Type: s.typ, EvidenceHash: hash(10 + i), Actor: s.org + "-officer"})
			require.NoError(t, err, s.typ)
			assert.Equal(t, i+1, got.Seq)
			assert.Equal(t, gateway.MSPID(s.org), got.MSPID)
			assert.Equal(t, wantStatus[i], got.Status, s.typ)
		}
		page, err := l.Trace(ctx, vin, 0, "")
		require.NoError(t, err)
		require.Len(t, page.Events, len(steps)+1)
		assert.Equal(t, len(steps)+1, page.Total)
		assert.Empty(t, page.NextBookmark)
		assert.Equal(t, "F"+uniq+"a", page.Events[0].FilingID)
		assert.Equal(t, *ev.Receipt, *page.Events[0].Receipt, "the trace shows the filing's receipt")
		for i, s := range steps {
			assert.Equal(t, s.typ, page.Events[i+1].Type)
			assert.Equal(t, wantStatus[i], page.Events[i+1].Status)
			require.NotNil(t, page.Events[i+1].Receipt)
		}
		_, err = l.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: vin, Type: "DECLARED", EvidenceHash: hash(99), Actor: "c"})
		assert.Equal(t, gateway.EILLEGALTRANSITION, gateway.ErrorCode(err), "a closed vehicle's journey is over")

		proof, err := l.Proof(ctx, ev.Receipt.TxID)
		require.NoError(t, err)
		assert.Equal(t, *ev.Receipt, proof.Receipt)
		assert.Equal(t, "VALID", proof.ValidationCode)
		_, err = l.Proof(ctx, fmt.Sprintf("%064x", 7))
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))

		got, err := l.Filing(ctx, "F"+uniq+"a")
		require.NoError(t, err)
		assert.Equal(t, hash(1), got.DocHash)
		assert.Equal(t, *ev.Receipt, *got.Receipt)
	})

	t.Run("a police hold freezes the journey until released", func(t *testing.T) {
		l := newLedger(t)
		vin := vins.next()
		post := func(org, typ string) (*gateway.TraceEvent, error) {
			return l.RecordEvent(ctx, org, gateway.EventInput{VIN: vin, Type: typ, EvidenceHash: hash(5), Actor: org + "-1"})
		}
		_, err := post(gateway.OrgPolice, "TRANSFERRED_PENDING_EXPORT")
		require.NoError(t, err)
		held, err := post(gateway.OrgPolice, "VEHICLE_HELD")
		require.NoError(t, err)
		assert.Equal(t, "HELD:TRANSFERRED", held.Status)
		_, err = post(gateway.OrgCommerce, "INSPECTED")
		assert.Equal(t, gateway.EILLEGALTRANSITION, gateway.ErrorCode(err), "no progress while held")
		_, err = post(gateway.OrgCustoms, "CLEARANCE_CHECKED")
		assert.NoError(t, err, "informational events still land")
		released, err := post(gateway.OrgPolice, "HOLD_RELEASED")
		require.NoError(t, err)
		assert.Equal(t, "TRANSFERRED", released.Status)
		ev, err := post(gateway.OrgCommerce, "INSPECTED")
		require.NoError(t, err)
		assert.Equal(t, "INSPECTED", ev.Status)
	})

	t.Run("paging walks the trace in order", func(t *testing.T) {
		l := newLedger(t)
		vin := vins.next()
		for i := range 5 {
			_, err := l.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: vin, Type: "CLEARANCE_CHECKED", EvidenceHash: hash(i), Actor: "customs-1"})
			require.NoError(t, err)
		}
		var seqs []int
		bookmark := ""
		for {
			p, err := l.Trace(ctx, vin, 2, bookmark)
			require.NoError(t, err)
			for _, e := range p.Events {
				seqs = append(seqs, e.Seq)
			}
			if p.NextBookmark == "" {
				break
			}
			bookmark = p.NextBookmark
		}
		assert.Equal(t, []int{0, 1, 2, 3, 4}, seqs)
	})

	t.Run("an unknown vehicle has an empty trace", func(t *testing.T) {
		p, err := newLedger(t).Trace(ctx, vins.next(), 0, "")
		require.NoError(t, err)
		assert.Empty(t, p.Events)
		assert.Zero(t, p.Total)
	})

	t.Run("refusals carry the same codes and change nothing", func(t *testing.T) {
		l := newLedger(t)
		vin := vins.next()
		cases := []struct {
			name string
			call func() error
			code string
		}{
			{"police cannot post customs events", func() error {
				_, err := l.RecordEvent(ctx, gateway.OrgPolice, gateway.EventInput{VIN: vin, Type: "DECLARED", EvidenceHash: hash(1), Actor: "p"})
				return err
			}, gateway.EFORBIDDEN},
			{"customs cannot post police events", func() error {
				_, err := l.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: vin, Type: "DEREGISTERED", EvidenceHash: hash(1), Actor: "c"})
				return err
			}, gateway.EFORBIDDEN},
			{"commerce cannot post customs events", func() error {
				_, err := l.RecordEvent(ctx, gateway.OrgCommerce, gateway.EventInput{VIN: vin, Type: "RELEASED", EvidenceHash: hash(1), Actor: "m"})
				return err
			}, gateway.EFORBIDDEN},
			{"no one posts FILED as an event", func() error {
				_, err := l.RecordEvent(ctx, gateway.OrgCommerce, gateway.EventInput{VIN: vin, Type: "FILED", EvidenceHash: hash(1), Actor: "m"})
				return err
			}, gateway.EINVALID},
			{"malformed VIN", func() error {
				_, err := l.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: "LSJA24U6OJG269225", Type: "DECLARED", EvidenceHash: hash(1), Actor: "c"})
				return err
			}, gateway.EINVALID},
			{"malformed evidence hash", func() error {
				_, err := l.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: vin, Type: "DECLARED", EvidenceHash: "md5:1", Actor: "c"})
				return err
			}, gateway.EINVALID},
			{"unknown decision", func() error {
				a := anchor(vin, "F"+uniq+"x")
				a.Decision = "MAYBE"
				_, err := l.RecordFiling(ctx, a)
				return err
			}, gateway.EINVALID},
			{"unknown filing", func() error {
				_, err := l.Filing(ctx, "F"+uniq+"none")
				return err
			}, gateway.ENOTFOUND},
			{"customs cannot declare a vehicle without a licence", func() error {
				_, err := l.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: vin, Type: "DECLARED", EvidenceHash: hash(1), Actor: "c"})
				return err
			}, gateway.EILLEGALTRANSITION},
			{"no inspection before the transfer pending export", func() error {
				_, err := l.RecordEvent(ctx, gateway.OrgCommerce, gateway.EventInput{VIN: vin, Type: "INSPECTED", EvidenceHash: hash(1), Actor: "m"})
				return err
			}, gateway.EILLEGALTRANSITION},
			{"unknown licence", func() error {
				_, err := l.Licence(ctx, "26-ZZ-999999")
				return err
			}, gateway.ENOTFOUND},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				assert.Equal(t, tc.code, gateway.ErrorCode(tc.call()))
			})
		}
		p, err := l.Trace(ctx, vin, 0, "")
		require.NoError(t, err)
		assert.Zero(t, p.Total, "refused writes changed nothing")
	})

	t.Run("a filing ID is anchored once", func(t *testing.T) {
		l := newLedger(t)
		vin := vins.next()
		_, err := l.RecordFiling(ctx, anchor(vin, "F"+uniq+"d"))
		require.NoError(t, err)
		_, err = l.RecordFiling(ctx, anchor(vin, "F"+uniq+"d"))
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err))
	})

	t.Run("credit events: recorded by their agency, read in order, refusals change nothing", func(t *testing.T) {
		l := newLedger(t)
		// A USCC no earlier run used (the chaincode checks the alphabet, not the check digit).
		uscc := "91" + strings.ToUpper(fmt.Sprintf("%016x", time.Now().UnixNano()))
		uscc = strings.NewReplacer("E", "R", "F", "T").Replace(uscc)
		talk := gateway.CreditEventInput{ExporterUSCC: uscc, Code: "E12", OccurredAt: "2026-02-20", Source: gateway.CreditManual,
			EvidenceHash: hash(7), Actor: "commerce-officer-1"}
		got, err := l.RecordCreditEvent(ctx, gateway.OrgCommerce, talk)
		require.NoError(t, err)
		assert.Equal(t, uscc+"-000000", got.ID)
		assert.Equal(t, "ACTIVE", got.Status)
		assert.Equal(t, gateway.MSPCommerce, got.MSPID)
		require.NotNil(t, got.Receipt)
		assert.Equal(t, gateway.ReceiptCommitted, got.Receipt.Status)

		_, err = l.RecordCreditEvent(ctx, gateway.OrgCustoms, talk)
		assert.Equal(t, gateway.EFORBIDDEN, gateway.ErrorCode(err), "a talk is commerce's to record")
		noEvidence := talk
		noEvidence.EvidenceHash = ""
		_, err = l.RecordCreditEvent(ctx, gateway.OrgCommerce, noEvidence)
		assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err), "a manual event needs evidence")
		unknown := talk
		unknown.Code = "E99"
		_, err = l.RecordCreditEvent(ctx, gateway.OrgCommerce, unknown)
		assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err))

		stolen := gateway.CreditEventInput{ExporterUSCC: uscc, Code: "E01", OccurredAt: "2026-02-21", Source: gateway.CreditManual,
			EvidenceHash: hash(8), Ref: vins.next(), Actor: "police-officer-1"}
		_, err = l.RecordCreditEvent(ctx, gateway.OrgPolice, stolen)
		require.NoError(t, err)

		file, err := l.CreditFile(ctx, uscc)
		require.NoError(t, err)
		events := file.Events
		require.Len(t, events, 2, "the refusals wrote nothing")
		assert.Equal(t, "E12", events[0].Code)
		assert.Equal(t, "E01", events[1].Code)
		assert.Equal(t, gateway.MSPPolice, events[1].MSPID)
		assert.Equal(t, gateway.Date("2026-02-21"), events[1].OccurredAt)

		none, err := l.CreditFile(ctx, "91350100M000100Y43")
		require.NoError(t, err)
		assert.NotNil(t, none.Events)
		assert.NotNil(t, none.Cases)
		_, err = l.CreditFile(ctx, "bad")
		assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err))
	})

	t.Run("audit anchors move forward only", func(t *testing.T) {
		l := newLedger(t)
		chainID := fmt.Sprintf("audit-%x", time.Now().UnixNano())
		_, err := l.AuditAnchor(ctx, chainID)
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
		a, err := l.AnchorAuditHead(ctx, chainID, 3, hash(21))
		require.NoError(t, err)
		assert.EqualValues(t, 3, a.Seq)
		require.NotNil(t, a.Receipt)
		_, err = l.AnchorAuditHead(ctx, chainID, 3, hash(21))
		require.NoError(t, err, "the same head again")
		_, err = l.AnchorAuditHead(ctx, chainID, 3, hash(22))
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err), "another hash at the anchored entry")
		_, err = l.AnchorAuditHead(ctx, chainID, 2, hash(23))
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err), "backwards")
		got, err := l.AuditAnchor(ctx, chainID)
		require.NoError(t, err)
		assert.Equal(t, hash(21), got.Hash)
	})

	t.Run("credit cases, suspension and the change feed", func(t *testing.T) {
		l := newLedger(t)
		uscc := "91" + strings.ToUpper(fmt.Sprintf("%016x", time.Now().UnixNano()+1))
		uscc = strings.NewReplacer("E", "R", "F", "T").Replace(uscc)
		tail := feedTail(ctx, t, l)
		ev, err := l.RecordCreditEvent(ctx, gateway.OrgCommerce, gateway.CreditEventInput{ExporterUSCC: uscc, Code: "E07",
			OccurredAt: "2026-02-20", Source: gateway.CreditManual, EvidenceHash: hash(9), Actor: "commerce-officer-1"})
		require.NoError(t, err)
		obj, err := l.FileCreditCase(ctx, gateway.CreditCaseInput{Kind: gateway.CaseObjection, EventID: ev.ID, EvidenceHash: hash(10), Actor: "exporter-rep"})
		require.NoError(t, err)
		assert.Equal(t, uscc+"-C000000", obj.ID)
		require.NotNil(t, obj.Receipt)
		_, err = l.FileCreditCase(ctx, gateway.CreditCaseInput{Kind: gateway.CaseObjection, EventID: ev.ID, EvidenceHash: hash(10), Actor: "exporter-rep"})
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err), "one open case per event")
		_, err = l.ExtendCreditCase(ctx, gateway.CaseExtensionInput{CaseID: obj.ID, Reason: "需补充材料 / more evidence needed", Actor: "reviewer-1"})
		require.NoError(t, err)
		_, err = l.DecideCreditCase(ctx, gateway.CaseDecisionInput{CaseID: obj.ID, Outcome: gateway.OutcomePartial, Points: 25,
			Reviewer: "reviewer-1", Reason: "too many", EvidenceHash: hash(11)})
		assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err), "PARTIAL within the code's points")
		dec, err := l.DecideCreditCase(ctx, gateway.CaseDecisionInput{CaseID: obj.ID, Outcome: gateway.OutcomePartial, Points: 8,
			Reviewer: "reviewer-1", Reason: "部分属实 / partly substantiated", EvidenceHash: hash(11)})
		require.NoError(t, err)
		assert.Equal(t, gateway.CaseDecided, dec.Status)
		st, err := l.SetExporterStatus(ctx, gateway.ExporterStatusInput{ExporterUSCC: uscc, Status: gateway.ExporterSuspended,
			Reason: "拒不整改 / refused to rectify", EvidenceHash: hash(12), Actor: "commerce-officer-1"})
		require.NoError(t, err)
		assert.Equal(t, gateway.ExporterSuspended, st.Status)

		file, err := l.CreditFile(ctx, uscc)
		require.NoError(t, err)
		require.Len(t, file.Events, 1)
		assert.Equal(t, "ACTIVE", file.Events[0].Status)
		assert.Equal(t, 8, file.Events[0].Points)
		require.Len(t, file.Cases, 1)
		require.NotNil(t, file.Cases[0].Extension)
		require.NotNil(t, file.Cases[0].Decision)
		require.NotNil(t, file.Status)
		assert.Equal(t, gateway.ExporterSuspended, file.Status.Status)

		changes, err := l.CreditChanges(ctx, tail, 1000)
		require.NoError(t, err)
		var kinds []string
		for i, c := range changes {
			if i > 0 {
				assert.Equal(t, changes[i-1].Seq+1, c.Seq, "no gaps")
			}
			if c.ExporterUSCC == uscc {
				kinds = append(kinds, c.Kind)
			}
		}
		assert.Equal(t, []string{gateway.ChangeEventRecorded, gateway.ChangeObjectionFiled, gateway.ChangeCaseExtended,
			gateway.ChangeCaseDecided, gateway.ChangeExporterSuspended}, kinds)
		_, err = l.CreditChanges(ctx, 0, 0)
		assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err))
	})

	t.Run("licences: issue, look up, revoke", func(t *testing.T) {
		l := newLedger(t)
		vin := vins.next()
		no := fmt.Sprintf("26-UC-%06d", time.Now().UnixNano()%1000000)
		lic := gateway.Licence{LicenceNo: no, Status: "ISSUED", ExporterUSCC: "91350100M000100Y43", DestinationCountry: "KZ",
			IssueDate: "2026-03-01", ExpiryDate: "2026-08-31",
			Lines: []gateway.LicenceLine{{VIN: vin, Brand: "比亚迪", Model: "秦PLUS DM-i", RegistrationDate: "2022-05-01", HSCode: "8703609000"}}}
		got, receipt, err := l.IssueLicence(ctx, lic)
		require.NoError(t, err)
		assert.Equal(t, "ISSUED", got.Status)
		assert.Equal(t, gateway.ReceiptCommitted, receipt.Status)
		_, _, err = l.IssueLicence(ctx, lic)
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err))

		read, err := l.Licence(ctx, no)
		require.NoError(t, err)
		assert.Equal(t, vin, read.Lines[0].VIN)

		revoked, _, err := l.RevokeLicence(ctx, no, "EXPORTER_REQUEST", "commerce-officer")
		require.NoError(t, err)
		assert.Equal(t, "REVOKED", revoked.Status)
		_, _, err = l.RevokeLicence(ctx, no, "EXPORTER_REQUEST", "commerce-officer")
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err))

		p, err := l.Trace(ctx, vin, 0, "")
		require.NoError(t, err)
		require.Len(t, p.Events, 2)
		assert.Equal(t, "LICENCE_ISSUED", p.Events[0].Type)
		assert.Equal(t, "LICENCE_REVOKED", p.Events[1].Type)
	})

	t.Run("concurrent events for many vehicles all land, in order per vehicle", func(t *testing.T) {
		l := newLedger(t)
		const vehicles, each = 20, 3
		vs := make([]string, vehicles)
		for i := range vs {
			vs[i] = vins.next()
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		returned := map[string][]gateway.TraceEvent{}
		for _, vin := range vs {
			wg.Go(func() {
				for i := range each {
					ev, err := l.RecordEvent(ctx, gateway.OrgCustoms, gateway.EventInput{VIN: vin, Type: "CLEARANCE_CHECKED", EvidenceHash: hash(i), Actor: "customs-1"})
					if assert.NoError(t, err) {
						mu.Lock()
						returned[vin] = append(returned[vin], *ev)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		for _, vin := range vs {
			p, err := l.Trace(ctx, vin, 0, "")
			require.NoError(t, err)
			require.Len(t, p.Events, each)
			for i, e := range p.Events {
				assert.Equal(t, i, e.Seq)
				assert.Equal(t, hash(i), e.EvidenceHash, "a vehicle's events keep their order")
				assert.Equal(t, e, returned[vin][i], "what a write answers is what the trace holds (batched or not)")
			}
		}
	})

	t.Run("ready", func(t *testing.T) {
		assert.NoError(t, newLedger(t).Ready(ctx))
	})
}
