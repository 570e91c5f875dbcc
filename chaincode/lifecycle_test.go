package chaincode_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
)

// journey is the main line of a vehicle's lifecycle, in order, as advance posts it.
var journey = []string{
	"FILED", "TRANSFERRED_PENDING_EXPORT", "INSPECTED", "LICENCE_ISSUED",
	"DECLARED", "RELEASED", "EXITED", "DEREGISTERED",
}

// advance posts the steps of journey up to and including upTo ("" posts nothing) for vin,
// each with the MSP that owns it: an ACCEPTED filing, the transfer, the inspection, a licence
// through IssueLicence, the declaration, release, exit and deregistration.
func advance(h *harness, vin, upTo string) {
	h.t.Helper()
	if upTo == "" {
		return
	}
	found := false
	for _, step := range journey {
		found = found || step == upTo
	}
	require.True(h.t, found, "advance: %s is not a journey step", upTo)
	for _, step := range journey {
		post(h, vin, step)
		if step == upTo {
			return
		}
	}
}

// post records one step of journey (or any RecordEvent type, or REVOKE: revoke the VIN's
// ISSUED licence) for vin with the right MSP, and returns the event written.
func post(h *harness, vin, step string) chaincode.TraceEvent {
	h.t.Helper()
	switch step {
	case "FILED":
		return decode[chaincode.TraceEvent](h.t, h.ok(commerce, "RecordFiling", filingArgs(vin, fmt.Sprintf("ADV-%s-%d", vin, h.n))...))
	case "LICENCE_ISSUED":
		h.ok(commerce, "IssueLicence", licenceJSON(h.t, fmt.Sprintf("26-GD-%06d", 900000+h.n), vin))
		return lastEvent(h, vin)
	case "REVOKE": // revoke the VIN's ISSUED licence
		no := decode[chaincode.Licence](h.t, h.ok(customs, "LicenceForVIN", vin)).LicenceNo
		h.ok(commerce, "RevokeLicence", no, "FRAUD", "m-1")
		return lastEvent(h, vin)
	}
	poster, ok := chaincode.EventPoster(step)
	require.True(h.t, ok, step)
	return decode[chaincode.TraceEvent](h.t, h.ok(poster, "RecordEvent", vin, step, hash(vin+step), "actor-1"))
}

// lastEvent returns the last event of vin's trace.
func lastEvent(h *harness, vin string) chaincode.TraceEvent {
	h.t.Helper()
	p := decode[chaincode.TracePage](h.t, h.ok(customs, "GetTrace", vin, "1", ""))
	if p.Total > 1 {
		p = decode[chaincode.TracePage](h.t, h.ok(customs, "GetTrace", vin, "1", fmt.Sprint(p.Total-1)))
	}
	require.Len(h.t, p.Events, 1)
	return *p.Events[0]
}

func vehicleState(h *harness, vin string) chaincode.VehicleState {
	h.t.Helper()
	return decode[chaincode.VehicleState](h.t, h.ok(police, "GetVehicleState", vin))
}

// refused posts step for vin, which must fail with ILLEGAL_TRANSITION and write nothing; it
// returns the message after the code. For LICENCE_ISSUED the VIN must hold no ISSUED licence
// (that is a CONFLICT, checked first): revoke it first (post REVOKE).
func refused(h *harness, vin, step string) string {
	h.t.Helper()
	before := h.snapshot()
	var msg string
	switch step {
	case "FILED":
		msg = h.fails(chaincode.CodeIllegalTransition, commerce, "RecordFiling", filingArgs(vin, fmt.Sprintf("REF-%d", h.n))...)
	case "LICENCE_ISSUED":
		msg = h.fails(chaincode.CodeIllegalTransition, commerce, "IssueLicence", licenceJSON(h.t, fmt.Sprintf("26-GD-%06d", 800000+h.n), vin))
	default:
		poster, ok := chaincode.EventPoster(step)
		require.True(h.t, ok, step)
		msg = h.fails(chaincode.CodeIllegalTransition, poster, "RecordEvent", vin, step, hash(step), "actor-1")
	}
	require.Equal(h.t, before, h.snapshot(), "refused %s wrote state", step)
	return msg
}

