package gateway

import "context"

// Organisations that hold a copy of the ledger and the MSP IDs their identities carry.
const (
	OrgCommerce = "commerce"
	OrgCustoms  = "customs"
	OrgPolice   = "police"

	MSPCommerce = "CommerceMSP"
	MSPCustoms  = "CustomsMSP"
	MSPPolice   = "PoliceMSP"
)

// MSPID returns the MSP ID of an organisation ("" when unknown).
func MSPID(org string) string {
	switch org {
	case OrgCommerce:
		return MSPCommerce
	case OrgCustoms:
		return MSPCustoms
	case OrgPolice:
		return MSPPolice
	}
	return ""
}

// Ledger kinds and receipt statuses.
const (
	LedgerEmbedded = "embedded"
	LedgerFabric   = "fabric"

	ReceiptCommitted = "committed" // in a block that is on disk (embedded) or committed on the channel (fabric)
	ReceiptPending   = "pending"   // durably queued, not yet anchored
	// ReceiptNotAnchored marks a filing the ledger cannot key: rejected because its VIN or
	// exporter USCC is malformed, it names no vehicle or exporter to trace. It is stored, not
	// anchored.
	ReceiptNotAnchored = "not-anchored"
)

// Receipt proves a write reached the ledger: the transaction and the block that holds it.
type Receipt struct {
	Ledger string `json:"ledger"`
	TxID   string `json:"txId"`
	Block  uint64 `json:"block"`
	Status string `json:"status"`
}

// ReceiptProof lets a receipt holder check that a transaction is in a committed block. On
// the embedded ledger: the transaction's hash, the block's Merkle root (dataHash) and the
// audit path from one to the other (RFC 6962: "L"/"R" + sibling hash, bottom up), and the
// block's header hash with the previous one it chains to. On Fabric: the block number and
// validation code, which any peer of the channel confirms (qscc GetTransactionByID).
type ReceiptProof struct {
	Receipt        Receipt  `json:"receipt"`
	TxHash         string   `json:"txHash,omitempty"`
	DataHash       string   `json:"dataHash,omitempty"`
	MerklePath     []string `json:"merklePath,omitempty"`
	BlockHash      string   `json:"blockHash,omitempty"`
	PrevBlockHash  string   `json:"prevBlockHash,omitempty"`
	ValidationCode string   `json:"validationCode"`
}

// TraceEvent is one entry of a vehicle's trace on the ledger. It carries hashes, codes and
// statuses only: never personal data.
type TraceEvent struct {
	VIN            string `json:"vin"`
	Seq            int    `json:"seq"`
	Type           string `json:"type"`
	FilingID       string `json:"filingId,omitempty"`
	DocHash        string `json:"docHash,omitempty"`
	Decision       string `json:"decision,omitempty"`
	RulesetVersion string `json:"rulesetVersion,omitempty"`
	ExporterUSCC   string `json:"exporterUscc,omitempty"`
	LicenceNo      string `json:"licenceNo,omitempty"`
	EvidenceHash   string `json:"evidenceHash,omitempty"`
	Actor          string `json:"actor"`
	MSPID          string `json:"mspId"`
	TxID           string `json:"txId"`
	Timestamp      string `json:"timestamp"`
	// Status is the vehicle's lifecycle status after the event (brief §8.2): NEW,
	// TRANSFERRED, INSPECTED, LICENSED, DECLARED, RELEASED, EXITED, DEREGISTERED, RETURNED,
	// CLOSED; "HELD:" in front while the police hold it.
	Status  string   `json:"status,omitempty"`
	Receipt *Receipt `json:"receipt,omitempty"`
}

// FilingAnchor is a filing decision as anchored on the ledger.
type FilingAnchor struct {
	FilingID       string `json:"filingId"`
	VIN            string `json:"vin"`
	Seq            int    `json:"seq"`
	DocHash        string `json:"docHash"`
	Decision       string `json:"decision"`
	RulesetVersion string `json:"rulesetVersion"`
	ExporterUSCC   string `json:"exporterUscc"`
	Actor          string `json:"actor"`
	// ResultsHash commits the anchor to the rule results behind the decision: "sha256:" +
	// hex SHA-256 of the results' JSON as the filing answer shows them. It is the FILED
	// event's evidenceHash.
	ResultsHash string   `json:"resultsHash,omitempty"`
	MSPID       string   `json:"mspId,omitempty"`
	TxID        string   `json:"txId,omitempty"`
	Timestamp   string   `json:"timestamp,omitempty"`
	Receipt     *Receipt `json:"receipt,omitempty"`
}

