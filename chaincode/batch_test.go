package chaincode_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
)

func filingItem(vin, id string) chaincode.BatchItem {
	return chaincode.BatchItem{Kind: "filing", VIN: vin, FilingID: id, DocHash: hash(id), Decision: "ACCEPTED",
		RulesetVersion: "2026-01-01", ExporterUSCC: uscc1, Actor: "user-42"}
}

func eventItem(vin, typ string) chaincode.BatchItem {
	return chaincode.BatchItem{Kind: "event", VIN: vin, EventType: typ, EvidenceHash: hash(vin + typ), Actor: "user-42"}
}

func TestRecordBatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	post(h, vin1, "TRANSFERRED_PENDING_EXPORT")               // vin1 starts at seq 1, transferred
	h.ok(commerce, "RecordFiling", filingArgs(vin2, "F0")...) // vin2 starts at seq 1

	items := []chaincode.BatchItem{
		filingItem(vin1, "F1"),
		filingItem(vin2, "F2"),
		eventItem(vin1, "INSPECTED"),
		filingItem(vin3, "F3"),
		eventItem(vin1, "LICENCE_APPLIED"),
	}
	res := decode[chaincode.BatchResult](t, h.ok(commerce, "RecordBatch", toJSON(t, items)))
	assert.Equal(t, []int{1, 1, 2, 0, 3}, res.Seqs)
	assert.Equal(t, []string{"TRANSFERRED", "NEW", "INSPECTED", "NEW", "INSPECTED"}, res.Statuses)
	assert.Equal(t, "tx000003", res.TxID)
	assert.Equal(t, "CommerceMSP", res.MSPID)
	out := h.event()
	require.Len(t, out, 5)
	wantVIN := []string{vin1, vin2, vin1, vin3, vin1}
	wantSeq := []int{1, 1, 2, 0, 3}
	wantType := []string{"FILED", "FILED", "INSPECTED", "FILED", "LICENCE_APPLIED"}
	for i, e := range out {
		assert.Equal(t, wantVIN[i], e.VIN, i)
		assert.Equal(t, wantSeq[i], e.Seq, i)
		assert.Equal(t, wantType[i], e.Type, i)
		tr := decode[chaincode.TracePage](t, h.ok(commerce, "GetTrace", e.VIN, "1", strconv.Itoa(e.Seq)))
		assert.Equal(t, res.TxID, tr.Events[0].TxID, "one transaction")
		assert.Equal(t, res.Timestamp, tr.Events[0].Timestamp)
		assert.Equal(t, res.Statuses[i], tr.Events[0].Status)
	}
	assert.Equal(t, "4", string(h.stub.state["vehicle~"+vin1]))
	assert.Equal(t, "2", string(h.stub.state["vehicle~"+vin2]))
	a := decode[chaincode.FilingAnchor](t, h.ok(customs, "GetFiling", "F2"))
	assert.Equal(t, 1, a.Seq)

	// Customs batches its own events, once both vehicles hold a licence.
	h.ok(commerce, "IssueLicence", licenceJSON(t, "26-GD-000001", vin1, vin2)) // seqs 4 and 2
	res = decode[chaincode.BatchResult](t, h.ok(customs, "RecordBatch", toJSON(t, []chaincode.BatchItem{
		eventItem(vin1, "DECLARED"), eventItem(vin2, "DECLARED"), eventItem(vin1, "RELEASED"),
	})))
	assert.Equal(t, []int{5, 3, 6}, res.Seqs)
	assert.Equal(t, []string{"DECLARED", "DECLARED", "RELEASED"}, res.Statuses, "RELEASED sees the DECLARED before it")
}

