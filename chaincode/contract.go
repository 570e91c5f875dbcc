// Package chaincode is the UCX export-trace contract: vehicles' trace events, anchored filing
// decisions, export licences and exporters' credit events, on a Hyperledger Fabric channel shared by the commerce,
// customs and police organisations.
//
// Who may write what is enforced here by the caller's MSP ID (CommerceMSP, CustomsMSP,
// PoliceMSP). The contract is deterministic: time comes only from the transaction timestamp,
// nothing depends on map order, and it does no I/O. It holds codes, statuses, hashes and opaque
// user IDs, never personal data. It imports nothing from the rest of the module, so it can be
// deployed on its own (cmd/exportcc) or hosted in-process by the embedded ledger.
//
// Keys are plain strings:
//
//	vehicle~<VIN>~<seq>   TraceEvent JSON, seq zero-padded to 10 digits, from 0
//	vehicle~<VIN>         number of events on the VIN's trace (decimal)
//	filing~<filingId>     FilingAnchor JSON
//	licence~<licenceNo>   Licence JSON
//	licencevin~<VIN>      number of the ISSUED licence listing the VIN
//	vstate~<VIN>          VehicleState JSON: the VIN's lifecycle facts (absent = status NEW)
//	credit~<USCC>         number of the exporter's credit events (credit.go)
//	credit~<USCC>~<seq>   CreditEvent JSON, seq zero-padded to 6 digits
//	creditref~<USCC>~<code>~<ref>  ID of the AUTOMATIC credit event of code about ref
//
// Every event the contract writes must pass the lifecycle table (lifecycle.go) after its
// validation and access checks; one it refuses is an ILLEGAL_TRANSITION error. Each written
// event carries the vehicle's status after it.
//
// A writing transaction emits one chaincode event, EventName, carrying the JSON array of the
// TraceEvents it wrote. Business errors are messages prefixed by a code (PrefixInvalidArgument,
// PrefixForbidden, PrefixNotFound, PrefixConflict, PrefixIllegalTransition); ParseError reads them back.
//
// The contract calls only these stub methods: GetState, PutState (an empty value deletes, as
// on Fabric), GetTxID, GetTxTimestamp and SetEvent; contractapi adds GetFunctionAndParameters
// (dispatch) and GetCreator (client identity). A host must give GetState the committed state
// (the contract never reads its own writes back) and apply the writes only when the response
// status is 200; the contract itself writes nothing unless every check passed.
package chaincode

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
)

// Version is the contract version reported in the chaincode metadata.
const Version = "1.0.0"

// Contract is the UCX export-trace contract. Its zero value is ready to use.
type Contract struct {
	contractapi.Contract
}

// New returns the chaincode hosting Contract as the default contract, ready for Start (a peer
// or chaincode-as-a-service) or Invoke (an in-process host).
func New() (*contractapi.ContractChaincode, error) {
	cc, err := contractapi.NewChaincode(&Contract{})
	if err != nil {
		return nil, fmt.Errorf("build chaincode: %w", err)
	}
	cc.Info.Title = "ucx-export"
	cc.Info.Version = Version
	return cc, nil
}

// GetInfo returns the contract's metadata information.
func (c *Contract) GetInfo() metadata.InfoMetadata {
	return metadata.InfoMetadata{Title: "ucx-export", Version: Version}
}

// GetEvaluateTransactions names the read-only functions, declared as evaluate transactions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"GetTrace", "GetFiling", "GetLicence", "LicenceForVIN", "GetVehicleState", "GetCreditEvents", "GetCreditFile", "GetCreditChanges", "GetAuditAnchor", "WhoAmI"}
}

// GetUnknownTransaction returns the handler for calls to a function the contract lacks: an
// INVALID_ARGUMENT error.
func (c *Contract) GetUnknownTransaction() any {
	return unknownTransaction
}

func unknownTransaction(ctx contractapi.TransactionContextInterface) error {
	fn, _ := ctx.GetStub().GetFunctionAndParameters()
	return fail(CodeInvalidArgument, "unknown function %s", quote(fn))
}

// RecordFiling anchors a filing decision: it appends a FILED event to the VIN's trace and
// writes the FilingAnchor. CommerceMSP only. decision is ACCEPTED, REJECTED or HELD;
// rulesetVersion a date YYYY-MM-DD. Errors: FORBIDDEN, INVALID_ARGUMENT, CONFLICT when the
// filing ID is already recorded, ILLEGAL_TRANSITION when the vehicle is CLOSED.
func (c *Contract) RecordFiling(ctx contractapi.TransactionContextInterface, vin, filingID, docHash, decision, rulesetVersion, exporterUSCC, actor, resultsHash string) (*TraceEvent, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	e, err := t.recordFiling(BatchItem{Kind: KindFiling, VIN: vin, FilingID: filingID, DocHash: docHash,
		Decision: decision, RulesetVersion: rulesetVersion, ExporterUSCC: exporterUSCC, Actor: actor, EvidenceHash: resultsHash})
	if err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return e, nil
}