func TestJourney(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	assert.Equal(t, chaincode.VehicleState{Status: "NEW"}, vehicleState(h, vin1), "unknown VIN: zero state")
	want := []string{"NEW", "TRANSFERRED", "INSPECTED", "LICENSED", "DECLARED", "RELEASED", "EXITED", "DEREGISTERED"}
	for i, step := range journey {
		e := post(h, vin1, step)
		assert.Equal(t, step, e.Type)
		assert.Equal(t, i, e.Seq)
		assert.Equal(t, want[i], e.Status, step)
		assert.Equal(t, want[i], lastEvent(h, vin1).Status, "stored with the event")
		assert.Equal(t, want[i], vehicleState(h, vin1).Status)
	}
	e := post(h, vin1, "CLOSED")
	assert.Equal(t, "CLOSED", e.Status)
	assert.Equal(t, chaincode.VehicleState{
		Transferred: true, Inspected: true, Licensed: true, Declared: true, Released: true, Exited: true,
		Deregistered: true, Closed: true, LastDecision: "ACCEPTED", Status: "CLOSED",
	}, vehicleState(h, vin1))
	assert.Contains(t, string(h.stub.state["vstate~"+vin1]), `"closed":true`)

	// A closed vehicle takes nothing more, not even a hold or an informational event; a
	// filing is still anchored (every decision is), and changes nothing.
	post(h, vin1, "FILED")
	for _, step := range []string{"VEHICLE_HELD", "POLICE_STATUS_CHANGED", "CLOSED", "LICENCE_EXPIRED", "RETURNED"} {
		msg := refused(h, vin1, step)
		assert.Contains(t, msg, "vehicle is CLOSED", step)
	}
	// Its licence can still be revoked (e.g. for fraud over the other vehicles on it); the
	// closed vehicle's trace and state take nothing from it.
	no := decode[chaincode.Licence](t, h.ok(customs, "LicenceForVIN", vin1)).LicenceNo
	head := string(h.stub.state["vehicle~"+vin1])
	r := decode[chaincode.Licence](t, h.ok(commerce, "RevokeLicence", no, "FRAUD", "m-1"))
	assert.Equal(t, "REVOKED", r.Status)
	assert.Equal(t, head, string(h.stub.state["vehicle~"+vin1]), "no event on a closed vehicle's trace")
	assert.Equal(t, "CLOSED", vehicleState(h, vin1).Status)

	// The other ending: returned after release, then closed.
	advance(h, vin2, "RELEASED")
	assert.Equal(t, "RETURNED", post(h, vin2, "RETURNED").Status)
	assert.Equal(t, "CLOSED", post(h, vin2, "CLOSED").Status)

	h.fails(chaincode.CodeInvalidArgument, police, "GetVehicleState", "nope")
}

