package chaincode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Credit events (exporter credit, brief §7.4) are kept per exporter:
//
//	credit~<USCC>         number of credit events of the exporter (decimal)
//	credit~<USCC>~<seq>   CreditEvent JSON, seq zero-padded to 6 digits, from 0
//
//	creditref~<USCC>~<code>~<ref>   the ID of the AUTOMATIC event of that code about ref
//
// An event's ID is <USCC>-<seq>. An AUTOMATIC event with a ref is recorded once: the same
// code about the same ref again is a CONFLICT, so the gateway can retry after a crash. The scoring model lives in the gateway (gateway/credit);
// the ledger holds the events, who recorded them and when, so every agency reads the same
// history.
func creditHeadKey(uscc string) string           { return "credit~" + uscc }
func creditEventKey(uscc string, seq int) string { return fmt.Sprintf("credit~%s~%06d", uscc, seq) }
func creditRefKey(uscc, code, ref string) string {
	return "creditref~" + uscc + "~" + code + "~" + ref
}

// creditRules names, for each credit event code, the MSP that may record it and its points
// (0 for direct-D events); the codes, recorders and points are gateway/credit's table (a test
// keeps the two equal). The points bound a PARTIAL objection decision.
var creditRules = map[string]struct {
	msp    string
	points int
}{
	"E01": {MSPPolice, 0}, "E02": {MSPCommerce, 0}, "E03": {MSPCustoms, 0}, "E04": {MSPCommerce, 30},
	"E05": {MSPCommerce, 25}, "E06": {MSPPolice, 25}, "E07": {MSPCommerce, 20}, "E08": {MSPCommerce, 20},
	"E09": {MSPCommerce, 15}, "E10": {MSPCommerce, 15}, "E11": {MSPCommerce, 10}, "E12": {MSPCommerce, 10},
	"E13": {MSPCustoms, 10}, "E14": {MSPCommerce, 5}, "E15": {MSPCustoms, 5}, "E16": {MSPCommerce, 2},
	"E17": {MSPCommerce, 3},
	"B01": {MSPCommerce, 5}, "B02": {MSPCommerce, 2}, "B03": {MSPCustoms, 5}, "B04": {MSPCommerce, 3},
}

// CreditRecorder returns the MSP ID allowed to record a credit event code and the code's
// points; ok is false for an unknown code.
func CreditRecorder(code string) (mspID string, points int, ok bool) {
	r, ok := creditRules[code]
	return r.msp, r.points, ok
}

// Credit event sources.
const (
	SourceAutomatic = "AUTOMATIC" // recorded by the gateway from an outcome (a filing, a deadline)
	SourceManual    = "MANUAL"    // recorded by an agency officer, with evidence
)

// CreditEventInput is what RecordCreditEvent takes (JSON, unknown members refused).
type CreditEventInput struct {
	ExporterUSCC string `json:"exporterUscc"`
	Code         string `json:"code"`
	// OccurredAt: the day the conduct occurred (YYYY-MM-DD), not after the transaction's day.
	OccurredAt string `json:"occurredAt"`
	Source     string `json:"source"`
	// EvidenceHash: SHA-256 of the evidence; required for MANUAL events.
	EvidenceHash string `json:"evidenceHash,omitempty"`
	// Ref: what the event is about — a VIN, filing ID, licence or declaration number (optional).
	Ref   string `json:"ref,omitempty"`
	Actor string `json:"actor"`
}

// CreditEvent is a recorded credit event: the input's fields and the ledger's.
type CreditEvent struct {
	ID           string `json:"id"`
	Seq          int    `json:"seq"`
	ExporterUSCC string `json:"exporterUscc"`
	Code         string `json:"code"`
	OccurredAt   string `json:"occurredAt"`
	Source       string `json:"source"`
	EvidenceHash string `json:"evidenceHash,omitempty" metadata:",optional"`
	Ref          string `json:"ref,omitempty" metadata:",optional"`
	Actor        string `json:"actor"`
	// Status: ACTIVE when recorded; objections and repair change it (FileCreditCase,
	// DecideCreditCase): DISPUTED, REVOKED, REPAIRED.
	Status string `json:"status"`
	// Points: the points a PARTIAL objection decision left (0: the code's points).
	Points    int    `json:"points,omitempty" metadata:",optional"`
	MSPID     string `json:"mspId"`
	TxID      string `json:"txId"`
	Timestamp string `json:"timestamp"`
}

