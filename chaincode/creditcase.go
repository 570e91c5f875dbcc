package chaincode

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Objections (异议), credit repair (信用修复), suspensions and the credit change feed
// (issue 6 §5, §6). Keys:
//
//	creditcase~<USCC>          number of cases of the exporter (decimal)
//	creditcase~<USCC>~<seq>    CreditCase JSON, seq zero-padded to 6 digits, from 0
//	creditopen~<eventID>       the ID of the open case about a credit event
//	creditstatus~<USCC>        ExporterStatus JSON (absent: never suspended)
//	creditfeed                 number of credit changes (decimal)
//	creditfeed~<seq>           CreditChange JSON, seq zero-padded to 12 digits, from 1
//
// Exporters are not members of the network: the gateway (CommerceMSP) files an exporter's
// objection or repair application for it, with the exporter's representative as actor, and
// commerce decides. The time limits (objection window, repair waiting period, the review SLA
// in working days) need the holiday calendar and are checked by the gateway; the contract
// keeps the state machine: one open case per event, an objection only to an ACTIVE
// deduction, a repair only of an ACTIVE deduction, one extension, one decision.
func creditCaseHeadKey(uscc string) string      { return "creditcase~" + uscc }
func creditCaseKey(uscc string, seq int) string { return fmt.Sprintf("creditcase~%s~%06d", uscc, seq) }
func creditOpenKey(eventID string) string       { return "creditopen~" + eventID }
func creditStatusKey(uscc string) string        { return "creditstatus~" + uscc }
func creditFeedKey(seq int) string              { return fmt.Sprintf("creditfeed~%012d", seq) }
func creditCaseID(uscc string, seq int) string  { return fmt.Sprintf("%s-C%06d", uscc, seq) }

const creditFeedHeadKey = "creditfeed"

// Case kinds, case statuses and decision outcomes.
const (
	CaseObjection = "OBJECTION"
	CaseRepair    = "REPAIR"

	CaseOpen    = "OPEN"
	CaseDecided = "DECIDED"

	OutcomeUpheld   = "UPHELD"
	OutcomePartial  = "PARTIAL" // objections only: the event's points are lowered
	OutcomeRejected = "REJECTED"
)

// Credit event statuses (gateway/credit's).
const (
	EventActive   = "ACTIVE"
	EventDisputed = "DISPUTED"
	EventRevoked  = "REVOKED"
	EventRepaired = "REPAIRED"
)

// Exporter statuses set by commerce.
const (
	ExporterActive    = "ACTIVE"
	ExporterSuspended = "SUSPENDED"
)

// Credit change kinds (gateway.Change*).
const (
	ChangeEventRecorded     = "EVENT_RECORDED"
	ChangeObjectionFiled    = "OBJECTION_FILED"
	ChangeRepairFiled       = "REPAIR_FILED"
	ChangeCaseExtended      = "CASE_EXTENDED"
	ChangeCaseDecided       = "CASE_DECIDED"
	ChangeExporterSuspended = "EXPORTER_SUSPENDED"
	ChangeExporterReinstate = "EXPORTER_REINSTATED"
)

// CreditCaseInput is what FileCreditCase takes.
type CreditCaseInput struct {
	Kind    string `json:"kind"`
	EventID string `json:"eventId"`
	// EvidenceHash: SHA-256 of the exporter's evidence (required).
	EvidenceHash string `json:"evidenceHash"`
	// CommitmentHash: SHA-256 of the signed credit commitment (信用承诺); required for REPAIR.
	CommitmentHash string `json:"commitmentHash,omitempty"`
	Actor          string `json:"actor"`
}

// CaseExtension is the one extension of a case's time limit.
type CaseExtension struct {
	Reason    string `json:"reason"`
	Actor     string `json:"actor"`
	TxID      string `json:"txId"`
	Timestamp string `json:"timestamp"`
}