// TestIllegalTransitions walks every guard of the table: each row is a state reached by
// advance (plus extra steps) and an event that state refuses.
func TestIllegalTransitions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		upTo  string   // advance to this journey step
		extra []string // then post these
		step  string   // refused
		state string   // status named in the message
		needs string
	}{
		{"TRANSFERRED_PENDING_EXPORT", nil, "TRANSFERRED_PENDING_EXPORT", "TRANSFERRED", "not yet transferred"},
		{"", []string{"VEHICLE_HELD"}, "TRANSFERRED_PENDING_EXPORT", "HELD:NEW", "not held"},
		{"FILED", nil, "INSPECTED", "NEW", "transfer pending export"},
		{"DECLARED", nil, "INSPECTED", "DECLARED", "no declaration"},
		{"TRANSFERRED_PENDING_EXPORT", []string{"VEHICLE_HELD"}, "INSPECTED", "HELD:TRANSFERRED", "no hold"},
		{"DECLARED", []string{"REVOKE"}, "LICENCE_ISSUED", "DECLARED", "no declaration"},
		{"INSPECTED", []string{"VEHICLE_HELD"}, "LICENCE_ISSUED", "HELD:INSPECTED", "no hold"},
		{"INSPECTED", nil, "DECLARED", "INSPECTED", "an issued licence and an ACCEPTED filing"},
		{"DECLARED", nil, "DECLARED", "DECLARED", "no live declaration"},
		{"LICENCE_ISSUED", []string{"VEHICLE_HELD"}, "DECLARED", "HELD:LICENSED", "no hold"},
		{"LICENCE_ISSUED", nil, "DECLARATION_WITHDRAWN", "LICENSED", "a declaration not yet released"},
		{"RELEASED", nil, "DECLARATION_WITHDRAWN", "RELEASED", "a declaration not yet released"},
		{"LICENCE_ISSUED", nil, "RELEASED", "LICENSED", "a declaration"},
		{"RELEASED", nil, "RELEASED", "RELEASED", "not yet released"},
		{"DECLARED", []string{"VEHICLE_HELD"}, "RELEASED", "HELD:DECLARED", "no hold"},
		{"DECLARED", nil, "EXITED", "DECLARED", "a release"},
		{"EXITED", nil, "EXITED", "EXITED", "no exit yet"},
		{"RELEASED", []string{"VEHICLE_HELD"}, "EXITED", "HELD:RELEASED", "no hold"},
		{"DECLARED", nil, "RETURNED", "DECLARED", "a release"},
		{"RELEASED", []string{"RETURNED"}, "RETURNED", "RETURNED", "no return yet"},
		{"RELEASED", nil, "DEREGISTERED", "RELEASED", "an exit"},
		{"DEREGISTERED", nil, "DEREGISTERED", "DEREGISTERED", "no deregistration yet"},
		{"EXITED", nil, "CLOSED", "EXITED", "a deregistration or a return"},
		{"DEREGISTERED", []string{"CLOSED"}, "CLOSED", "CLOSED", "not yet closed"},
		{"", nil, "HOLD_RELEASED", "NEW", "a held vehicle"},
		{"DEREGISTERED", []string{"CLOSED"}, "VEHICLE_HELD", "CLOSED", "not CLOSED"},
		{"DEREGISTERED", []string{"CLOSED"}, "LICENCE_EXPIRED", "CLOSED", "not CLOSED"},
		{"DEREGISTERED", []string{"CLOSED"}, "DEADLINE_PASSED", "CLOSED", "not CLOSED"},
		{"DEREGISTERED", []string{"CLOSED"}, "CLEARANCE_CHECKED", "CLOSED", "not CLOSED"},
		{"DEREGISTERED", []string{"CLOSED"}, "AFTER_SALES_CONFIRMED", "CLOSED", "not CLOSED"},
		{"DEREGISTERED", []string{"CLOSED"}, "LICENCE_APPLIED", "CLOSED", "not CLOSED"},
		{"DEREGISTERED", []string{"REVOKE", "CLOSED"}, "LICENCE_ISSUED", "CLOSED", "not CLOSED"},
		{"RELEASED", []string{"RETURNED", "CLOSED"}, "RETURNED", "CLOSED", "not CLOSED"},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s after %s %v", tc.step, tc.upTo, tc.extra)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			advance(h, vin1, tc.upTo)
			for _, s := range tc.extra {
				post(h, vin1, s)
			}
			msg := refused(h, vin1, tc.step)
			if tc.step == "LICENCE_ISSUED" {
				assert.True(t, strings.HasPrefix(msg, "lines[0].vin: LICENCE_ISSUED needs "), msg)
			} else {
				assert.True(t, strings.HasPrefix(msg, tc.step+" needs "), msg)
			}
			assert.True(t, strings.HasSuffix(msg, "; vehicle is "+tc.state), msg)
			assert.Contains(t, msg, tc.needs)
			code, _, ok := chaincode.ParseError("chaincode response 500, " + chaincode.PrefixIllegalTransition + msg)
			assert.True(t, ok)
			assert.Equal(t, chaincode.CodeIllegalTransition, code)
		})
	}
}

