package chaincode_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
)

// caseHarness is a harness with one recorded event of code, returning its ID.
func caseHarness(t *testing.T, code, msp string) (*harness, string) {
	h := newHarness(t)
	e := decode[chaincode.CreditEvent](t, h.ok(msp, "RecordCreditEvent", creditJSON(code, chaincode.SourceManual, hash("minutes"))))
	return h, e.ID
}

func caseJSON(t *testing.T, kind, eventID string) string {
	in := chaincode.CreditCaseInput{Kind: kind, EventID: eventID, EvidenceHash: hash("evidence"), Actor: "exporter:rep-1"}
	if kind == chaincode.CaseRepair {
		in.CommitmentHash = hash("commitment")
	}
	return toJSON(t, in)
}

func decisionJSON(t *testing.T, caseID, outcome string, points int) string {
	return toJSON(t, chaincode.CaseDecisionInput{CaseID: caseID, Outcome: outcome, Points: points, Reviewer: "reviewer-7",
		Reason: "核查属实 / substantiated", EvidenceHash: hash("review")})
}

func creditFile(t *testing.T, h *harness) chaincode.CreditFile {
	return decode[chaincode.CreditFile](t, h.ok(customs, "GetCreditFile", uscc1))
}

// TestObjection: an objection disputes the event; one case per event; the decision sets the
// event's status (UPHELD revokes, REJECTED restores, PARTIAL lowers the points), and every
// step is in the feed.
func TestObjection(t *testing.T) {
	t.Parallel()
	for outcome, want := range map[string]struct {
		status string
		points int
	}{
		chaincode.OutcomeUpheld:   {chaincode.EventRevoked, 0},
		chaincode.OutcomeRejected: {chaincode.EventActive, 0},
		chaincode.OutcomePartial:  {chaincode.EventActive, 4},
	} {
		h, eventID := caseHarness(t, "E12", commerce)
		cs := decode[chaincode.CreditCase](t, h.ok(commerce, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, eventID)))
		assert.Equal(t, uscc1+"-C000000", cs.ID)
		assert.Equal(t, chaincode.CaseOpen, cs.Status)
		assert.Equal(t, "E12", cs.EventCode)
		assert.Equal(t, chaincode.EventDisputed, creditFile(t, h).Events[0].Status)

		before := h.snapshot()
		msg := h.fails(chaincode.CodeConflict, commerce, "FileCreditCase", caseJSON(t, chaincode.CaseRepair, eventID))
		assert.Contains(t, msg, cs.ID, "one open case per event")
		assert.Equal(t, before, h.snapshot())

		points := 0
		if outcome == chaincode.OutcomePartial {
			points = 4
		}
		got := decode[chaincode.CreditCase](t, h.ok(commerce, "DecideCreditCase", decisionJSON(t, cs.ID, outcome, points)))
		require.NotNil(t, got.Decision, outcome)
		assert.Equal(t, chaincode.CaseDecided, got.Status, outcome)
		assert.Equal(t, "reviewer-7", got.Decision.Reviewer, outcome)
		assert.Equal(t, want.status, got.Decision.EventStatus, outcome)
		f := creditFile(t, h)
		assert.Equal(t, want.status, f.Events[0].Status, outcome)
		assert.Equal(t, want.points, f.Events[0].Points, outcome)
		require.Len(t, f.Cases, 1)
		assert.Equal(t, got, *f.Cases[0], outcome)

		h.fails(chaincode.CodeConflict, commerce, "DecideCreditCase", decisionJSON(t, cs.ID, chaincode.OutcomeUpheld, 0))
		changes := decode[[]chaincode.CreditChange](t, h.ok(police, "GetCreditChanges", "0", "10"))
		var kinds []string
		for i, c := range changes {
			kinds = append(kinds, c.Kind)
			assert.Equal(t, i+1, c.Seq)
			assert.Equal(t, uscc1, c.ExporterUSCC)
		}
		assert.Equal(t, []string{chaincode.ChangeEventRecorded, chaincode.ChangeObjectionFiled, chaincode.ChangeCaseDecided}, kinds, outcome)
		assert.Equal(t, cs.ID, changes[2].Ref)
		if want.status == chaincode.EventActive {
			// Decided, so a new case about the same event may be filed (a repair, later).
			h.ok(commerce, "FileCreditCase", caseJSON(t, chaincode.CaseRepair, eventID))
		}
	}
}