// CaseDecision is commerce's decision on a case.
type CaseDecision struct {
	Outcome string `json:"outcome"`
	// Points: the event's points after a PARTIAL decision.
	Points       int    `json:"points,omitempty" metadata:",optional"`
	Reviewer     string `json:"reviewer"`
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
	// EventStatus: the event's status after the decision.
	EventStatus string `json:"eventStatus"`
	TxID        string `json:"txId"`
	Timestamp   string `json:"timestamp"`
}

// CreditCase is an objection or a repair application and what became of it.
type CreditCase struct {
	ID             string         `json:"id"`
	Seq            int            `json:"seq"`
	Kind           string         `json:"kind"`
	ExporterUSCC   string         `json:"exporterUscc"`
	EventID        string         `json:"eventId"`
	EventCode      string         `json:"eventCode"`
	EvidenceHash   string         `json:"evidenceHash"`
	CommitmentHash string         `json:"commitmentHash,omitempty" metadata:",optional"`
	Actor          string         `json:"actor"`
	Status         string         `json:"status"`
	MSPID          string         `json:"mspId"`
	TxID           string         `json:"txId"`
	Timestamp      string         `json:"timestamp"`
	Extension      *CaseExtension `json:"extension,omitempty" metadata:",optional"`
	Decision       *CaseDecision  `json:"decision,omitempty" metadata:",optional"`
}

// CaseExtensionInput is what ExtendCreditCase takes.
type CaseExtensionInput struct {
	CaseID string `json:"caseId"`
	Reason string `json:"reason"`
	Actor  string `json:"actor"`
}

// CaseDecisionInput is what DecideCreditCase takes.
type CaseDecisionInput struct {
	CaseID       string `json:"caseId"`
	Outcome      string `json:"outcome"`
	Points       int    `json:"points,omitempty"`
	Reviewer     string `json:"reviewer"`
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
}

// ExporterStatusInput is what SetExporterStatus takes.
type ExporterStatusInput struct {
	ExporterUSCC string `json:"exporterUscc"`
	Status       string `json:"status"`
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
	Actor        string `json:"actor"`
}

// ExporterStatus is commerce's latest suspension or reinstatement of an exporter.
type ExporterStatus struct {
	ExporterUSCC string `json:"exporterUscc"`
	Status       string `json:"status"`
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
	Actor        string `json:"actor"`
	MSPID        string `json:"mspId"`
	TxID         string `json:"txId"`
	Timestamp    string `json:"timestamp"`
}

// CreditChange is one entry of the credit change feed.
type CreditChange struct {
	Seq          int    `json:"seq"`
	ExporterUSCC string `json:"exporterUscc"`
	Kind         string `json:"kind"`
	Ref          string `json:"ref"`
	TxID         string `json:"txId"`
	Timestamp    string `json:"timestamp"`
}

// CreditFile is everything the ledger holds on an exporter's credit, read in one call.
type CreditFile struct {
	ExporterUSCC string          `json:"exporterUscc"`
	Events       []*CreditEvent  `json:"events"`
	Cases        []*CreditCase   `json:"cases"`
	Status       *ExporterStatus `json:"status,omitempty" metadata:",optional"`
	// Grade: the grade last published (PublishGrade); absent before the first.
	Grade *PublishedGrade `json:"grade,omitempty" metadata:",optional"`
}

// splitCreditID splits "<USCC>-<seq>" (an event) or "<USCC>-C<seq>" (a case, prefix "C")
// into the USCC and the sequence number; seq is -1 when the ID is malformed.
func splitCreditID(id, prefix string) (string, int) {
	uscc, rest, ok := strings.Cut(id, "-")
	rest, okp := strings.CutPrefix(rest, prefix)
	if !ok || !okp || len(rest) != 6 || checkUSCC("id", uscc) != nil {
		return "", -1
	}
	n := 0
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return "", -1
		}
		n = 10*n + int(rest[i]-'0')
	}
	return uscc, n
}

// checkText checks a short reason for a decision: 1..500 characters of valid UTF-8 without
// control characters. It is a reviewer's reasoning, never personal data (the gateway says so
// to reviewers); the evidence itself stays off the ledger, only its hash is here.
func checkText(field, s string) error { return checkFreeText(field, s, 500) }

