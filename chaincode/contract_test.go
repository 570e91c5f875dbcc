package chaincode_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
)

func TestWhoAmI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, m := range []string{commerce, customs, police} {
		assert.Equal(t, m, string(h.ok(m, "WhoAmI")))
	}
	h.fails(chaincode.CodeForbidden, "", "WhoAmI")
}

func TestRecordFiling(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := decode[chaincode.TraceEvent](t, h.ok(commerce, "RecordFiling", filingArgs(vin1, "F0001")...))
	assert.Equal(t, chaincode.TraceEvent{
		VIN: vin1, Seq: 0, Type: chaincode.EventFiled, FilingID: "F0001", DocHash: hash("F0001"),
		Decision: "ACCEPTED", RulesetVersion: "2026-01-01", ExporterUSCC: uscc1, Actor: "user-42",
		MSPID: commerce, TxID: "tx000001", Timestamp: "2026-03-01T08:00:01.123456789Z", Status: "NEW",
	}, e)
	assert.Equal(t, refs(e), h.event())

	a := decode[chaincode.FilingAnchor](t, h.ok(customs, "GetFiling", "F0001"))
	assert.Equal(t, chaincode.FilingAnchor{
		FilingID: "F0001", VIN: vin1, Seq: 0, DocHash: hash("F0001"), Decision: "ACCEPTED",
		RulesetVersion: "2026-01-01", ExporterUSCC: uscc1, Actor: "user-42",
		MSPID: commerce, TxID: "tx000001", Timestamp: e.Timestamp,
	}, a)

	// The exact keys of ARCHITECTURE.md §5; the filing's decision goes into the vehicle's state.
	keys := make([]string, 0, len(h.log))
	for _, w := range h.log {
		keys = append(keys, w.Key)
	}
	assert.Equal(t, []string{"vehicle~" + vin1 + "~0000000000", "vehicle~" + vin1, "vstate~" + vin1, "filing~F0001"}, keys)
	assert.Equal(t, "1", string(h.stub.state["vehicle~"+vin1]))

	// A second filing of the same VIN takes the next seq; the same filing ID is a conflict.
	e2 := decode[chaincode.TraceEvent](t, h.ok(commerce, "RecordFiling", filingArgs(vin1, "F0002")...))
	assert.Equal(t, 1, e2.Seq)
	before := h.snapshot()
	msg := h.fails(chaincode.CodeConflict, commerce, "RecordFiling", filingArgs(vin2, "F0001")...)
	assert.Contains(t, msg, "F0001")
	assert.Equal(t, before, h.snapshot())

	h.fails(chaincode.CodeNotFound, commerce, "GetFiling", "F9999")
}