// TestErrorMessageExample pins the message form the brief gives.
func TestErrorMessageExample(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	advance(h, vin1, "TRANSFERRED_PENDING_EXPORT")
	resp := h.invoke(customs, "RecordEvent", vin1, "DECLARED", "", "c-1")
	assert.True(t, strings.HasPrefix(resp.Message, "ILLEGAL_TRANSITION: DECLARED needs an issued licence and an ACCEPTED filing"), resp.Message)
	assert.True(t, strings.HasSuffix(resp.Message, "; vehicle is TRANSFERRED"), resp.Message)
	assert.Equal(t, "ILLEGAL_TRANSITION: ", chaincode.PrefixIllegalTransition)
}

// Validation and MSP come before the lifecycle guard.
func TestGuardAfterValidationAndACL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fails(chaincode.CodeForbidden, police, "RecordEvent", vin1, "DECLARED", "", "p-1")
	h.fails(chaincode.CodeInvalidArgument, customs, "RecordEvent", vin1, "DECLARED", "md5:x", "c-1")
	h.fails(chaincode.CodeIllegalTransition, customs, "RecordEvent", vin1, "DECLARED", "", "c-1")
	assert.Empty(t, h.snapshot())
}

func TestHoldFreezesProgress(t *testing.T) {
	t.Parallel()
	for _, at := range []string{"", "INSPECTED", "LICENCE_ISSUED", "DECLARED", "RELEASED"} {
		t.Run("held after "+at, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			advance(h, vin1, at)
			before := vehicleState(h, vin1).Status
			e := post(h, vin1, "VEHICLE_HELD")
			assert.Equal(t, "HELD:"+before, e.Status)
			again := post(h, vin1, "VEHICLE_HELD") // a second hit: allowed, no change
			assert.Equal(t, "HELD:"+before, again.Status)
			steps := []string{"TRANSFERRED_PENDING_EXPORT", "DECLARED", "RELEASED", "EXITED"}
			if at == "" || at == "INSPECTED" { // later, the VIN's live licence is a CONFLICT first
				steps = append(steps, "LICENCE_ISSUED")
			}
			for _, step := range steps {
				msg := refused(h, vin1, step)
				assert.Contains(t, msg, "vehicle is HELD:"+before, step)
			}
			// Informational events and the police status still go on the trace while held.
			assert.Equal(t, "HELD:"+before, post(h, vin1, "POLICE_STATUS_CHANGED").Status)
			assert.Equal(t, before, post(h, vin1, "HOLD_RELEASED").Status)
			assert.False(t, vehicleState(h, vin1).Held)
			refused(h, vin1, "HOLD_RELEASED")
		})
	}
	// After release the journey resumes.
	h := newHarness(t)
	advance(h, vin1, "DECLARED")
	post(h, vin1, "VEHICLE_HELD")
	refused(h, vin1, "RELEASED")
	post(h, vin1, "HOLD_RELEASED")
	assert.Equal(t, "RELEASED", post(h, vin1, "RELEASED").Status)
	assert.Equal(t, "EXITED", post(h, vin1, "EXITED").Status)
}

func TestDeclarationNeedsFilingAndLicence(t *testing.T) {
	t.Parallel()
	// No filing at all, licence issued.
	h := newHarness(t)
	post(h, vin1, "TRANSFERRED_PENDING_EXPORT")
	post(h, vin1, "LICENCE_ISSUED")
	assert.Contains(t, refused(h, vin1, "DECLARED"), "ACCEPTED filing")

	// The latest filing is REJECTED: an earlier ACCEPTED one does not count.
	h = newHarness(t)
	advance(h, vin1, "LICENCE_ISSUED")
	args := filingArgs(vin1, "F-REJ")
	args[3] = chaincode.DecisionRejected
	e := decode[chaincode.TraceEvent](t, h.ok(commerce, "RecordFiling", args...))
	assert.Equal(t, "LICENSED", e.Status)
	assert.Equal(t, "REJECTED", vehicleState(h, vin1).LastDecision)
	refused(h, vin1, "DECLARED")
	// A new ACCEPTED filing lets it through.
	h.ok(commerce, "RecordFiling", filingArgs(vin1, "F-ACC")...)
	assert.Equal(t, "DECLARED", post(h, vin1, "DECLARED").Status)

	// ACCEPTED filing but no licence.
	h = newHarness(t)
	advance(h, vin1, "INSPECTED")
	assert.Contains(t, refused(h, vin1, "DECLARED"), "vehicle is INSPECTED")
}