// appendChange appends a change to the credit feed.
func (t *txn) appendChange(uscc, kind, ref string) error {
	head, err := t.get(creditFeedHeadKey)
	if err != nil {
		return err
	}
	n, err := readHead(head, "the credit feed")
	if err != nil {
		return err
	}
	n++
	if err := t.putJSON(creditFeedKey(n), &CreditChange{Seq: n, ExporterUSCC: uscc, Kind: kind, Ref: ref, TxID: t.txID, Timestamp: t.now}); err != nil {
		return err
	}
	t.put(creditFeedHeadKey, []byte(strconv.Itoa(n)))
	return nil
}

// creditEvent reads a recorded credit event by ID; NOT_FOUND when absent.
func (t *txn) creditEvent(field, id string) (*CreditEvent, string, error) {
	uscc, seq := splitCreditID(id, "")
	if seq < 0 {
		return nil, "", fail(CodeInvalidArgument, "%s: must be a credit event ID <USCC>-<6 digits>", field)
	}
	key := creditEventKey(uscc, seq)
	b, err := t.get(key)
	if err != nil {
		return nil, "", err
	}
	if b == nil {
		return nil, "", fail(CodeNotFound, "credit event %s not found", id)
	}
	var e CreditEvent
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, "", fmt.Errorf("credit event %s: corrupt", id)
	}
	return &e, key, nil
}

// FileCreditCase files an exporter's objection to a credit event or its application to
// repair one. CommerceMSP only (the gateway files for the exporter). An objection sets the
// event DISPUTED. Errors: INVALID_ARGUMENT, FORBIDDEN, NOT_FOUND (no such event), CONFLICT
// (a case about the event is open, or the event's status does not allow the case).
func (c *Contract) FileCreditCase(ctx contractapi.TransactionContextInterface, caseJSON string) (*CreditCase, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	var in CreditCaseInput
	if err := decodeStrict("case", caseJSON, &in); err != nil {
		return nil, err
	}
	if in.Kind != CaseObjection && in.Kind != CaseRepair {
		return nil, fail(CodeInvalidArgument, "kind: must be OBJECTION or REPAIR")
	}
	if err := checkHash("evidenceHash", in.EvidenceHash, true); err != nil {
		return nil, err
	}
	if err := checkHash("commitmentHash", in.CommitmentHash, in.Kind == CaseRepair); err != nil {
		return nil, err
	}
	if err := checkActor("actor", in.Actor); err != nil {
		return nil, err
	}
	if err := requireMSP(t.mspID, MSPCommerce, "file a credit case"); err != nil {
		return nil, err
	}
	ev, evKey, err := t.creditEvent("eventId", in.EventID)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(ev.Code, "B") {
		return nil, fail(CodeInvalidArgument, "eventId: %s is a bonus, not a deduction", ev.Code)
	}
	open, err := t.get(creditOpenKey(ev.ID))
	if err != nil {
		return nil, err
	}
	if open != nil {
		return nil, fail(CodeConflict, "case %s about %s is still open", open, ev.ID)
	}
	if ev.Status != EventActive {
		return nil, fail(CodeConflict, "%s is %s: only an ACTIVE event can be objected to or repaired", ev.ID, ev.Status)
	}
	uscc := ev.ExporterUSCC
	head, err := t.get(creditCaseHeadKey(uscc))
	if err != nil {
		return nil, err
	}
	n, err := readHead(head, "credit cases of "+uscc)
	if err != nil {
		return nil, err
	}
	cs := &CreditCase{ID: creditCaseID(uscc, n), Seq: n, Kind: in.Kind, ExporterUSCC: uscc, EventID: ev.ID, EventCode: ev.Code,
		EvidenceHash: in.EvidenceHash, CommitmentHash: in.CommitmentHash, Actor: in.Actor, Status: CaseOpen,
		MSPID: t.mspID, TxID: t.txID, Timestamp: t.now}
	if err := t.putJSON(creditCaseKey(uscc, n), cs); err != nil {
		return nil, err
	}
	t.put(creditCaseHeadKey(uscc), []byte(strconv.Itoa(n+1)))
	t.put(creditOpenKey(ev.ID), []byte(cs.ID))
	kind := ChangeRepairFiled
	if in.Kind == CaseObjection {
		kind = ChangeObjectionFiled
		ev.Status = EventDisputed
		if err := t.putJSON(evKey, ev); err != nil {
			return nil, err
		}
	}
	if err := t.appendChange(uscc, kind, cs.ID); err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return cs, nil
}

