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

// creditRecorder names the MSP that may record each credit event code; the codes and
// recorders are gateway/credit's table (a test keeps the two equal).
var creditRecorder = map[string]string{
	"E01": MSPPolice, "E02": MSPCommerce, "E03": MSPCustoms, "E04": MSPCommerce, "E05": MSPCommerce,
	"E06": MSPPolice, "E07": MSPCommerce, "E08": MSPCommerce, "E09": MSPCommerce, "E10": MSPCommerce,
	"E11": MSPCommerce, "E12": MSPCommerce, "E13": MSPCustoms, "E14": MSPCommerce, "E15": MSPCustoms,
	"E16": MSPCommerce, "E17": MSPCommerce,
	"B01": MSPCommerce, "B02": MSPCommerce, "B03": MSPCustoms, "B04": MSPCommerce,
}

// CreditRecorder returns the MSP ID allowed to record a credit event code; ok is false for
// an unknown code.
func CreditRecorder(code string) (mspID string, ok bool) {
	mspID, ok = creditRecorder[code]
	return mspID, ok
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
	// Status: ACTIVE when recorded (objection and repair change it, issue 6 §5).
	Status    string `json:"status"`
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
	want, ok := CreditRecorder(in.Code)
	if !ok {
		return nil, fail(CodeInvalidArgument, "code: unknown credit event code")
	}
	day, err := time.Parse(time.DateOnly, in.OccurredAt)
	if err != nil {
		return nil, fail(CodeInvalidArgument, "occurredAt: must be a date YYYY-MM-DD")
	}
	if day.Format(time.DateOnly) > t.now[:10] {
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
		b, err := getState(stub, creditEventKey(uscc, seq))
		if err != nil {
			return nil, err
		}
		var e CreditEvent
		if b == nil || json.Unmarshal(b, &e) != nil {
			return nil, fmt.Errorf("credit history of %s: event %d missing or corrupt", uscc, seq)
		}
		out = append(out, &e)
	}
	return out, nil
}