// EventInput is an agency event to record on a vehicle's trace.
type EventInput struct {
	VIN          string `json:"vin"`
	Type         string `json:"type"`
	EvidenceHash string `json:"evidenceHash"`
	Actor        string `json:"actor"`
	// TempPlateValidUntil is the temporary plate's validity the police issued with a
	// TRANSFERRED_PENDING_EXPORT (at most 60 days; brief §3.2). It sets the TEMP_PLATE
	// deadline; the ledger keeps it inside the evidence the hash covers.
	TempPlateValidUntil Date `json:"tempPlateValidUntil,omitempty"`
}

// TracePage is one page of a vehicle's trace in sequence order.
type TracePage struct {
	VIN          string       `json:"vin"`
	Events       []TraceEvent `json:"events"`
	Total        int          `json:"total"`
	NextBookmark string       `json:"nextBookmark"`
}

// Ledger anchors filings, agency events and licences on the shared ledger. Implementations:
// embedded (the chaincode hosted in-process) and fabric (a real network). Errors carry the
// chaincode's codes: EINVALID, EFORBIDDEN, ENOTFOUND, ECONFLICT; EUNAVAILABLE when the
// ledger cannot be reached.
type Ledger interface {
	// Kind returns LedgerEmbedded or LedgerFabric.
	Kind() string
	// RecordFiling anchors a filing decision as the commerce organisation.
	RecordFiling(ctx context.Context, a FilingAnchor) (*TraceEvent, error)
	// RecordEvent records an agency event as org (its MSP must be allowed to post the type).
	RecordEvent(ctx context.Context, org string, e EventInput) (*TraceEvent, error)
	// Trace returns a page of a VIN's trace; an unknown VIN has an empty trace.
	Trace(ctx context.Context, vin string, pageSize int, bookmark string) (*TracePage, error)
	// Filing returns an anchored filing; ENOTFOUND when absent.
	Filing(ctx context.Context, filingID string) (*FilingAnchor, error)
	// IssueLicence records an issued export licence as commerce.
	IssueLicence(ctx context.Context, l Licence) (*Licence, *Receipt, error)
	// RevokeLicence revokes an issued licence as commerce, with a reason code.
	RevokeLicence(ctx context.Context, licenceNo, reasonCode, actor string) (*Licence, *Receipt, error)
	// Licence returns a licence; ENOTFOUND when absent.
	Licence(ctx context.Context, licenceNo string) (*Licence, error)
	// Proof returns the inclusion proof of a committed transaction; ENOTFOUND when unknown.
	Proof(ctx context.Context, txID string) (*ReceiptProof, error)
	// RecordCreditEvent records an exporter credit event as org (its MSP must be the code's
	// recorder, gateway/credit's table).
	RecordCreditEvent(ctx context.Context, org string, e CreditEventInput) (*CreditEvent, error)
	// CreditFile returns an exporter's credit events and cases in the order recorded (none
	// when new), its suspension status and its published grade, in one read.
	CreditFile(ctx context.Context, uscc string) (*CreditFile, error)
	// FileCreditCase files an exporter's objection to a credit event or its application to
	// repair one (as commerce, for the exporter); an objection disputes the event.
	FileCreditCase(ctx context.Context, in CreditCaseInput) (*CreditCase, error)
	// ExtendCreditCase extends an open case's time limit once, as commerce.
	ExtendCreditCase(ctx context.Context, in CaseExtensionInput) (*CreditCase, error)
	// DecideCreditCase records commerce's decision on an open case and sets the event's status.
	DecideCreditCase(ctx context.Context, in CaseDecisionInput) (*CreditCase, error)
	// PublishGrade publishes an exporter's new grade as commerce (ECONFLICT when it is the
	// grade already published); the change reaches the credit feed as GRADE_CHANGED.
	PublishGrade(ctx context.Context, in PublishedGradeInput) (*PublishedGrade, error)
	// SetExporterStatus suspends or reinstates an exporter, as commerce.
	SetExporterStatus(ctx context.Context, in ExporterStatusInput) (*ExporterStatus, error)
	// CreditFeed: the credit change feed (every write above appends one change).
	CreditFeed
	// AnchorAuditHead anchors an audit log's head (seq, hash) as commerce; anchors only move
	// forward (ECONFLICT for an earlier seq or another hash at the anchored seq).
	AnchorAuditHead(ctx context.Context, chainID string, seq uint64, hash string) (*AuditAnchor, error)
	// AuditAnchor returns an audit log's latest anchored head; ENOTFOUND when never anchored.
	AuditAnchor(ctx context.Context, chainID string) (*AuditAnchor, error)
	// Ready reports whether the ledger can serve requests.
	Ready(ctx context.Context) error
}