// openCase reads a case by ID for a decision or an extension; CONFLICT when decided.
func (t *txn) openCase(id string) (*CreditCase, string, error) {
	uscc, seq := splitCreditID(id, "C")
	if seq < 0 {
		return nil, "", fail(CodeInvalidArgument, "caseId: must be a case ID <USCC>-C<6 digits>")
	}
	key := creditCaseKey(uscc, seq)
	b, err := t.get(key)
	if err != nil {
		return nil, "", err
	}
	if b == nil {
		return nil, "", fail(CodeNotFound, "credit case %s not found", id)
	}
	var cs CreditCase
	if err := json.Unmarshal(b, &cs); err != nil {
		return nil, "", fmt.Errorf("credit case %s: corrupt", id)
	}
	if cs.Status != CaseOpen {
		return nil, "", fail(CodeConflict, "credit case %s is already decided", id)
	}
	return &cs, key, nil
}

// ExtendCreditCase records the one extension of an open case's time limit, with a reason.
// CommerceMSP only. Errors: INVALID_ARGUMENT, FORBIDDEN, NOT_FOUND, CONFLICT (decided or
// already extended).
func (c *Contract) ExtendCreditCase(ctx contractapi.TransactionContextInterface, extensionJSON string) (*CreditCase, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	var in CaseExtensionInput
	if err := decodeStrict("extension", extensionJSON, &in); err != nil {
		return nil, err
	}
	if err := checkText("reason", in.Reason); err != nil {
		return nil, err
	}
	if err := checkActor("actor", in.Actor); err != nil {
		return nil, err
	}
	if err := requireMSP(t.mspID, MSPCommerce, "extend a credit case"); err != nil {
		return nil, err
	}
	cs, key, err := t.openCase(in.CaseID)
	if err != nil {
		return nil, err
	}
	if cs.Extension != nil {
		return nil, fail(CodeConflict, "credit case %s was already extended once", cs.ID)
	}
	cs.Extension = &CaseExtension{Reason: in.Reason, Actor: in.Actor, TxID: t.txID, Timestamp: t.now}
	if err := t.putJSON(key, cs); err != nil {
		return nil, err
	}
	if err := t.appendChange(cs.ExporterUSCC, ChangeCaseExtended, cs.ID); err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return cs, nil
}