func TestRecordEventACL(t *testing.T) {
	t.Parallel()
	table := map[string][]string{
		police:   {"TRANSFERRED_PENDING_EXPORT", "POLICE_STATUS_CHANGED", "VEHICLE_HELD", "HOLD_RELEASED", "DEREGISTERED"},
		customs:  {"DECLARED", "RELEASED", "EXITED", "RETURNED", "DECLARATION_WITHDRAWN", "CLEARANCE_CHECKED"},
		commerce: {"INSPECTED", "AFTER_SALES_CONFIRMED", "LICENCE_APPLIED", "LICENCE_EXPIRED", "DEADLINE_PASSED", "CLOSED"},
	}
	// The journey step each type needs first (advance), or the hold HOLD_RELEASED needs, and the
	// status the event leaves.
	prereq := map[string]struct{ upTo, status string }{
		"TRANSFERRED_PENDING_EXPORT": {"", "TRANSFERRED"},
		"POLICE_STATUS_CHANGED":      {"", "NEW"},
		"VEHICLE_HELD":               {"", "HELD:NEW"},
		"HOLD_RELEASED":              {"", "NEW"},
		"DEREGISTERED":               {"EXITED", "DEREGISTERED"},
		"DECLARED":                   {"LICENCE_ISSUED", "DECLARED"},
		"RELEASED":                   {"DECLARED", "RELEASED"},
		"EXITED":                     {"RELEASED", "EXITED"},
		"RETURNED":                   {"RELEASED", "RETURNED"},
		"DECLARATION_WITHDRAWN":      {"DECLARED", "LICENSED"},
		"CLEARANCE_CHECKED":          {"", "NEW"},
		"INSPECTED":                  {"TRANSFERRED_PENDING_EXPORT", "INSPECTED"},
		"AFTER_SALES_CONFIRMED":      {"", "NEW"},
		"LICENCE_APPLIED":            {"", "NEW"},
		"LICENCE_EXPIRED":            {"", "NEW"},
		"DEADLINE_PASSED":            {"", "NEW"},
		"CLOSED":                     {"DEREGISTERED", "CLOSED"},
	}
	msps := []string{commerce, customs, police}
	for _, owner := range msps {
		for _, typ := range table[owner] {
			t.Run(typ, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				got, ok := chaincode.EventPoster(typ)
				require.True(t, ok)
				require.Equal(t, owner, got)
				// The MSP check comes before the lifecycle guard: a fresh VIN still gets FORBIDDEN.
				for _, other := range msps {
					if other == owner {
						continue
					}
					msg := h.fails(chaincode.CodeForbidden, other, "RecordEvent", vin1, typ, hash("x"), "officer-7")
					assert.Contains(t, msg, owner, "the error names the MSP required")
				}
				assert.Empty(t, h.snapshot())
				pre, ok := prereq[typ]
				require.True(t, ok, "no prerequisite listed for %s", typ)
				advance(h, vin1, pre.upTo)
				if typ == "HOLD_RELEASED" {
					post(h, vin1, "VEHICLE_HELD")
				}
				seq := len(decode[chaincode.TracePage](t, h.ok(customs, "GetTrace", vin1, "0", "")).Events)
				e := decode[chaincode.TraceEvent](t, h.ok(owner, "RecordEvent", vin1, typ, hash("x"), "officer-7"))
				assert.Equal(t, chaincode.TraceEvent{VIN: vin1, Seq: seq, Type: typ, EvidenceHash: hash("x"), Actor: "officer-7",
					MSPID: owner, TxID: e.TxID, Timestamp: e.Timestamp, Status: pre.status}, e)
				assert.Equal(t, refs(e), h.event())
			})
		}
	}
}

func TestRecordEventWithoutEvidence(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := decode[chaincode.TraceEvent](t, h.ok(commerce, "RecordEvent", vin1, "DEADLINE_PASSED", "", "scheduler"))
	assert.Empty(t, e.EvidenceHash)
	assert.NotContains(t, string(h.stub.state["vehicle~"+vin1+"~0000000000"]), "evidenceHash")
}

func TestForbidden(t *testing.T) {
	t.Parallel()
	licence := licenceJSON(t, "26-GD-000001", vin1)
	cases := []struct {
		name string
		msp  string
		fn   string
		args []string
		want string // MSP named in the message
	}{
		{"police posts a customs event", police, "RecordEvent", []string{vin1, "DECLARED", hash("d"), "p1"}, customs},
		{"customs posts a police event", customs, "RecordEvent", []string{vin1, "VEHICLE_HELD", hash("d"), "c1"}, police},
		{"police posts a commerce event", police, "RecordEvent", []string{vin1, "INSPECTED", hash("d"), "p1"}, commerce},
		{"commerce posts a police event", commerce, "RecordEvent", []string{vin1, "DEREGISTERED", hash("d"), "m1"}, police},
		{"customs records a filing", customs, "RecordFiling", filingArgs(vin1, "F1"), commerce},
		{"police records a filing", police, "RecordFiling", filingArgs(vin1, "F1"), commerce},
		{"police issues a licence", police, "IssueLicence", []string{licence}, commerce},
		{"customs issues a licence", customs, "IssueLicence", []string{licence}, commerce},
		{"customs revokes a licence", customs, "RevokeLicence", []string{"26-GD-000001", "FRAUD", "c1"}, commerce},
		{"police batches a filing", police, "RecordBatch", []string{`[{"kind":"filing","vin":"` + vin1 + `","filingId":"F1","docHash":"` + hash("F1") + `","decision":"HELD","rulesetVersion":"2026-01-01","exporterUscc":"` + uscc1 + `","actor":"p1"}]`}, commerce},
		{"unknown MSP", "OtherMSP", "RecordEvent", []string{vin1, "DECLARED", hash("d"), "o1"}, customs},
		{"unreadable identity", "", "RecordFiling", filingArgs(vin1, "F1"), "identity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if tc.fn == "RevokeLicence" {
				h.ok(commerce, "IssueLicence", licence)
			}
			before := h.snapshot()
			msg := h.fails(chaincode.CodeForbidden, tc.msp, tc.fn, tc.args...)
			assert.Contains(t, msg, tc.want)
			assert.Equal(t, before, h.snapshot(), "nothing written")
		})
	}
}

