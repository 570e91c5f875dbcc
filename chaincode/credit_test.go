package chaincode_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
)

func creditJSON(t testing.TB, code, source, evidence string) string {
	return toJSON(t, chaincode.CreditEventInput{ExporterUSCC: uscc1, Code: code, OccurredAt: "2026-02-20",
		Source: source, EvidenceHash: evidence, Ref: "26-GD-000001", Actor: "officer-1"})
}

func TestRecordCreditEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := decode[chaincode.CreditEvent](t, h.ok(commerce, "RecordCreditEvent", creditJSON(t, "E12", chaincode.SourceManual, hash("talk minutes"))))
	assert.Equal(t, uscc1+"-000000", e.ID)
	assert.Equal(t, "ACTIVE", e.Status)
	assert.Equal(t, commerce, e.MSPID)
	assert.Equal(t, "E12", e.Code)
	assert.NotEmpty(t, e.TxID)
	h.ok(police, "RecordCreditEvent", creditJSON(t, "E01", chaincode.SourceManual, hash("police confirmation")))
	h.ok(commerce, "RecordCreditEvent", creditJSON(t, "E14", chaincode.SourceAutomatic, ""))
	before := h.snapshot()
	msg := h.fails(chaincode.CodeConflict, commerce, "RecordCreditEvent", creditJSON(t, "E14", chaincode.SourceAutomatic, ""))
	assert.Contains(t, msg, uscc1+"-000002", "an automatic event about the same ref is recorded once")
	assert.Equal(t, before, h.snapshot())

	got := decode[[]chaincode.CreditEvent](t, h.ok(customs, "GetCreditEvents", uscc1))
	require.Len(t, got, 3)
	assert.Equal(t, []string{"E12", "E01", "E14"}, []string{got[0].Code, got[1].Code, got[2].Code})
	assert.Equal(t, uscc1+"-000002", got[2].ID)
	assert.Equal(t, police, got[1].MSPID)
	assert.Empty(t, decode[[]chaincode.CreditEvent](t, h.ok(police, "GetCreditEvents", "91440300192317458F")), "no history yet")
}

// TestRecordCreditEventRefusals: each refusal writes nothing.
func TestRecordCreditEventRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	before := h.snapshot()
	in := func(mut func(*chaincode.CreditEventInput)) string {
		e := chaincode.CreditEventInput{ExporterUSCC: uscc1, Code: "E12", OccurredAt: "2026-02-20", Source: chaincode.SourceManual,
			EvidenceHash: hash("x"), Actor: "officer-1"}
		mut(&e)
		return toJSON(t, e)
	}
	for name, tc := range map[string]struct {
		msp, arg, code, want string
	}{
		"another agency's code": {customs, in(func(e *chaincode.CreditEventInput) {}), chaincode.CodeForbidden, "requires CommerceMSP"},
		"police only":           {commerce, in(func(e *chaincode.CreditEventInput) { e.Code = "E01" }), chaincode.CodeForbidden, "requires PoliceMSP"},
		"unknown code":          {commerce, in(func(e *chaincode.CreditEventInput) { e.Code = "E99" }), chaincode.CodeInvalidArgument, "code"},
		"manual needs evidence": {commerce, in(func(e *chaincode.CreditEventInput) { e.EvidenceHash = "" }), chaincode.CodeInvalidArgument, "evidenceHash"},
		"future":                {commerce, in(func(e *chaincode.CreditEventInput) { e.OccurredAt = "2026-03-02" }), chaincode.CodeInvalidArgument, "occurredAt"},
		"bad date":              {commerce, in(func(e *chaincode.CreditEventInput) { e.OccurredAt = "2026-02-30" }), chaincode.CodeInvalidArgument, "occurredAt"},
		"bad uscc":              {commerce, in(func(e *chaincode.CreditEventInput) { e.ExporterUSCC = "91500112MA60QF5B8I" }), chaincode.CodeInvalidArgument, "exporterUscc"},
		"bad source":            {commerce, in(func(e *chaincode.CreditEventInput) { e.Source = "GUESS" }), chaincode.CodeInvalidArgument, "source"},
		"bad actor":             {commerce, in(func(e *chaincode.CreditEventInput) { e.Actor = "张 三" }), chaincode.CodeInvalidArgument, "actor"},
		"bad ref":               {commerce, in(func(e *chaincode.CreditEventInput) { e.Ref = "a b" }), chaincode.CodeInvalidArgument, "ref"},
		"unknown member":        {commerce, `{"exporterUscc":"` + uscc1 + `","code":"E12","points":-1}`, chaincode.CodeInvalidArgument, "event"},
		"trailing data":         {commerce, in(func(e *chaincode.CreditEventInput) {}) + "{}", chaincode.CodeInvalidArgument, "event"},
	} {
		msg := h.fails(tc.code, tc.msp, "RecordCreditEvent", tc.arg)
		assert.Contains(t, msg, tc.want, name)
	}
	assert.Equal(t, before, h.snapshot(), "nothing written")
	h.fails(chaincode.CodeInvalidArgument, commerce, "GetCreditEvents", "nope")
}