// DecideCreditCase records commerce's decision on an open case and sets the event's status:
// an objection UPHELD revokes the event (REVOKED), PARTIAL lowers its points (ACTIVE again,
// 0 < points < the code's points; not for direct-D events), REJECTED makes it ACTIVE again;
// a repair UPHELD marks it REPAIRED, REJECTED leaves it ACTIVE (PARTIAL is not a repair
// outcome). CommerceMSP only. Errors: INVALID_ARGUMENT, FORBIDDEN, NOT_FOUND, CONFLICT.
func (c *Contract) DecideCreditCase(ctx contractapi.TransactionContextInterface, decisionJSON string) (*CreditCase, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	var in CaseDecisionInput
	if err := decodeStrict("decision", decisionJSON, &in); err != nil {
		return nil, err
	}
	switch in.Outcome {
	case OutcomeUpheld, OutcomePartial, OutcomeRejected:
	default:
		return nil, fail(CodeInvalidArgument, "outcome: must be UPHELD, PARTIAL or REJECTED")
	}
	if in.Outcome != OutcomePartial && in.Points != 0 {
		return nil, fail(CodeInvalidArgument, "points: only a PARTIAL decision sets points")
	}
	if err := checkActor("reviewer", in.Reviewer); err != nil {
		return nil, err
	}
	if err := checkText("reason", in.Reason); err != nil {
		return nil, err
	}
	if err := checkHash("evidenceHash", in.EvidenceHash, true); err != nil {
		return nil, err
	}
	if err := requireMSP(t.mspID, MSPCommerce, "decide a credit case"); err != nil {
		return nil, err
	}
	cs, key, err := t.openCase(in.CaseID)
	if err != nil {
		return nil, err
	}
	ev, evKey, err := t.creditEvent("eventId", cs.EventID)
	if err != nil {
		return nil, err
	}
	status := EventActive
	switch {
	case in.Outcome == OutcomeUpheld && cs.Kind == CaseObjection:
		status = EventRevoked
	case in.Outcome == OutcomeUpheld:
		status = EventRepaired
	case in.Outcome == OutcomePartial && cs.Kind == CaseRepair:
		return nil, fail(CodeInvalidArgument, "outcome: PARTIAL decides objections only; a repair is UPHELD or REJECTED")
	case in.Outcome == OutcomePartial:
		_, full, _ := CreditRecorder(ev.Code)
		if full == 0 {
			return nil, fail(CodeInvalidArgument, "outcome: %s is a direct-D event without points; decide UPHELD or REJECTED", ev.Code)
		}
		if in.Points <= 0 || in.Points >= full {
			return nil, fail(CodeInvalidArgument, "points: a PARTIAL decision on %s sets 1 to %d points", ev.Code, full-1)
		}
		ev.Points = in.Points
	}
	ev.Status = status
	cs.Status = CaseDecided
	cs.Decision = &CaseDecision{Outcome: in.Outcome, Points: in.Points, Reviewer: in.Reviewer, Reason: in.Reason,
		EvidenceHash: in.EvidenceHash, EventStatus: status, TxID: t.txID, Timestamp: t.now}
	if err := t.putJSON(key, cs); err != nil {
		return nil, err
	}
	if err := t.putJSON(evKey, ev); err != nil {
		return nil, err
	}
	t.put(creditOpenKey(ev.ID), nil)
	if err := t.appendChange(cs.ExporterUSCC, ChangeCaseDecided, cs.ID); err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return cs, nil
}

// SetExporterStatus suspends (SUSPENDED) or reinstates (ACTIVE) an exporter, with a reason
// and evidence. CommerceMSP only. A suspended exporter's new filings are refused whatever
// its score. Errors: INVALID_ARGUMENT, FORBIDDEN, CONFLICT (already in that status).
func (c *Contract) SetExporterStatus(ctx contractapi.TransactionContextInterface, statusJSON string) (*ExporterStatus, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	var in ExporterStatusInput
	if err := decodeStrict("status", statusJSON, &in); err != nil {
		return nil, err
	}
	if err := checkUSCC("exporterUscc", in.ExporterUSCC); err != nil {
		return nil, err
	}
	if in.Status != ExporterSuspended && in.Status != ExporterActive {
		return nil, fail(CodeInvalidArgument, "status: must be SUSPENDED or ACTIVE")
	}
	if err := checkText("reason", in.Reason); err != nil {
		return nil, err
	}
	if err := checkHash("evidenceHash", in.EvidenceHash, true); err != nil {
		return nil, err
	}
	if err := checkActor("actor", in.Actor); err != nil {
		return nil, err
	}
	if err := requireMSP(t.mspID, MSPCommerce, "suspend or reinstate an exporter"); err != nil {
		return nil, err
	}
	prev, err := t.get(creditStatusKey(in.ExporterUSCC))
	if err != nil {
		return nil, err
	}
	cur := ExporterActive
	if prev != nil {
		var p ExporterStatus
		if err := json.Unmarshal(prev, &p); err != nil {
			return nil, fmt.Errorf("exporter status of %s: corrupt", in.ExporterUSCC)
		}
		cur = p.Status
	}
	if cur == in.Status {
		return nil, fail(CodeConflict, "exporter %s is already %s", in.ExporterUSCC, cur)
	}
	st := &ExporterStatus{ExporterUSCC: in.ExporterUSCC, Status: in.Status, Reason: in.Reason, EvidenceHash: in.EvidenceHash,
		Actor: in.Actor, MSPID: t.mspID, TxID: t.txID, Timestamp: t.now}
	if err := t.putJSON(creditStatusKey(in.ExporterUSCC), st); err != nil {
		return nil, err
	}
	kind := ChangeExporterReinstate
	if in.Status == ExporterSuspended {
		kind = ChangeExporterSuspended
	}
	if err := t.appendChange(in.ExporterUSCC, kind, in.ExporterUSCC); err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return st, nil
}