// TestRepair: a repair needs a credit commitment; UPHELD marks the event REPAIRED; PARTIAL
// is not a repair outcome; bonuses and disputed events are not repaired.
func TestRepair(t *testing.T) {
	t.Parallel()
	h, eventID := caseHarness(t, "E01", police)
	noCommitment := toJSON(t, chaincode.CreditCaseInput{Kind: chaincode.CaseRepair, EventID: eventID, EvidenceHash: hash("e"), Actor: "rep"})
	assert.Contains(t, h.fails(chaincode.CodeInvalidArgument, commerce, "FileCreditCase", noCommitment), "commitmentHash")
	cs := decode[chaincode.CreditCase](t, h.ok(commerce, "FileCreditCase", caseJSON(t, chaincode.CaseRepair, eventID)))
	assert.Equal(t, chaincode.EventActive, creditFile(t, h).Events[0].Status, "a repair application does not dispute the event")
	assert.Contains(t, h.fails(chaincode.CodeInvalidArgument, commerce, "DecideCreditCase", decisionJSON(t, cs.ID, chaincode.OutcomePartial, 1)), "PARTIAL")
	h.ok(commerce, "DecideCreditCase", decisionJSON(t, cs.ID, chaincode.OutcomeUpheld, 0))
	assert.Equal(t, chaincode.EventRepaired, creditFile(t, h).Events[0].Status)
	assert.Contains(t, h.fails(chaincode.CodeConflict, commerce, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, eventID)), "REPAIRED")

	h2, bonus := caseHarness(t, "B04", commerce)
	assert.Contains(t, h2.fails(chaincode.CodeInvalidArgument, commerce, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, bonus)), "bonus")

	h3, direct := caseHarness(t, "E01", police)
	obj := decode[chaincode.CreditCase](t, h3.ok(commerce, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, direct)))
	assert.Contains(t, h3.fails(chaincode.CodeConflict, commerce, "FileCreditCase", caseJSON(t, chaincode.CaseRepair, direct)), "still open")
	assert.Contains(t, h3.fails(chaincode.CodeInvalidArgument, commerce, "DecideCreditCase", decisionJSON(t, obj.ID, chaincode.OutcomePartial, 3)), "direct-D")
}

// TestCaseRefusals: each refusal is coded and writes nothing.
func TestCaseRefusals(t *testing.T) {
	t.Parallel()
	h, eventID := caseHarness(t, "E12", commerce)
	cs := decode[chaincode.CreditCase](t, h.ok(commerce, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, eventID)))
	before := h.snapshot()
	for name, tc := range map[string]struct {
		msp, fn, arg, code, want string
	}{
		"customs files":      {customs, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, eventID), chaincode.CodeForbidden, "CommerceMSP"},
		"police decides":     {police, "DecideCreditCase", decisionJSON(t, cs.ID, chaincode.OutcomeUpheld, 0), chaincode.CodeForbidden, "CommerceMSP"},
		"unknown event":      {commerce, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, uscc1+"-000009"), chaincode.CodeNotFound, "not found"},
		"bad event id":       {commerce, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, uscc1+"-12"), chaincode.CodeInvalidArgument, "eventId"},
		"bad kind":           {commerce, "FileCreditCase", caseJSON(t, "APPEAL", eventID), chaincode.CodeInvalidArgument, "kind"},
		"unknown case":       {commerce, "DecideCreditCase", decisionJSON(t, uscc1+"-C000001", chaincode.OutcomeUpheld, 0), chaincode.CodeNotFound, "not found"},
		"bad case id":        {commerce, "DecideCreditCase", decisionJSON(t, uscc1+"-000000", chaincode.OutcomeUpheld, 0), chaincode.CodeInvalidArgument, "caseId"},
		"bad outcome":        {commerce, "DecideCreditCase", decisionJSON(t, cs.ID, "MAYBE", 0), chaincode.CodeInvalidArgument, "outcome"},
		"points not partial": {commerce, "DecideCreditCase", decisionJSON(t, cs.ID, chaincode.OutcomeUpheld, 2), chaincode.CodeInvalidArgument, "points"},
		"partial too high":   {commerce, "DecideCreditCase", decisionJSON(t, cs.ID, chaincode.OutcomePartial, 10), chaincode.CodeInvalidArgument, "1 to 9"},
		"partial zero":       {commerce, "DecideCreditCase", decisionJSON(t, cs.ID, chaincode.OutcomePartial, 0), chaincode.CodeInvalidArgument, "points"},
		"no reason": {commerce, "DecideCreditCase", toJSON(t, chaincode.CaseDecisionInput{CaseID: cs.ID, Outcome: chaincode.OutcomeUpheld,
			Reviewer: "r", EvidenceHash: hash("x")}), chaincode.CodeInvalidArgument, "reason"},
		"control in reason": {commerce, "ExtendCreditCase", toJSON(t, chaincode.CaseExtensionInput{CaseID: cs.ID, Reason: "a\x00b", Actor: "r"}),
			chaincode.CodeInvalidArgument, "reason"},
		"unknown member": {commerce, "DecideCreditCase", `{"caseId":"x","grade":"A"}`, chaincode.CodeInvalidArgument, "unknown field"},
		"status twice": {commerce, "SetExporterStatus", toJSON(t, chaincode.ExporterStatusInput{ExporterUSCC: uscc1, Status: chaincode.ExporterActive,
			Reason: "复核 / review", EvidenceHash: hash("x"), Actor: "r"}), chaincode.CodeConflict, "already ACTIVE"},
		"customs suspends": {customs, "SetExporterStatus", toJSON(t, chaincode.ExporterStatusInput{ExporterUSCC: uscc1, Status: chaincode.ExporterSuspended,
			Reason: "x", EvidenceHash: hash("x"), Actor: "r"}), chaincode.CodeForbidden, "CommerceMSP"},
		"bad status": {commerce, "SetExporterStatus", toJSON(t, chaincode.ExporterStatusInput{ExporterUSCC: uscc1, Status: "BANNED",
			Reason: "x", EvidenceHash: hash("x"), Actor: "r"}), chaincode.CodeInvalidArgument, "status"},
	} {
		msg := h.fails(tc.code, tc.msp, tc.fn, tc.arg)
		assert.Contains(t, msg, tc.want, name)
	}
	assert.Equal(t, before, h.snapshot(), "nothing written")
	for _, args := range [][]string{{"-1", "10"}, {"x", "10"}, {"0", "0"}, {"0", "1001"}} {
		h.fails(chaincode.CodeInvalidArgument, commerce, "GetCreditChanges", args...)
	}
	h.fails(chaincode.CodeInvalidArgument, commerce, "GetCreditFile", "nope")
}