func TestInvalidArgument(t *testing.T) {
	t.Parallel()
	good := filingArgs(vin1, "F1")
	with := func(i int, v string) []string {
		a := append([]string(nil), good...)
		a[i] = v
		return a
	}
	cases := []struct {
		name  string
		msp   string
		fn    string
		args  []string
		field string
	}{
		{"vin lowercase", commerce, "RecordFiling", with(0, strings.ToLower(vin1)), "vin"},
		{"vin with I", commerce, "RecordFiling", with(0, "LVRHFAEN9MN20387I"), "vin"},
		{"vin with O", commerce, "RecordFiling", with(0, "LVRHFAEN9MN20387O"), "vin"},
		{"vin with Q", commerce, "RecordFiling", with(0, "LVRHFAEN9MN20387Q"), "vin"},
		{"vin 16 chars", commerce, "RecordFiling", with(0, vin1[:16]), "vin"},
		{"filing id empty", commerce, "RecordFiling", with(1, ""), "filingId"},
		{"filing id with tilde", commerce, "RecordFiling", with(1, "F~1"), "filingId"},
		{"filing id too long", commerce, "RecordFiling", with(1, strings.Repeat("F", 129)), "filingId"},
		{"hash uppercase", commerce, "RecordFiling", with(2, strings.ToUpper(hash("a"))), "docHash"},
		{"hash hex uppercase", commerce, "RecordFiling", with(2, "sha256:"+strings.ToUpper(hash("a")[7:])), "docHash"},
		{"hash no prefix", commerce, "RecordFiling", with(2, hash("a")[7:]), "docHash"},
		{"hash short", commerce, "RecordFiling", with(2, hash("a")[:70]), "docHash"},
		{"hash empty", commerce, "RecordFiling", with(2, ""), "docHash"},
		{"decision", commerce, "RecordFiling", with(3, "accepted"), "decision"},
		{"ruleset not a date", commerce, "RecordFiling", with(4, "2026-13-01"), "rulesetVersion"},
		{"ruleset short", commerce, "RecordFiling", with(4, "2026-1-1"), "rulesetVersion"},
		{"uscc with S", commerce, "RecordFiling", with(5, "91500112MA60QF5B8S"), "exporterUscc"},
		{"uscc with I", commerce, "RecordFiling", with(5, "91500112MA60QF5B8I"), "exporterUscc"},
		{"uscc 17 chars", commerce, "RecordFiling", with(5, uscc1[:17]), "exporterUscc"},
		{"actor empty", commerce, "RecordFiling", with(6, ""), "actor"},
		{"actor space", commerce, "RecordFiling", with(6, "zhang san"), "actor"},
		{"actor non-ASCII", commerce, "RecordFiling", with(6, "张三"), "actor"},
		{"actor too long", commerce, "RecordFiling", with(6, strings.Repeat("a", 129)), "actor"},
		{"unknown event type", police, "RecordEvent", []string{vin1, "STOLEN", "", "p1"}, "eventType"},
		{"FILED posted", commerce, "RecordEvent", []string{vin1, "FILED", "", "m1"}, "eventType"},
		{"LICENCE_ISSUED posted", commerce, "RecordEvent", []string{vin1, "LICENCE_ISSUED", "", "m1"}, "eventType"},
		{"LICENCE_REVOKED posted", commerce, "RecordEvent", []string{vin1, "LICENCE_REVOKED", "", "m1"}, "eventType"},
		{"evidence hash", police, "RecordEvent", []string{vin1, "VEHICLE_HELD", "md5:abc", "p1"}, "evidenceHash"},
		{"event vin", police, "RecordEvent", []string{"X", "VEHICLE_HELD", "", "p1"}, "vin"},
		{"event actor", police, "RecordEvent", []string{vin1, "VEHICLE_HELD", "", ""}, "actor"},
		{"trace vin", customs, "GetTrace", []string{"bad", "0", ""}, "vin"},
		{"page size negative", customs, "GetTrace", []string{vin1, "-1", ""}, "pageSize"},
		{"page size too large", customs, "GetTrace", []string{vin1, "201", ""}, "pageSize"},
		{"bookmark not a number", customs, "GetTrace", []string{vin1, "3", "abc"}, "bookmark"},
		{"bookmark negative", customs, "GetTrace", []string{vin1, "3", "-1"}, "bookmark"},
		{"bookmark beyond end", customs, "GetTrace", []string{vin1, "3", "1"}, "bookmark"},
		{"get filing id", customs, "GetFiling", []string{""}, "filingId"},
		{"get licence number", customs, "GetLicence", []string{"2026-GD-1"}, "licenceNo"},
		{"licence for vin", customs, "LicenceForVIN", []string{"vin"}, "vin"},
		{"revoke reason lowercase", commerce, "RevokeLicence", []string{"26-GD-000001", "fraud", "m1"}, "reasonCode"},
		{"revoke reason free text", commerce, "RevokeLicence", []string{"26-GD-000001", "FRAUD BY MR WANG", "m1"}, "reasonCode"},
		{"revoke reason too long", commerce, "RevokeLicence", []string{"26-GD-000001", strings.Repeat("X", 41), "m1"}, "reasonCode"},
		{"revoke actor", commerce, "RevokeLicence", []string{"26-GD-000001", "FRAUD", "a b"}, "actor"},
		{"revoke number", commerce, "RevokeLicence", []string{"26-gd-000001", "FRAUD", "m1"}, "licenceNo"},
		{"unknown function", commerce, "DeleteEverything", nil, "unknown function"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			msg := h.fails(chaincode.CodeInvalidArgument, tc.msp, tc.fn, tc.args...)
			assert.True(t, strings.HasPrefix(msg, tc.field), "message %q should start with %q", msg, tc.field)
			assert.Empty(t, h.snapshot())
		})
	}
}

func TestGetTracePaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(commerce, "RecordFiling", filingArgs(vin1, "F1")...)
	types := []string{"TRANSFERRED_PENDING_EXPORT", "INSPECTED", "LICENCE_ISSUED", "DECLARED", "RELEASED", "EXITED"}
	for _, typ := range types {
		post(h, vin1, typ) // in lifecycle order; LICENCE_ISSUED through IssueLicence
	}
	h.ok(police, "RecordEvent", vin2, "VEHICLE_HELD", "", "actor-2") // another VIN stays apart

	var got []chaincode.TraceEvent
	var bookmarks []string
	bookmark := ""
	for range 10 {
		p := decode[chaincode.TracePage](t, h.ok(customs, "GetTrace", vin1, "3", bookmark))
		assert.Equal(t, vin1, p.VIN)
		assert.Equal(t, 7, p.Total)
		assert.LessOrEqual(t, len(p.Events), 3)
		for _, e := range p.Events {
			got = append(got, *e)
		}
		bookmarks = append(bookmarks, p.NextBookmark)
		if bookmark = p.NextBookmark; bookmark == "" {
			break
		}
	}
	assert.Equal(t, []string{"3", "6", ""}, bookmarks)
	require.Len(t, got, 7)
	for i, e := range got {
		assert.Equal(t, i, e.Seq)
		assert.Equal(t, vin1, e.VIN)
	}
	assert.Equal(t, chaincode.EventFiled, got[0].Type)
	for i, typ := range types {
		assert.Equal(t, typ, got[i+1].Type)
	}

	// pageSize 0 means the default; a bookmark at the end gives an empty last page.
	all := decode[chaincode.TracePage](t, h.ok(customs, "GetTrace", vin1, "0", ""))
	assert.Len(t, all.Events, 7)
	assert.Empty(t, all.NextBookmark)
	end := decode[chaincode.TracePage](t, h.ok(customs, "GetTrace", vin1, "3", "7"))
	assert.Empty(t, end.Events)
	assert.Empty(t, end.NextBookmark)
}