// GetCreditFile returns an exporter's credit events (at most MaxCreditEvents, the latest),
// its cases (at most MaxCreditEvents, the latest), its status and its published grade, in one
// read. Errors: INVALID_ARGUMENT.
func (c *Contract) GetCreditFile(ctx contractapi.TransactionContextInterface, uscc string) (*CreditFile, error) {
	events, err := c.GetCreditEvents(ctx, uscc)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	f := &CreditFile{ExporterUSCC: uscc, Events: events, Cases: []*CreditCase{}}
	head, err := getState(stub, creditCaseHeadKey(uscc))
	if err != nil {
		return nil, err
	}
	n, err := readHead(head, "credit cases of "+uscc)
	if err != nil {
		return nil, err
	}
	for seq := max(0, n-MaxCreditEvents); seq < n; seq++ {
		var cs CreditCase
		if err := getJSON(stub, creditCaseKey(uscc, seq), &cs); err != nil {
			return nil, err
		}
		f.Cases = append(f.Cases, &cs)
	}
	if b, err := getState(stub, creditStatusKey(uscc)); err != nil {
		return nil, err
	} else if b != nil {
		f.Status = &ExporterStatus{}
		if err := json.Unmarshal(b, f.Status); err != nil {
			return nil, fmt.Errorf("exporter status of %s: corrupt", uscc)
		}
	}
	if b, err := getState(stub, creditGradeKey(uscc)); err != nil {
		return nil, err
	} else if b != nil {
		f.Grade = &PublishedGrade{}
		if err := json.Unmarshal(b, f.Grade); err != nil {
			return nil, fmt.Errorf("published grade of %s: corrupt", uscc)
		}
	}
	return f, nil
}

// getJSON reads a key that must hold JSON (an entry a head counter promises).
func getJSON(stub shim.ChaincodeStubInterface, key string, v any) error {
	b, err := getState(stub, key)
	if err != nil {
		return err
	}
	if b == nil || json.Unmarshal(b, v) != nil {
		return fmt.Errorf("%s: missing or corrupt", key)
	}
	return nil
}

// MaxCreditChanges caps what GetCreditChanges returns in one call.
const MaxCreditChanges = 1000

// GetCreditChanges returns up to limit credit changes after the feed position after (a
// decimal, 0 for the start), in order; none when the reader is up to date. Errors:
// INVALID_ARGUMENT.
func (c *Contract) GetCreditChanges(ctx contractapi.TransactionContextInterface, after, limit string) ([]*CreditChange, error) {
	from, err := strconv.Atoi(after)
	if err != nil || from < 0 {
		return nil, fail(CodeInvalidArgument, "after: must be a feed position (0 or more)")
	}
	lim, err := strconv.Atoi(limit)
	if err != nil || lim < 1 || lim > MaxCreditChanges {
		return nil, fail(CodeInvalidArgument, "limit: must be 1 to %d", MaxCreditChanges)
	}
	stub := ctx.GetStub()
	head, err := getState(stub, creditFeedHeadKey)
	if err != nil {
		return nil, err
	}
	n, err := readHead(head, "the credit feed")
	if err != nil {
		return nil, err
	}
	out := make([]*CreditChange, 0, max(0, min(lim, n-from)))
	for seq := from + 1; seq <= n && len(out) < lim; seq++ {
		var ch CreditChange
		if err := getJSON(stub, creditFeedKey(seq), &ch); err != nil {
			return nil, err
		}
		out = append(out, &ch)
	}
	return out, nil
}