// EFORBIDDEN is the code of a write the caller's organisation may not make.
const EFORBIDDEN = "EFORBIDDEN"

// Credit event sources.
const (
	CreditAutomatic = "AUTOMATIC" // recorded by the gateway from an outcome
	CreditManual    = "MANUAL"    // recorded by an agency officer, with evidence
)

// CreditEventInput is an exporter credit event to record (codes: gateway/credit's table).
type CreditEventInput struct {
	ExporterUSCC string `json:"exporterUscc"`
	Code         string `json:"code"`
	OccurredAt   Date   `json:"occurredAt"`
	Source       string `json:"source"`
	EvidenceHash string `json:"evidenceHash,omitempty"`
	Ref          string `json:"ref,omitempty"`
	Actor        string `json:"actor"`
}

// CreditEvent is a credit event on the ledger.
type CreditEvent struct {
	ID           string `json:"id"`
	Seq          int    `json:"seq"`
	ExporterUSCC string `json:"exporterUscc"`
	Code         string `json:"code"`
	OccurredAt   Date   `json:"occurredAt"`
	Source       string `json:"source"`
	EvidenceHash string `json:"evidenceHash,omitempty"`
	Ref          string `json:"ref,omitempty"`
	Actor        string `json:"actor"`
	// Status: ACTIVE, DISPUTED (objected to), REVOKED (objection upheld), REPAIRED.
	Status string `json:"status"`
	// Points: the points a PARTIAL objection decision left (0: the code's points).
	Points    int      `json:"points,omitempty"`
	MSPID     string   `json:"mspId"`
	TxID      string   `json:"txId"`
	Timestamp string   `json:"timestamp"`
	Receipt   *Receipt `json:"receipt,omitempty"`
}

// Credit case kinds, statuses and decision outcomes; exporter statuses.
const (
	CaseObjection = "OBJECTION" // 异议
	CaseRepair    = "REPAIR"    // 信用修复

	CaseOpen    = "OPEN"
	CaseDecided = "DECIDED"

	OutcomeUpheld   = "UPHELD"
	OutcomePartial  = "PARTIAL" // objections only: the event's points are lowered
	OutcomeRejected = "REJECTED"

	ExporterActive    = "ACTIVE"
	ExporterSuspended = "SUSPENDED"
)

// CreditCaseInput is an objection or a repair application to file.
type CreditCaseInput struct {
	Kind           string `json:"kind"`
	EventID        string `json:"eventId"`
	EvidenceHash   string `json:"evidenceHash"`
	CommitmentHash string `json:"commitmentHash,omitempty"` // the signed credit commitment (REPAIR)
	Actor          string `json:"actor"`
}

// CaseExtensionInput extends an open case's time limit once.
type CaseExtensionInput struct {
	CaseID string `json:"caseId"`
	Reason string `json:"reason"`
	Actor  string `json:"actor"`
}

// CaseDecisionInput is commerce's decision on a case.
type CaseDecisionInput struct {
	CaseID       string `json:"caseId"`
	Outcome      string `json:"outcome"`
	Points       int    `json:"points,omitempty"`
	Reviewer     string `json:"reviewer"`
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
}

// CaseExtension is a case's one extension.
type CaseExtension struct {
	Reason    string `json:"reason"`
	Actor     string `json:"actor"`
	TxID      string `json:"txId"`
	Timestamp string `json:"timestamp"`
}

// CaseDecision is the decision recorded on a case.
type CaseDecision struct {
	Outcome      string `json:"outcome"`
	Points       int    `json:"points,omitempty"`
	Reviewer     string `json:"reviewer"`
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
	EventStatus  string `json:"eventStatus"`
	TxID         string `json:"txId"`
	Timestamp    string `json:"timestamp"`
}

// CreditCase is an objection or repair application on the ledger.
type CreditCase struct {
	ID             string         `json:"id"`
	Seq            int            `json:"seq"`
	Kind           string         `json:"kind"`
	ExporterUSCC   string         `json:"exporterUscc"`
	EventID        string         `json:"eventId"`
	EventCode      string         `json:"eventCode"`
	EvidenceHash   string         `json:"evidenceHash"`
	CommitmentHash string         `json:"commitmentHash,omitempty"`
	Actor          string         `json:"actor"`
	Status         string         `json:"status"`
	MSPID          string         `json:"mspId"`
	TxID           string         `json:"txId"`
	Timestamp      string         `json:"timestamp"`
	Extension      *CaseExtension `json:"extension,omitempty"`
	Decision       *CaseDecision  `json:"decision,omitempty"`
	Receipt        *Receipt       `json:"receipt,omitempty"`
}