func TestGetTraceUnknownVIN(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	raw := h.ok(police, "GetTrace", vin3, "0", "")
	assert.JSONEq(t, `{"vin":"`+vin3+`","events":[],"total":0,"nextBookmark":""}`, string(raw))
}

func TestEvaluateTransactions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	raw := h.ok(commerce, "org.hyperledger.fabric:GetMetadata")
	var md struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name string   `json:"name"`
				Tag  []string `json:"tag"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	require.NoError(t, json.Unmarshal(raw, &md))
	tags := map[string]string{}
	for _, tx := range md.Contracts["Contract"].Transactions {
		tags[tx.Name] = tx.Tag[len(tx.Tag)-1]
	}
	assert.Equal(t, map[string]string{
		"GetTrace": "EVALUATE", "GetFiling": "EVALUATE", "GetLicence": "EVALUATE", "LicenceForVIN": "EVALUATE", "WhoAmI": "EVALUATE",
		"GetVehicleState": "EVALUATE", "GetCreditEvents": "EVALUATE", "RecordCreditEvent": "SUBMIT",
		"GetCreditFile": "EVALUATE", "GetCreditChanges": "EVALUATE", "FileCreditCase": "SUBMIT", "ExtendCreditCase": "SUBMIT",
		"DecideCreditCase": "SUBMIT", "SetExporterStatus": "SUBMIT", "AnchorAuditHead": "SUBMIT", "PublishGrade": "SUBMIT", "GetAuditAnchor": "EVALUATE",
		"RecordFiling": "SUBMIT", "RecordEvent": "SUBMIT", "RecordBatch": "SUBMIT", "IssueLicence": "SUBMIT", "RevokeLicence": "SUBMIT",
	}, tags)
}

func TestParseError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		msg, code, detail string
		ok                bool
	}{
		{"FORBIDDEN: event type DECLARED requires CustomsMSP", chaincode.CodeForbidden, "event type DECLARED requires CustomsMSP", true},
		{"chaincode response 500, CONFLICT: filing F1 is already recorded", chaincode.CodeConflict, "filing F1 is already recorded", true},
		{`INVALID_ARGUMENT: eventType: unknown event type "NOT_FOUND: x"`, chaincode.CodeInvalidArgument, `eventType: unknown event type "NOT_FOUND: x"`, true},
		{"NOT_FOUND: licence 26-GD-000001 is not recorded", chaincode.CodeNotFound, "licence 26-GD-000001 is not recorded", true},
		{"chaincode response 500, ILLEGAL_TRANSITION: DECLARED needs an issued licence; vehicle is NEW", chaincode.CodeIllegalTransition, "DECLARED needs an issued licence; vehicle is NEW", true},
		{"get state x: boom", "", "", false},
	}
	for _, tc := range cases {
		code, detail, ok := chaincode.ParseError(tc.msg)
		assert.Equal(t, tc.ok, ok, tc.msg)
		assert.Equal(t, tc.code, code, tc.msg)
		assert.Equal(t, tc.detail, detail, tc.msg)
	}
	assert.Equal(t, "INVALID_ARGUMENT: ", chaincode.PrefixInvalidArgument)
	assert.Equal(t, "FORBIDDEN: ", chaincode.PrefixForbidden)
	assert.Equal(t, "NOT_FOUND: ", chaincode.PrefixNotFound)
	assert.Equal(t, "CONFLICT: ", chaincode.PrefixConflict)
	assert.Equal(t, "ILLEGAL_TRANSITION: ", chaincode.PrefixIllegalTransition)
}