func TestRecordBatchAllOrNothing(t *testing.T) {
	t.Parallel()
	long := make([]chaincode.BatchItem, chaincode.MaxBatchItems+1)
	for i := range long {
		long[i] = eventItem(vinN(i), "INSPECTED")
	}
	bad := func(i int, it chaincode.BatchItem) string {
		items := []chaincode.BatchItem{filingItem(vin1, "F1"), eventItem(vin1, "INSPECTED"), filingItem(vin2, "F2"), eventItem(vin2, "DEADLINE_PASSED")}
		items[i] = it
		return toJSON(t, items)
	}
	withField := func(it chaincode.BatchItem, f func(*chaincode.BatchItem)) chaincode.BatchItem { f(&it); return it }
	cases := []struct {
		name, msp, items, code, want string
	}{
		{"bad vin", commerce, bad(3, eventItem("NOTAVIN", "CLOSED")), chaincode.CodeInvalidArgument, "items[3]: vin"},
		{"bad hash", commerce, bad(2, withField(filingItem(vin2, "F2"), func(b *chaincode.BatchItem) { b.DocHash = "x" })), chaincode.CodeInvalidArgument, "items[2]: docHash"},
		{"unknown kind", commerce, bad(1, chaincode.BatchItem{Kind: "licence", VIN: vin1, Actor: "a"}), chaincode.CodeInvalidArgument, "items[1]: kind"},
		{"unknown type", commerce, bad(1, eventItem(vin1, "TELEPORTED")), chaincode.CodeInvalidArgument, "items[1]: eventType"},
		{"event field on filing", commerce, bad(0, withField(filingItem(vin1, "F1"), func(b *chaincode.BatchItem) { b.EventType = "CLOSED" })), chaincode.CodeInvalidArgument, "items[0]: eventType"},
		{"filing field on event", commerce, bad(1, withField(eventItem(vin1, "CLOSED"), func(b *chaincode.BatchItem) { b.DocHash = hash("d") })), chaincode.CodeInvalidArgument, "items[1]: filingId"},
		{"forbidden event", commerce, bad(3, eventItem(vin2, "DECLARED")), chaincode.CodeForbidden, "items[3]: event type DECLARED requires CustomsMSP"},
		{"illegal transition", commerce, bad(3, eventItem(vin2, "CLOSED")), chaincode.CodeIllegalTransition, "items[3]: CLOSED needs a deregistration or a return"},
		{"illegal after an earlier item", customs, toJSON(t, []chaincode.BatchItem{eventItem(vin1, "DECLARED"), eventItem(vin1, "DECLARED")}), chaincode.CodeIllegalTransition, "items[1]: DECLARED needs"},
		{"forbidden filing", customs, toJSON(t, []chaincode.BatchItem{eventItem(vin1, "DECLARED"), filingItem(vin1, "F1")}), chaincode.CodeForbidden, "items[1]: recording a filing requires CommerceMSP"},
		{"filing id twice in the batch", commerce, bad(2, filingItem(vin2, "F1")), chaincode.CodeConflict, "items[2]: filing F1"},
		{"filing id already on the ledger", commerce, bad(0, filingItem(vin1, "F0")), chaincode.CodeConflict, "items[0]: filing F0"},
		{"empty", commerce, `[]`, chaincode.CodeInvalidArgument, "items: must hold 1 to 500"},
		{"too many", commerce, toJSON(t, long), chaincode.CodeInvalidArgument, "items: must hold 1 to 500 items, got 501"},
		{"not JSON", commerce, `[{"kind":`, chaincode.CodeInvalidArgument, "items: invalid JSON"},
		{"not an array", commerce, `{"kind":"event"}`, chaincode.CodeInvalidArgument, "items: invalid JSON"},
		{"unknown field", commerce, `[{"kind":"event","vin":"` + vin1 + `","eventType":"CLOSED","actor":"a","ownerName":"x"}]`, chaincode.CodeInvalidArgument, `items: invalid JSON: unknown field "ownerName"`},
		{"trailing data", commerce, toJSON(t, []chaincode.BatchItem{eventItem(vin1, "CLOSED")}) + "]", chaincode.CodeInvalidArgument, "items: invalid JSON: trailing data"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.ok(commerce, "RecordFiling", filingArgs(vin3, "F0")...)
			advance(h, vin1, "LICENCE_ISSUED") // vin1 may be inspected and declared
			before := h.snapshot()
			msg := h.fails(tc.code, tc.msp, "RecordBatch", tc.items)
			assert.True(t, strings.HasPrefix(msg, tc.want), "message %q should start with %q", msg, tc.want)
			assert.Equal(t, before, h.snapshot(), "nothing written")
		})
	}
}

func TestRecordBatchMax(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	items := make([]chaincode.BatchItem, chaincode.MaxBatchItems)
	for i := range items {
		items[i] = filingItem(vinN(i%50), fmt.Sprintf("F%04d", i))
	}
	out := decode[chaincode.BatchResult](t, h.ok(commerce, "RecordBatch", toJSON(t, items))).Seqs
	require.Len(t, out, chaincode.MaxBatchItems)
	for i, seq := range out {
		assert.Equal(t, i/50, seq)
	}
	assert.Equal(t, "10", string(h.stub.state["vehicle~"+vinN(7)]))
}