// TestExtension: a case's time limit is extended once, with a reason.
func TestExtension(t *testing.T) {
	t.Parallel()
	h, eventID := caseHarness(t, "E07", commerce)
	cs := decode[chaincode.CreditCase](t, h.ok(commerce, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, eventID)))
	ext := toJSON(t, chaincode.CaseExtensionInput{CaseID: cs.ID, Reason: "需调取海关记录 / customs records requested", Actor: "reviewer-7"})
	got := decode[chaincode.CreditCase](t, h.ok(commerce, "ExtendCreditCase", ext))
	require.NotNil(t, got.Extension)
	assert.Equal(t, "reviewer-7", got.Extension.Actor)
	assert.Contains(t, h.fails(chaincode.CodeConflict, commerce, "ExtendCreditCase", ext), "once")
	h.ok(commerce, "DecideCreditCase", decisionJSON(t, cs.ID, chaincode.OutcomeRejected, 0))
	assert.Contains(t, h.fails(chaincode.CodeConflict, commerce, "ExtendCreditCase", ext), "decided")
}

// TestSuspension: commerce suspends and reinstates an exporter; the file shows the latest.
func TestSuspension(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	assert.Nil(t, creditFile(t, h).Status, "never suspended")
	in := chaincode.ExporterStatusInput{ExporterUSCC: uscc1, Status: chaincode.ExporterSuspended, Reason: "拒不整改 / refused to rectify",
		EvidenceHash: hash("order"), Actor: "officer-2"}
	st := decode[chaincode.ExporterStatus](t, h.ok(commerce, "SetExporterStatus", toJSON(t, in)))
	assert.Equal(t, chaincode.ExporterSuspended, st.Status)
	assert.Equal(t, chaincode.ExporterSuspended, creditFile(t, h).Status.Status)
	h.fails(chaincode.CodeConflict, commerce, "SetExporterStatus", toJSON(t, in))
	in.Status = chaincode.ExporterActive
	h.ok(commerce, "SetExporterStatus", toJSON(t, in))
	assert.Equal(t, chaincode.ExporterActive, creditFile(t, h).Status.Status)
	changes := decode[[]chaincode.CreditChange](t, h.ok(commerce, "GetCreditChanges", "1", "1000"))
	require.Len(t, changes, 1, "after skips the first change")
	assert.Equal(t, chaincode.ChangeExporterReinstate, changes[0].Kind)
	assert.Empty(t, decode[[]chaincode.CreditChange](t, h.ok(commerce, "GetCreditChanges", "2", "10")), "up to date")
}