// Published grades (brief §7.4 "grade changes emit ExporterGradeChanged"): the gateway
// assesses grades (the model lives there) and publishes each change here, so every agency
// reads the same grade and the change reaches the credit feed as GRADE_CHANGED. Key:
//
//	creditgrade~<USCC>   PublishedGrade JSON: the grade last published
func creditGradeKey(uscc string) string { return "creditgrade~" + uscc }

// ChangeGradeChanged is the feed kind of a published grade change (ref: the exporter).
const ChangeGradeChanged = "GRADE_CHANGED"

// PublishedGrade is an exporter's grade as last published on the ledger.
type PublishedGrade struct {
	ExporterUSCC string `json:"exporterUscc"`
	Grade        string `json:"grade"`
	Score        int    `json:"score"`
	// Previous: the grade published before ("" the first time).
	Previous     string `json:"previous,omitempty" metadata:",optional"`
	ModelVersion string `json:"modelVersion"`
	// AsOf: the day the gateway assessed it (YYYY-MM-DD, China).
	AsOf      string `json:"asOf"`
	TxID      string `json:"txId"`
	Timestamp string `json:"timestamp"`
}

// PublishedGradeInput is what PublishGrade takes.
type PublishedGradeInput struct {
	ExporterUSCC string `json:"exporterUscc"`
	Grade        string `json:"grade"`
	Score        int    `json:"score"`
	ModelVersion string `json:"modelVersion"`
	AsOf         string `json:"asOf"`
}

// PublishGrade records an exporter's new grade. CommerceMSP only. Errors: INVALID_ARGUMENT,
// FORBIDDEN, CONFLICT (the grade is the one published: nothing changed).
func (c *Contract) PublishGrade(ctx contractapi.TransactionContextInterface, gradeJSON string) (*PublishedGrade, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	var in PublishedGradeInput
	if err := decodeStrict("grade", gradeJSON, &in); err != nil {
		return nil, err
	}
	if err := checkUSCC("exporterUscc", in.ExporterUSCC); err != nil {
		return nil, err
	}
	switch in.Grade {
	case "A", "B", "C", "D":
	default:
		return nil, fail(CodeInvalidArgument, "grade: must be A, B, C or D")
	}
	if in.Score < 0 || in.Score > 100 {
		return nil, fail(CodeInvalidArgument, "score: must be 0 to 100")
	}
	if err := checkLabel("modelVersion", in.ModelVersion); err != nil {
		return nil, err
	}
	if _, err := parseDate("asOf", in.AsOf); err != nil {
		return nil, err
	}
	if err := requireMSP(t.mspID, MSPCommerce, "publish a credit grade"); err != nil {
		return nil, err
	}
	prev, err := t.get(creditGradeKey(in.ExporterUSCC))
	if err != nil {
		return nil, err
	}
	g := &PublishedGrade{ExporterUSCC: in.ExporterUSCC, Grade: in.Grade, Score: in.Score, ModelVersion: in.ModelVersion,
		AsOf: in.AsOf, TxID: t.txID, Timestamp: t.now}
	if prev != nil {
		var p PublishedGrade
		if err := json.Unmarshal(prev, &p); err != nil {
			return nil, fmt.Errorf("published grade of %s: corrupt", in.ExporterUSCC)
		}
		if p.Grade == in.Grade {
			return nil, fail(CodeConflict, "exporter %s is already published as grade %s", in.ExporterUSCC, p.Grade)
		}
		g.Previous = p.Grade
	}
	if err := t.putJSON(creditGradeKey(in.ExporterUSCC), g); err != nil {
		return nil, err
	}
	if err := t.appendChange(in.ExporterUSCC, ChangeGradeChanged, in.ExporterUSCC); err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return g, nil
}
