package chaincode_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
)

// scenario runs every writing and reading function once or more and returns everything the
// host saw: responses, chaincode events and, through h.log, the state writes.
func scenario(t testing.TB, h *harness) [][]byte {
	t.Helper()
	var seen [][]byte
	record := func(resp []byte) {
		seen = append(seen, resp, []byte(h.stub.eventName), h.stub.eventData)
	}
	var transfers []chaincode.BatchItem
	for i := range 20 {
		transfers = append(transfers, eventItem(vinN(i), "TRANSFERRED_PENDING_EXPORT"))
	}
	record(h.ok(police, "RecordBatch", toJSON(t, transfers)))
	var items []chaincode.BatchItem
	for i := range 60 {
		items = append(items, filingItem(vinN(i%20), fmt.Sprintf("F%03d", i)), eventItem(vinN((i*7)%20), "INSPECTED"))
	}
	record(h.ok(commerce, "RecordBatch", toJSON(t, items)))
	record(h.ok(commerce, "RecordFiling", filingArgs(vin1, "G1")...))
	record(h.ok(police, "RecordEvent", vin1, "VEHICLE_HELD", hash("hit"), "p-1"))
	vins := make([]string, 40)
	for i := range vins {
		vins[i] = vinN(100 + i)
	}
	record(h.ok(commerce, "IssueLicence", licenceJSON(t, "26-GD-000001", vins...)))
	record(h.ok(commerce, "RevokeLicence", "26-GD-000001", "FRAUD", "m-1"))
	record(h.ok(commerce, "IssueLicence", licenceJSON(t, "26-GD-000002", vins[3:9]...)))
	record(h.ok(customs, "GetTrace", vinN(3), "4", ""))
	record(h.ok(customs, "GetFiling", "F007"))
	record(h.ok(customs, "GetLicence", "26-GD-000001"))
	record(h.ok(customs, "LicenceForVIN", vins[4]))
	record(h.ok(commerce, "RecordFiling", filingArgs(vins[4], "G2")...))
	record(h.ok(customs, "RecordBatch", toJSON(t, []chaincode.BatchItem{eventItem(vins[4], "DECLARED")})))
	record(h.ok(customs, "GetVehicleState", vins[4]))
	record(h.ok(customs, "GetVehicleState", vin1))
	record(h.ok(customs, "WhoAmI"))
	return seen
}

func flatten(h *harness) []byte {
	var b bytes.Buffer
	for _, w := range h.log {
		fmt.Fprintf(&b, "%s\x00%s\x00", w.Key, w.Value)
	}
	return b.Bytes()
}

// Same inputs, same tx IDs and timestamps: byte-identical writes, responses and events. Go
// randomises map iteration on every range, so repeating the run also catches any output that
// depends on map order.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	first := newHarness(t)
	want := scenario(t, first)
	wantLog := flatten(first)
	require.NotEmpty(t, wantLog)
	for run := range 10 {
		h := newHarness(t)
		got := scenario(t, h)
		require.Equal(t, want, got, "run %d: responses or events differ", run)
		require.True(t, bytes.Equal(wantLog, flatten(h)), "run %d: state writes differ", run)
	}
}

// TestStubMethods pins the exact stub methods the contract and contractapi call: the list an
// embedded host implements. memStub panics on any other method.
func TestStubMethods(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	scenario(t, h)
	h.fails(chaincode.CodeInvalidArgument, commerce, "NoSuchFunction")
	h.fails(chaincode.CodeForbidden, "", "WhoAmI")
	h.ok(commerce, "org.hyperledger.fabric:GetMetadata")
	var used []string
	for _, m := range allowedStubMethods {
		if h.stub.used[m] {
			used = append(used, m)
		}
	}
	assert.Equal(t, allowedStubMethods, used, "every allowed method is exercised")
	assert.Len(t, h.stub.used, len(allowedStubMethods), "no other method is called")
	t.Logf("stub methods used: %v", used)
}
