package chaincode

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// vehicleStateKey is the key of a VIN's lifecycle state (VehicleState JSON; absent means the
// zero state, status NEW).
func vehicleStateKey(vin string) string { return "vstate~" + vin }

// Vehicle statuses, furthest first: a vehicle's status is the furthest fact it has reached
// (see VehicleState.StatusOf), prefixed by StatusHeldPrefix while it is held.
const (
	StatusClosed       = "CLOSED"
	StatusReturned     = "RETURNED"
	StatusDeregistered = "DEREGISTERED"
	StatusExited       = "EXITED"
	StatusReleased     = "RELEASED"
	StatusDeclared     = "DECLARED"
	StatusLicensed     = "LICENSED"
	StatusInspected    = "INSPECTED"
	StatusTransferred  = "TRANSFERRED"
	StatusNew          = "NEW"
	// StatusHeldPrefix precedes the status of a held vehicle, as in "HELD:LICENSED".
	StatusHeldPrefix = "HELD:"
)

// VehicleState is a vehicle's lifecycle (brief §8.2) as a set of facts, stored under
// vstate~<VIN>. LastDecision is the decision of the vehicle's latest anchored filing. Status
// is computed from the facts (StatusOf) each time the state is written or read.
type VehicleState struct {
	Transferred  bool   `json:"transferred"`
	Inspected    bool   `json:"inspected"`
	Licensed     bool   `json:"licensed"`
	Declared     bool   `json:"declared"`
	Released     bool   `json:"released"`
	Exited       bool   `json:"exited"`
	Deregistered bool   `json:"deregistered"`
	Returned     bool   `json:"returned"`
	Closed       bool   `json:"closed"`
	Held         bool   `json:"held"`
	LastDecision string `json:"lastDecision,omitempty" metadata:",optional"`
	Status       string `json:"status"`
}

// StatusOf returns the status the facts of s give: the furthest fact in the order CLOSED,
// RETURNED, DEREGISTERED, EXITED, RELEASED, DECLARED, LICENSED, INSPECTED, TRANSFERRED, else
// NEW; prefixed "HELD:" while held.
func (s *VehicleState) StatusOf() string {
	st := StatusNew
	switch {
	case s.Closed:
		st = StatusClosed
	case s.Returned:
		st = StatusReturned
	case s.Deregistered:
		st = StatusDeregistered
	case s.Exited:
		st = StatusExited
	case s.Released:
		st = StatusReleased
	case s.Declared:
		st = StatusDeclared
	case s.Licensed:
		st = StatusLicensed
	case s.Inspected:
		st = StatusInspected
	case s.Transferred:
		st = StatusTransferred
	}
	if s.Held {
		return StatusHeldPrefix + st
	}
	return st
}

// transition is one row of the lifecycle table: the guard an event needs (allowed), what it
// needs in words (for the ILLEGAL_TRANSITION message), and its effect on the facts.
type transition struct {
	allowed func(s *VehicleState) bool
	needs   string
	apply   func(s *VehicleState, e *TraceEvent)
}

func notClosed(s *VehicleState) bool      { return !s.Closed }
func noChange(*VehicleState, *TraceEvent) {}

// informational is the row of the events that record a fact about the vehicle without moving
// it: allowed until the vehicle is closed.
var informational = transition{allowed: notClosed, needs: "an open (not CLOSED) vehicle", apply: noChange}