func TestWithdrawAndRedeclare(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	advance(h, vin1, "DECLARED")
	assert.Equal(t, "LICENSED", post(h, vin1, "DECLARATION_WITHDRAWN").Status)
	refused(h, vin1, "DECLARATION_WITHDRAWN")
	refused(h, vin1, "RELEASED")
	// Before a new declaration the vehicle may be inspected again.
	assert.Equal(t, "LICENSED", post(h, vin1, "INSPECTED").Status)
	assert.Equal(t, "DECLARED", post(h, vin1, "DECLARED").Status)
	assert.Equal(t, "RELEASED", post(h, vin1, "RELEASED").Status)
	st := vehicleState(h, vin1)
	assert.True(t, st.Declared && st.Released && st.Licensed && st.Inspected)
}

func TestRevocationAndExpiry(t *testing.T) {
	t.Parallel()
	// Before declaration: the licence is gone, DECLARED is refused until a new one.
	h := newHarness(t)
	advance(h, vin1, "LICENCE_ISSUED")
	no := decode[chaincode.Licence](t, h.ok(customs, "LicenceForVIN", vin1)).LicenceNo
	r := decode[chaincode.Licence](t, h.ok(commerce, "RevokeLicence", no, "FRAUD", "m-1"))
	assert.Equal(t, chaincode.LicenceRevoked, r.Status)
	e := lastEvent(h, vin1)
	assert.Equal(t, chaincode.EventLicenceRevoked, e.Type)
	assert.Equal(t, "INSPECTED", e.Status)
	assert.False(t, vehicleState(h, vin1).Licensed)
	assert.Contains(t, refused(h, vin1, "DECLARED"), "vehicle is INSPECTED")
	post(h, vin1, "LICENCE_ISSUED")
	assert.Equal(t, "DECLARED", post(h, vin1, "DECLARED").Status)

	// After declaration: the licence was used, the vehicle keeps it.
	h = newHarness(t)
	advance(h, vin1, "DECLARED")
	no = decode[chaincode.Licence](t, h.ok(customs, "LicenceForVIN", vin1)).LicenceNo
	h.ok(commerce, "RevokeLicence", no, "FRAUD", "m-1")
	assert.Equal(t, "DECLARED", lastEvent(h, vin1).Status)
	assert.True(t, vehicleState(h, vin1).Licensed)
	assert.Equal(t, "RELEASED", post(h, vin1, "RELEASED").Status)

	// Expiry works the same way.
	h = newHarness(t)
	advance(h, vin1, "LICENCE_ISSUED")
	assert.Equal(t, "INSPECTED", post(h, vin1, "LICENCE_EXPIRED").Status)
	refused(h, vin1, "DECLARED")
	h = newHarness(t)
	advance(h, vin1, "DECLARED")
	assert.Equal(t, "DECLARED", post(h, vin1, "LICENCE_EXPIRED").Status)

	// A licence for a vehicle already declared is refused whole, naming the line.
	h = newHarness(t)
	advance(h, vin2, "DECLARED")
	post(h, vin2, "REVOKE") // free the VIN, else CONFLICT comes first
	before := h.snapshot()
	msg := h.fails(chaincode.CodeIllegalTransition, commerce, "IssueLicence", licenceJSON(t, "26-GD-000001", vin1, vin2))
	assert.True(t, strings.HasPrefix(msg, "lines[1].vin: LICENCE_ISSUED needs "), msg)
	assert.Equal(t, before, h.snapshot())
	h.fails(chaincode.CodeNotFound, customs, "LicenceForVIN", vin1)
}