// RecordEvent appends an agency event to a VIN's trace. Only the MSP that EventPoster names
// may post a type. evidenceHash is optional (sha256:<hex> when given). Errors:
// INVALID_ARGUMENT (including an unknown type, or FILED/LICENCE_ISSUED/LICENCE_REVOKED, which
// only their own functions write), FORBIDDEN naming the MSP required, then
// ILLEGAL_TRANSITION when the vehicle's lifecycle (lifecycle.go) refuses the event.
func (c *Contract) RecordEvent(ctx contractapi.TransactionContextInterface, vin, eventType, evidenceHash, actor string) (*TraceEvent, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	e, err := t.recordEvent(BatchItem{Kind: KindEvent, VIN: vin, EventType: eventType, EvidenceHash: evidenceHash, Actor: actor})
	if err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return e, nil
}

// RecordBatch records many filings and events (a JSON array of BatchItem, 1 to MaxBatchItems)
// in one transaction, all or nothing. Each item is checked exactly as RecordFiling or
// RecordEvent would check it; an error keeps that function's code and names the item
// ("items[3]: …"). Items of one VIN get consecutive sequence numbers in item order, and each
// sees the lifecycle state the earlier items left. It
// returns a BatchResult (as a JSON string): the sequence number each item got, with the
// transaction's MSP ID, ID and timestamp, from which a client rebuilds every TraceEvent. Not
// the events themselves: a transaction's response is stored in its block, so returning 500
// events would store each a third time (after the write set and the chaincode event) and
// contractapi would schema-check each one; both cost more than recording them.
func (c *Contract) RecordBatch(ctx contractapi.TransactionContextInterface, itemsJSON string) (string, error) {
	evs, err := c.recordBatch(ctx, itemsJSON)
	if err != nil {
		return "", err
	}
	r := BatchResult{Seqs: make([]int, len(evs)), Statuses: make([]string, len(evs))}
	for i, e := range evs {
		r.Seqs[i] = e.Seq
		r.Statuses[i] = e.Status
		r.MSPID, r.TxID, r.Timestamp = e.MSPID, e.TxID, e.Timestamp
	}
	out, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

func (c *Contract) recordBatch(ctx contractapi.TransactionContextInterface, itemsJSON string) ([]*TraceEvent, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	var items []BatchItem
	if err := decodeStrict("items", itemsJSON, &items); err != nil {
		return nil, err
	}
	if len(items) == 0 || len(items) > MaxBatchItems {
		return nil, fail(CodeInvalidArgument, "items: must hold 1 to %d items, got %d", MaxBatchItems, len(items))
	}
	out := make([]*TraceEvent, 0, len(items))
	for i, it := range items {
		var e *TraceEvent
		switch it.Kind {
		case KindFiling:
			e, err = t.recordFiling(it)
		case KindEvent:
			e, err = t.recordEvent(it)
		default:
			err = fail(CodeInvalidArgument, "kind: must be %q or %q", KindFiling, KindEvent)
		}
		if err != nil {
			return nil, atItem(i, err)
		}
		out = append(out, e)
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// recordFiling checks a filing (ACL first, then fields, then uniqueness) and buffers its
// event and anchor.
func (t *txn) recordFiling(it BatchItem) (*TraceEvent, error) {
	if err := requireMSP(t.mspID, MSPCommerce, "recording a filing"); err != nil {
		return nil, err
	}
	if it.EventType != "" {
		return nil, fail(CodeInvalidArgument, "eventType: not allowed on a filing")
	}
	// On a filing the evidence hash (optional) commits to the rule results behind the
	// decision: the transition records them on the ledger, as hashes.
	if err := checkHash("evidenceHash", it.EvidenceHash, false); err != nil {
		return nil, err
	}
	if err := checkVIN("vin", it.VIN); err != nil {
		return nil, err
	}
	if err := checkFilingID("filingId", it.FilingID); err != nil {
		return nil, err
	}
	if err := checkHash("docHash", it.DocHash, true); err != nil {
		return nil, err
	}
	if err := checkDecision("decision", it.Decision); err != nil {
		return nil, err
	}
	if _, err := parseDate("rulesetVersion", it.RulesetVersion); err != nil {
		return nil, err
	}
	if err := checkUSCC("exporterUscc", it.ExporterUSCC); err != nil {
		return nil, err
	}
	if err := checkActor("actor", it.Actor); err != nil {
		return nil, err
	}
	prev, err := t.get(filingKey(it.FilingID))
	if err != nil {
		return nil, err
	}
	if prev != nil {
		return nil, fail(CodeConflict, "filing %s is already recorded", it.FilingID)
	}
	e := &TraceEvent{VIN: it.VIN, Type: EventFiled, FilingID: it.FilingID, DocHash: it.DocHash,
		Decision: it.Decision, RulesetVersion: it.RulesetVersion, ExporterUSCC: it.ExporterUSCC, Actor: it.Actor,
		EvidenceHash: it.EvidenceHash}
	if err := t.appendEvent(e); err != nil {
		return nil, err
	}
	a := &FilingAnchor{FilingID: it.FilingID, VIN: it.VIN, Seq: e.Seq, DocHash: it.DocHash, Decision: it.Decision,
		RulesetVersion: it.RulesetVersion, ExporterUSCC: it.ExporterUSCC, Actor: it.Actor,
		MSPID: e.MSPID, TxID: e.TxID, Timestamp: e.Timestamp}
	if err := t.putJSON(filingKey(it.FilingID), a); err != nil {
		return nil, err
	}
	return e, nil
}

// recordEvent checks an agency event (type, then ACL, then fields) and buffers it.
func (t *txn) recordEvent(it BatchItem) (*TraceEvent, error) {
	want, ok := eventPoster[it.EventType]
	switch {
	case it.EventType == EventFiled || it.EventType == EventLicenceIssued || it.EventType == EventLicenceRevoked:
		return nil, fail(CodeInvalidArgument, "eventType: %s is written only by its own function", it.EventType)
	case !ok:
		return nil, fail(CodeInvalidArgument, "eventType: unknown event type %s", quote(it.EventType))
	}
	if err := requireMSP(t.mspID, want, "event type "+it.EventType); err != nil {
		return nil, err
	}
	if it.FilingID != "" || it.DocHash != "" || it.Decision != "" || it.RulesetVersion != "" || it.ExporterUSCC != "" {
		return nil, fail(CodeInvalidArgument, "filingId, docHash, decision, rulesetVersion, exporterUscc: not allowed on an event")
	}
	if err := checkVIN("vin", it.VIN); err != nil {
		return nil, err
	}
	if err := checkHash("evidenceHash", it.EvidenceHash, false); err != nil {
		return nil, err
	}
	if err := checkActor("actor", it.Actor); err != nil {
		return nil, err
	}
	e := &TraceEvent{VIN: it.VIN, Type: it.EventType, EvidenceHash: it.EvidenceHash, Actor: it.Actor}
	if err := t.appendEvent(e); err != nil {
		return nil, err
	}
	return e, nil
}

// GetTrace returns a page of a VIN's trace in sequence order, starting at bookmark (a
// decimal sequence number; "" is 0). pageSize is 1 to MaxPageSize, 0 meaning
// DefaultPageSize. An unknown VIN has an empty trace. Errors: INVALID_ARGUMENT.
func (c *Contract) GetTrace(ctx contractapi.TransactionContextInterface, vin string, pageSize int, bookmark string) (*TracePage, error) {
	if err := checkVIN("vin", vin); err != nil {
		return nil, err
	}
	if pageSize == 0 {
		pageSize = DefaultPageSize
	}
	if pageSize < 1 || pageSize > MaxPageSize {
		return nil, fail(CodeInvalidArgument, "pageSize: must be 1 to %d, or 0 for %d", MaxPageSize, DefaultPageSize)
	}
	start := 0
	if bookmark != "" {
		ok := len(bookmark) <= 10
		for i := 0; ok && i < len(bookmark); i++ {
			ok = bookmark[i] >= '0' && bookmark[i] <= '9'
		}
		if !ok {
			return nil, fail(CodeInvalidArgument, "bookmark: must be a sequence number from a previous page")
		}
		start, _ = strconv.Atoi(bookmark)
	}
	stub := ctx.GetStub()
	head, err := getState(stub, vehicleHeadKey(vin))
	if err != nil {
		return nil, err
	}
	total, err := readHead(head, vin)
	if err != nil {
		return nil, err
	}
	if start > total {
		return nil, fail(CodeInvalidArgument, "bookmark: beyond the end of the trace (%d events)", total)
	}
	end := min(start+pageSize, total)
	page := &TracePage{VIN: vin, Events: make([]*TraceEvent, 0, end-start), Total: total}
	for seq := start; seq < end; seq++ {
		b, err := getState(stub, vehicleEventKey(vin, seq))
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, fmt.Errorf("trace of %s is missing event %d", vin, seq)
		}
		var e TraceEvent
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("corrupt event %d of %s: %w", seq, vin, err)
		}
		page.Events = append(page.Events, &e)
	}
	if end < total {
		page.NextBookmark = strconv.Itoa(end)
	}
	return page, nil
}

// GetFiling returns an anchored filing. Errors: INVALID_ARGUMENT, NOT_FOUND.
func (c *Contract) GetFiling(ctx contractapi.TransactionContextInterface, filingID string) (*FilingAnchor, error) {
	if err := checkFilingID("filingId", filingID); err != nil {
		return nil, err
	}
	b, err := getState(ctx.GetStub(), filingKey(filingID))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fail(CodeNotFound, "filing %s is not recorded", filingID)
	}
	var a FilingAnchor
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("corrupt filing %s: %w", filingID, err)
	}
	return &a, nil
}

// WhoAmI returns the caller's MSP ID (readiness probes). Errors: FORBIDDEN when the caller's
// identity cannot be read.
func (c *Contract) WhoAmI(ctx contractapi.TransactionContextInterface) (string, error) {
	return callerMSPID(ctx)
}