// lifecycle is the one table of the lifecycle's transitions: every event type the contract
// writes, with its guard and effect. The map is only looked up, never ranged over.
var lifecycle = map[string]transition{
	// Exporter filing, anchored by commerce (RecordFiling): no fact changes, but DECLARED
	// needs the latest decision to be ACCEPTED. Always allowed, even on a closed vehicle:
	// every filing decision the gateway takes is anchored (a late filing is still a fact).
	EventFiled: {
		allowed: func(*VehicleState) bool { return true }, needs: "nothing",
		apply: func(s *VehicleState, e *TraceEvent) { s.LastDecision = e.Decision },
	},
	// Police: 转让待出口.
	"TRANSFERRED_PENDING_EXPORT": {
		allowed: func(s *VehicleState) bool { return !s.Transferred && !s.Held && !s.Closed },
		needs:   "a vehicle not yet transferred, not held and not closed",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Transferred = true },
	},
	// Commerce: inspection report; re-inspection before declaration is allowed.
	"INSPECTED": {
		allowed: func(s *VehicleState) bool { return s.Transferred && !s.Declared && !s.Held },
		needs:   "a transfer pending export, no declaration yet and no hold",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Inspected = true },
	},
	// Commerce (IssueLicence). ASSUMPTION: no earlier fact is required, because the licence
	// registry also carries licences whose earlier steps (filing, transfer, inspection) were
	// not reported through UCX.
	EventLicenceIssued: {
		allowed: func(s *VehicleState) bool { return !s.Declared && !s.Held && !s.Closed },
		needs:   "no declaration yet, no hold and an open (not CLOSED) vehicle",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Licensed = true },
	},
	// Commerce (RevokeLicence) and the expiry event: a licence already used for a
	// declaration stays used.
	EventLicenceRevoked: {allowed: notClosed, needs: "an open (not CLOSED) vehicle", apply: dropLicence},
	"LICENCE_EXPIRED":   {allowed: notClosed, needs: "an open (not CLOSED) vehicle", apply: dropLicence},
	// Customs.
	"DECLARED": {
		allowed: func(s *VehicleState) bool {
			return s.Licensed && s.LastDecision == DecisionAccepted && !s.Declared && !s.Held
		},
		needs: "an issued licence and an ACCEPTED filing, no live declaration and no hold",
		apply: func(s *VehicleState, _ *TraceEvent) { s.Declared = true },
	},
	"DECLARATION_WITHDRAWN": {
		allowed: func(s *VehicleState) bool { return s.Declared && !s.Released },
		needs:   "a declaration not yet released",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Declared = false },
	},
	"RELEASED": {
		allowed: func(s *VehicleState) bool { return s.Declared && !s.Released && !s.Held },
		needs:   "a declaration not yet released and no hold",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Released = true },
	},
	"EXITED": {
		allowed: func(s *VehicleState) bool { return s.Released && !s.Exited && !s.Held },
		needs:   "a release, no exit yet and no hold",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Exited = true },
	},
	"RETURNED": {
		allowed: func(s *VehicleState) bool { return s.Released && !s.Returned && !s.Closed },
		needs:   "a release, no return yet and an open (not CLOSED) vehicle",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Returned = true },
	},
	// Police: 注销登记.
	"DEREGISTERED": {
		allowed: func(s *VehicleState) bool { return s.Exited && !s.Deregistered },
		needs:   "an exit and no deregistration yet",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Deregistered = true },
	},
	// Commerce: the export file is closed.
	"CLOSED": {
		allowed: func(s *VehicleState) bool { return (s.Deregistered || s.Returned) && !s.Closed },
		needs:   "a deregistration or a return, and a vehicle not yet closed",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Closed = true },
	},
	// Police: stolen (盗抢) or seized (查封) hit freezes the vehicle at any step; holding a
	// held vehicle again is allowed and changes nothing.
	"VEHICLE_HELD": {
		allowed: notClosed, needs: "an open (not CLOSED) vehicle",
		apply: func(s *VehicleState, _ *TraceEvent) { s.Held = true },
	},
	"HOLD_RELEASED": {
		allowed: func(s *VehicleState) bool { return s.Held },
		needs:   "a held vehicle",
		apply:   func(s *VehicleState, _ *TraceEvent) { s.Held = false },
	},
	// Informational events.
	"POLICE_STATUS_CHANGED": informational,
	"CLEARANCE_CHECKED":     informational,
	"AFTER_SALES_CONFIRMED": informational,
	"LICENCE_APPLIED":       informational,
	"DEADLINE_PASSED":       informational,
}

func dropLicence(s *VehicleState, _ *TraceEvent) {
	if !s.Declared {
		s.Licensed = false
	}
}

// vehicleState returns the VIN's state as this transaction sees it: read once through the
// transaction's view, then kept (and updated by advance) for later events of the same VIN.
func (t *txn) vehicleState(vin string) (*VehicleState, error) {
	if s, ok := t.states[vin]; ok {
		return s, nil
	}
	b, err := t.get(vehicleStateKey(vin))
	if err != nil {
		return nil, err
	}
	s, err := decodeVehicleState(b, vin)
	if err != nil {
		return nil, err
	}
	t.states[vin] = s
	return s, nil
}

func decodeVehicleState(b []byte, vin string) (*VehicleState, error) {
	s := &VehicleState{}
	if b != nil {
		if err := json.Unmarshal(b, s); err != nil {
			return nil, fmt.Errorf("corrupt state of %s: %w", vin, err)
		}
	}
	s.Status = s.StatusOf()
	return s, nil
}

// transition checks e (a validated event of its VIN, about to be appended) against the
// lifecycle table: ILLEGAL_TRANSITION when the guard refuses it. Otherwise it sets e.Status to
// the vehicle's status after the event and returns the state as read and as the event leaves
// it; appendEvent stores the latter only when it differs. A refused event changes nothing.
func (t *txn) transition(e *TraceEvent) (cur *VehicleState, next VehicleState, err error) {
	tr, ok := lifecycle[e.Type]
	if !ok {
		return nil, next, fmt.Errorf("no lifecycle rule for event type %s", e.Type)
	}
	cur, err = t.vehicleState(e.VIN)
	if err != nil {
		return nil, next, err
	}
	if !tr.allowed(cur) {
		return nil, next, fail(CodeIllegalTransition, "%s needs %s; vehicle is %s", e.Type, tr.needs, cur.StatusOf())
	}
	next = *cur
	tr.apply(&next, e)
	next.Status = next.StatusOf()
	e.Status = next.Status
	return cur, next, nil
}

// GetVehicleState returns a VIN's lifecycle state with its status; an unknown VIN has the
// zero state (status NEW). Errors: INVALID_ARGUMENT.
func (c *Contract) GetVehicleState(ctx contractapi.TransactionContextInterface, vin string) (*VehicleState, error) {
	if err := checkVIN("vin", vin); err != nil {
		return nil, err
	}
	b, err := getState(ctx.GetStub(), vehicleStateKey(vin))
	if err != nil {
		return nil, err
	}
	return decodeVehicleState(b, vin)
}
