package chaincode_test

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
)

func creditJSON(code, source, evidence string) string {
	return creditJSONFor(code, source, evidence, "26-GD-000001")
}

func TestRecordCreditEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := decode[chaincode.CreditEvent](t, h.ok(commerce, "RecordCreditEvent", creditJSON("E12", chaincode.SourceManual, hash("talk minutes"))))
	assert.Equal(t, uscc1+"-000000", e.ID)
	assert.Equal(t, "ACTIVE", e.Status)
	assert.Equal(t, commerce, e.MSPID)
	assert.Equal(t, "E12", e.Code)
	assert.NotEmpty(t, e.TxID)
	h.ok(police, "RecordCreditEvent", creditJSON("E01", chaincode.SourceManual, hash("police confirmation")))
	h.ok(commerce, "RecordCreditEvent", creditJSON("E14", chaincode.SourceAutomatic, ""))
	before := h.snapshot()
	msg := h.fails(chaincode.CodeConflict, commerce, "RecordCreditEvent", creditJSON("E14", chaincode.SourceAutomatic, ""))
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

// FuzzRecordCreditEvent feeds arbitrary input to RecordCreditEvent: it never panics, a
// failure carries a business code in a valid UTF-8 message and writes nothing, and a success
// writes the event, the exporter's head and a feed entry with the feed's head (and, for an
// automatic event about a ref, its key).
func FuzzRecordCreditEvent(f *testing.F) {
	for i, s := range []string{
		``, `{}`, `null`, `[]`, `{"code":1}`,
		creditJSONFor("E12", chaincode.SourceManual, hash("x"), "r1"),
		creditJSONFor("E12", chaincode.SourceManual, "", ""),
		creditJSONFor("E14", chaincode.SourceAutomatic, "", "LSJA24U62JG269225"),
		creditJSONFor("E01", chaincode.SourceManual, hash("y"), ""),
		creditJSONFor("E99", "x\xff", "sha256:", "a b"),
	} {
		f.Add(s, uint8(i))
	}
	msps := []string{commerce, customs, police, "", "OtherMSP"}
	f.Fuzz(func(t *testing.T, in string, who uint8) {
		h := newHarness(t)
		before := h.snapshot()
		resp := h.invoke(msps[int(who)%len(msps)], "RecordCreditEvent", in)
		if resp.Status != shim.OK {
			require.True(t, utf8.ValidString(resp.Message), "message is not UTF-8: %q", resp.Message)
			_, _, ok := chaincode.ParseError(resp.Message)
			require.True(t, ok, "uncoded error %q", resp.Message)
			require.Equal(t, before, h.snapshot(), "a refusal wrote state")
			return
		}
		var e chaincode.CreditEvent
		require.NoError(t, json.Unmarshal(resp.Payload, &e))
		require.Equal(t, e.ExporterUSCC+"-000000", e.ID)
		want := 4
		if e.Source == chaincode.SourceAutomatic && e.Ref != "" {
			want = 5
		}
		require.Len(t, h.snapshot(), want)
	})
}

func creditJSONFor(code, source, evidence, ref string) string {
	b, _ := json.Marshal(chaincode.CreditEventInput{ExporterUSCC: uscc1, Code: code, OccurredAt: "2026-02-20",
		Source: source, EvidenceHash: evidence, Ref: ref, Actor: "officer-1"})
	return string(b)
}

// TestCreditEventDayInChina: "not after today" is the day in China. At 04:00 in Beijing
// (20:00 UTC the day before) today's date is accepted; tomorrow's is not.
func TestCreditEventDayInChina(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.base = time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC) // 2026-03-02 04:00 China
	in := func(day string) string {
		return toJSON(t, chaincode.CreditEventInput{ExporterUSCC: uscc1, Code: "E12", OccurredAt: day, Source: chaincode.SourceManual,
			EvidenceHash: hash("x"), Actor: "officer-1"})
	}
	h.ok(commerce, "RecordCreditEvent", in("2026-03-02"))
	assert.Contains(t, h.fails(chaincode.CodeInvalidArgument, commerce, "RecordCreditEvent", in("2026-03-03")), "occurredAt")
}