// MaxCreditEvents caps what GetCreditEvents returns in one call (an exporter's history).
const MaxCreditEvents = 1000

// RecordCreditEvent records a credit event against an exporter. Only the MSP CreditRecorder
// names may record a code. Errors: INVALID_ARGUMENT (malformed JSON or field, unknown code,
// MANUAL without evidence, a future occurredAt), FORBIDDEN naming the MSP required.
func (c *Contract) RecordCreditEvent(ctx contractapi.TransactionContextInterface, eventJSON string) (*CreditEvent, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	var in CreditEventInput
	dec := json.NewDecoder(bytes.NewReader([]byte(eventJSON)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || dec.More() {
		return nil, fail(CodeInvalidArgument, "event: must be one JSON object of the CreditEventInput fields")
	}
	if err := checkUSCC("exporterUscc", in.ExporterUSCC); err != nil {
		return nil, err
	}
	want, _, ok := CreditRecorder(in.Code)
	if !ok {
		return nil, fail(CodeInvalidArgument, "code: unknown credit event code")
	}
	day, err := time.Parse(time.DateOnly, in.OccurredAt)
	if err != nil {
		return nil, fail(CodeInvalidArgument, "occurredAt: must be a date YYYY-MM-DD")
	}
	if day.Format(time.DateOnly) > t.chinaDay() {
		return nil, fail(CodeInvalidArgument, "occurredAt: must not be after the day it is recorded")
	}
	switch in.Source {
	case SourceAutomatic, SourceManual:
	default:
		return nil, fail(CodeInvalidArgument, "source: must be AUTOMATIC or MANUAL")
	}
	if err := checkHash("evidenceHash", in.EvidenceHash, in.Source == SourceManual); err != nil {
		return nil, err
	}
	if in.Ref != "" {
		if err := checkFilingID("ref", in.Ref); err != nil {
			return nil, err
		}
	}
	if err := checkActor("actor", in.Actor); err != nil {
		return nil, err
	}
	if err := requireMSP(t.mspID, want, "record credit event "+in.Code); err != nil {
		return nil, err
	}
	var refKey string
	if in.Source == SourceAutomatic && in.Ref != "" {
		refKey = creditRefKey(in.ExporterUSCC, in.Code, in.Ref)
		prev, err := t.get(refKey)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			return nil, fail(CodeConflict, "%s about %s is already recorded as %s", in.Code, in.Ref, prev)
		}
	}
	head, err := t.get(creditHeadKey(in.ExporterUSCC))
	if err != nil {
		return nil, err
	}
	n, err := readHead(head, in.ExporterUSCC)
	if err != nil {
		return nil, err
	}
	e := &CreditEvent{ID: fmt.Sprintf("%s-%06d", in.ExporterUSCC, n), Seq: n, ExporterUSCC: in.ExporterUSCC,
		Code: in.Code, OccurredAt: in.OccurredAt, Source: in.Source, EvidenceHash: in.EvidenceHash, Ref: in.Ref,
		Actor: in.Actor, Status: "ACTIVE", MSPID: t.mspID, TxID: t.txID, Timestamp: t.now}
	if err := t.putJSON(creditEventKey(in.ExporterUSCC, n), e); err != nil {
		return nil, err
	}
	t.put(creditHeadKey(in.ExporterUSCC), []byte(strconv.Itoa(n+1)))
	if refKey != "" {
		t.put(refKey, []byte(e.ID))
	}
	if err := t.appendChange(in.ExporterUSCC, ChangeEventRecorded, e.ID); err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return e, nil
}

// GetCreditEvents returns an exporter's credit events in the order recorded (at most
// MaxCreditEvents, the latest). An exporter without events has none. Errors: INVALID_ARGUMENT.
func (c *Contract) GetCreditEvents(ctx contractapi.TransactionContextInterface, uscc string) ([]*CreditEvent, error) {
	if err := checkUSCC("uscc", uscc); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	head, err := getState(stub, creditHeadKey(uscc))
	if err != nil {
		return nil, err
	}
	n, err := readHead(head, uscc)
	if err != nil {
		return nil, err
	}
	out := make([]*CreditEvent, 0, min(n, MaxCreditEvents))
	for seq := max(0, n-MaxCreditEvents); seq < n; seq++ {
		var e CreditEvent
		if err := getJSON(stub, creditEventKey(uscc, seq), &e); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, nil
}