func TestBatchLifecycle(t *testing.T) {
	t.Parallel()
	// Police posts the transfer, commerce inspects, in one batch each: items of one VIN see
	// the earlier items' effects.
	h := newHarness(t)
	msg := h.fails(chaincode.CodeIllegalTransition, commerce, "RecordBatch", toJSON(t, []chaincode.BatchItem{eventItem(vin1, "INSPECTED")}))
	assert.True(t, strings.HasPrefix(msg, "items[0]: INSPECTED needs "), msg)
	assert.True(t, strings.HasSuffix(msg, "; vehicle is NEW"), msg)
	assert.Empty(t, h.snapshot())

	res := decode[chaincode.BatchResult](t, h.ok(police, "RecordBatch", toJSON(t, []chaincode.BatchItem{
		eventItem(vin1, "TRANSFERRED_PENDING_EXPORT"), eventItem(vin1, "VEHICLE_HELD"), eventItem(vin1, "HOLD_RELEASED"),
		eventItem(vin2, "TRANSFERRED_PENDING_EXPORT"),
	})))
	assert.Equal(t, []int{0, 1, 2, 0}, res.Seqs)
	assert.Equal(t, []string{"TRANSFERRED", "HELD:TRANSFERRED", "TRANSFERRED", "TRANSFERRED"}, res.Statuses)

	// A batch whose second item relies on the first, and one that refuses an item midway.
	res = decode[chaincode.BatchResult](t, h.ok(commerce, "RecordBatch", toJSON(t, []chaincode.BatchItem{
		filingItem(vin1, "F1"), eventItem(vin1, "INSPECTED"), eventItem(vin1, "INSPECTED"),
	})))
	assert.Equal(t, []string{"TRANSFERRED", "INSPECTED", "INSPECTED"}, res.Statuses)
	before := h.snapshot()
	msg = h.fails(chaincode.CodeIllegalTransition, police, "RecordBatch", toJSON(t, []chaincode.BatchItem{
		eventItem(vin2, "VEHICLE_HELD"), eventItem(vin2, "TRANSFERRED_PENDING_EXPORT"),
	}))
	assert.True(t, strings.HasPrefix(msg, "items[1]: TRANSFERRED_PENDING_EXPORT needs "), msg)
	assert.True(t, strings.HasSuffix(msg, "; vehicle is HELD:TRANSFERRED"), msg)
	assert.Equal(t, before, h.snapshot())

	// A fresh VIN: [TRANSFERRED] by police then [INSPECTED] by commerce, as separate batches
	// since one batch has one caller.
	h = newHarness(t)
	h.ok(police, "RecordBatch", toJSON(t, []chaincode.BatchItem{eventItem(vin3, "TRANSFERRED_PENDING_EXPORT")}))
	h.ok(commerce, "RecordBatch", toJSON(t, []chaincode.BatchItem{eventItem(vin3, "INSPECTED")}))
	assert.Equal(t, "INSPECTED", vehicleState(h, vin3).Status)
}

// The state is written only when it changes, and after the event and head.
func TestStateWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keys := func() []string {
		var out []string
		for _, w := range h.log {
			out = append(out, w.Key)
		}
		h.log = nil
		return out
	}
	post(h, vin1, "POLICE_STATUS_CHANGED")
	assert.Equal(t, []string{"vehicle~" + vin1 + "~0000000000", "vehicle~" + vin1}, keys(), "no change, no state write")
	assert.NotContains(t, h.stub.state, "vstate~"+vin1)
	post(h, vin1, "TRANSFERRED_PENDING_EXPORT")
	assert.Equal(t, []string{"vehicle~" + vin1 + "~0000000001", "vehicle~" + vin1, "vstate~" + vin1}, keys())
	post(h, vin1, "VEHICLE_HELD")
	keys()
	post(h, vin1, "VEHICLE_HELD")
	assert.Len(t, keys(), 2, "holding a held vehicle changes nothing")
	assert.JSONEq(t, `{"transferred":true,"inspected":false,"licensed":false,"declared":false,"released":false,"exited":false,`+
		`"deregistered":false,"returned":false,"closed":false,"held":true,"status":"HELD:TRANSFERRED"}`, string(h.stub.state["vstate~"+vin1]))
}