// FuzzCreditCase feeds arbitrary JSON to the case functions over a ledger with one open
// objection: never a panic; a refusal is coded, valid UTF-8 and writes nothing; a success
// appends exactly one feed entry.
func FuzzCreditCase(f *testing.F) {
	const open = uscc1 + "-C000000"
	for _, s := range []string{``, `{}`, `null`, `{"kind":"OBJECTION","eventId":"` + uscc1 + `-000000"}`,
		`{"caseId":"` + open + `","outcome":"UPHELD","reviewer":"r","reason":"ok","evidenceHash":"` + hash("x") + `"}`,
		`{"caseId":"` + open + `","outcome":"PARTIAL","points":5,"reviewer":"r","reason":"ok","evidenceHash":"` + hash("x") + `"}`,
		`{"caseId":"` + open + `","reason":"延期","actor":"r"}`,
		`{"exporterUscc":"` + uscc1 + `","status":"SUSPENDED","reason":"x","evidenceHash":"` + hash("x") + `","actor":"r"}`,
	} {
		for fn := range uint8(5) {
			f.Add(s, fn)
		}
	}
	fns := []string{"FileCreditCase", "DecideCreditCase", "ExtendCreditCase", "SetExporterStatus", "PublishGrade"}
	f.Fuzz(func(t *testing.T, in string, fn uint8) {
		h, eventID := caseHarness(t, "E12", commerce)
		h.ok(commerce, "FileCreditCase", caseJSON(t, chaincode.CaseObjection, eventID))
		before := h.snapshot()
		resp := h.invoke(commerce, fns[int(fn)%len(fns)], in)
		if resp.Status != shim.OK {
			require.True(t, utf8.ValidString(resp.Message), "message is not UTF-8: %q", resp.Message)
			_, _, ok := chaincode.ParseError(resp.Message)
			require.True(t, ok, "uncoded error %q", resp.Message)
			require.Equal(t, before, h.snapshot(), "a refusal wrote state")
			return
		}
		require.True(t, json.Valid(resp.Payload))
		changes := decode[[]chaincode.CreditChange](t, h.ok(commerce, "GetCreditChanges", "2", "10"))
		require.Len(t, changes, 1, "one feed entry per write")
	})
}

// TestPublishGrade: commerce publishes an exporter's grade changes; the same grade again is a
// CONFLICT (nothing changed) and writes nothing; each change is a GRADE_CHANGED feed entry
// and the credit file shows the grade published last, with the one before.
func TestPublishGrade(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	grade := func(g string, score int) string {
		return toJSON(t, chaincode.PublishedGradeInput{ExporterUSCC: uscc1, Grade: g, Score: score, ModelVersion: "ucx-credit-2026.1", AsOf: "2026-03-01"})
	}
	first := decode[chaincode.PublishedGrade](t, h.ok(commerce, "PublishGrade", grade("B", 80)))
	assert.Empty(t, first.Previous)
	before := h.snapshot()
	assert.Contains(t, h.fails(chaincode.CodeConflict, commerce, "PublishGrade", grade("B", 78)), "already")
	h.fails(chaincode.CodeForbidden, customs, "PublishGrade", grade("C", 70))
	h.fails(chaincode.CodeInvalidArgument, commerce, "PublishGrade", grade("E", 70))
	h.fails(chaincode.CodeInvalidArgument, commerce, "PublishGrade", grade("C", 170))
	assert.Equal(t, before, h.snapshot(), "refusals write nothing")
	second := decode[chaincode.PublishedGrade](t, h.ok(commerce, "PublishGrade", grade("C", 70)))
	assert.Equal(t, "B", second.Previous)
	f := creditFile(t, h)
	require.NotNil(t, f.Grade)
	assert.Equal(t, "C", f.Grade.Grade)
	changes := decode[[]chaincode.CreditChange](t, h.ok(police, "GetCreditChanges", "0", "10"))
	require.Len(t, changes, 2)
	assert.Equal(t, chaincode.ChangeGradeChanged, changes[1].Kind)
	assert.Equal(t, uscc1, changes[1].Ref)
}