// ExporterStatusInput suspends (SUSPENDED) or reinstates (ACTIVE) an exporter.
type ExporterStatusInput struct {
	ExporterUSCC string `json:"exporterUscc"`
	Status       string `json:"status"`
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
	Actor        string `json:"actor"`
}

// ExporterStatus is commerce's latest suspension or reinstatement of an exporter.
type ExporterStatus struct {
	ExporterUSCC string   `json:"exporterUscc"`
	Status       string   `json:"status"`
	Reason       string   `json:"reason"`
	EvidenceHash string   `json:"evidenceHash"`
	Actor        string   `json:"actor"`
	MSPID        string   `json:"mspId"`
	TxID         string   `json:"txId"`
	Timestamp    string   `json:"timestamp"`
	Receipt      *Receipt `json:"receipt,omitempty"`
}

// CreditFile is what the ledger holds on an exporter's credit.
type CreditFile struct {
	ExporterUSCC string          `json:"exporterUscc"`
	Events       []CreditEvent   `json:"events"`
	Cases        []CreditCase    `json:"cases"`
	Status       *ExporterStatus `json:"status,omitempty"`
	// Grade is the grade last published (PublishGrade); nil before the first.
	Grade *PublishedGrade `json:"grade,omitempty"`
}

// PublishedGradeInput is an exporter's newly assessed grade to publish.
type PublishedGradeInput struct {
	ExporterUSCC string `json:"exporterUscc"`
	Grade        string `json:"grade"`
	Score        int    `json:"score"`
	ModelVersion string `json:"modelVersion"`
	AsOf         Date   `json:"asOf"`
}

// PublishedGrade is an exporter's grade as last published on the ledger.
type PublishedGrade struct {
	ExporterUSCC string   `json:"exporterUscc"`
	Grade        string   `json:"grade"`
	Score        int      `json:"score"`
	Previous     string   `json:"previous,omitempty"`
	ModelVersion string   `json:"modelVersion"`
	AsOf         Date     `json:"asOf"`
	TxID         string   `json:"txId"`
	Timestamp    string   `json:"timestamp"`
	Receipt      *Receipt `json:"receipt,omitempty"`
}

// Kinds of credit change: every credit write on the ledger appends one change to the
// ledger's credit change feed, in commit order (issue 6 §6).
const (
	ChangeEventRecorded     = "EVENT_RECORDED"     // a credit event was recorded (ref: event ID)
	ChangeObjectionFiled    = "OBJECTION_FILED"    // an exporter objected to an event (ref: case ID)
	ChangeRepairFiled       = "REPAIR_FILED"       // an exporter applied for credit repair (ref: case ID)
	ChangeCaseExtended      = "CASE_EXTENDED"      // commerce extended a case's time limit once (ref: case ID)
	ChangeCaseDecided       = "CASE_DECIDED"       // commerce decided an objection or repair (ref: case ID)
	ChangeExporterSuspended = "EXPORTER_SUSPENDED" // commerce suspended the exporter (ref: exporter USCC)
	ChangeExporterReinstate = "EXPORTER_REINSTATED"
	ChangeGradeChanged      = "GRADE_CHANGED" // the exporter's published grade changed (ref: exporter USCC)
)

// CreditChange is one entry of the ledger's credit change feed. Seq is the feed position,
// from 1, without gaps; a cursor is the Seq of the last change read.
type CreditChange struct {
	Seq          uint64 `json:"seq"`
	ExporterUSCC string `json:"exporterUscc"`
	Kind         string `json:"kind"`
	// Ref: the credit event, case or exporter the change is about.
	Ref       string `json:"ref"`
	TxID      string `json:"txId"`
	Timestamp string `json:"timestamp"`
}

// CreditFeed reads the credit change feed: up to limit changes with Seq > after, in order
// (none when the reader is up to date).
type CreditFeed interface {
	CreditChanges(ctx context.Context, after uint64, limit int) ([]CreditChange, error)
}

// AuditAnchor is an audit log's head as anchored on the ledger (issue 7 §3).
type AuditAnchor struct {
	ChainID   string   `json:"chainId"`
	Seq       uint64   `json:"seq"`
	Hash      string   `json:"hash"`
	TxID      string   `json:"txId"`
	Timestamp string   `json:"timestamp"`
	Receipt   *Receipt `json:"receipt,omitempty"`
}
