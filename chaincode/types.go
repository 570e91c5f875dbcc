package chaincode

// MSP IDs of the organisations on the channel.
const (
	MSPCommerce = "CommerceMSP"
	MSPCustoms  = "CustomsMSP"
	MSPPolice   = "PoliceMSP"
)

// EventName is the name of the chaincode event each writing transaction emits; its payload is
// the JSON array of EventRef, one per trace event the transaction wrote, in write order.
// References, not the events: the events are in the write set already, and a listener reads
// them with GetTrace.
const EventName = "trace"

// Trace event types written only by the contract's own functions.
const (
	EventFiled          = "FILED"
	EventLicenceIssued  = "LICENCE_ISSUED"
	EventLicenceRevoked = "LICENCE_REVOKED"
)

// Filing decisions.
const (
	DecisionAccepted = "ACCEPTED"
	DecisionRejected = "REJECTED"
	DecisionHeld     = "HELD"
)

// Licence statuses.
const (
	LicenceIssued  = "ISSUED"
	LicenceRevoked = "REVOKED"
)

// Batch item kinds.
const (
	KindFiling = "filing"
	KindEvent  = "event"
)

// Limits.
const (
	// MaxBatchItems is the most items one RecordBatch may carry.
	MaxBatchItems = 500
	// MaxLicenceLines is the most schedule lines one licence may carry.
	MaxLicenceLines = 500
	// DefaultPageSize is the GetTrace page size used when 0 is asked for.
	DefaultPageSize = 50
	// MaxPageSize is the largest GetTrace page size.
	MaxPageSize = 200
	// maxJSONBytes bounds the JSON documents the contract decodes.
	maxJSONBytes = 1 << 20
)

// TraceEvent is one entry of a vehicle's trace. It holds codes, statuses, hashes and opaque
// user IDs only: never personal data.
type TraceEvent struct {
	VIN            string `json:"vin"`
	Seq            int    `json:"seq"`
	Type           string `json:"type"`
	FilingID       string `json:"filingId,omitempty" metadata:",optional"`
	DocHash        string `json:"docHash,omitempty" metadata:",optional"`
	Decision       string `json:"decision,omitempty" metadata:",optional"`
	RulesetVersion string `json:"rulesetVersion,omitempty" metadata:",optional"`
	ExporterUSCC   string `json:"exporterUscc,omitempty" metadata:",optional"`
	LicenceNo      string `json:"licenceNo,omitempty" metadata:",optional"`
	EvidenceHash   string `json:"evidenceHash,omitempty" metadata:",optional"`
	Actor          string `json:"actor"`
	MSPID          string `json:"mspId"`
	TxID           string `json:"txId"`
	Timestamp      string `json:"timestamp"`
	// Status is the vehicle's lifecycle status after the event (VehicleState.StatusOf), such
	// as "LICENSED" or "HELD:LICENSED". Events written before the lifecycle existed lack it.
	Status string `json:"status,omitempty" metadata:",optional"`
}

// FilingAnchor is a filing decision anchored on the ledger, keyed by its filing ID.
type FilingAnchor struct {
	FilingID       string `json:"filingId"`
	VIN            string `json:"vin"`
	Seq            int    `json:"seq"`
	DocHash        string `json:"docHash"`
	Decision       string `json:"decision"`
	RulesetVersion string `json:"rulesetVersion"`
	ExporterUSCC   string `json:"exporterUscc"`
	Actor          string `json:"actor"`
	MSPID          string `json:"mspId"`
	TxID           string `json:"txId"`
	Timestamp      string `json:"timestamp"`
}

// TracePage is one page of a vehicle's trace in sequence order. NextBookmark is the sequence
// number to ask for next, "" when the page reaches the end of the trace.
type TracePage struct {
	VIN          string        `json:"vin"`
	Events       []*TraceEvent `json:"events"`
	Total        int           `json:"total"`
	NextBookmark string        `json:"nextBookmark"`
}

// Licence is an export licence (二手车出口许可证) with its schedule of vehicles.
type Licence struct {
	LicenceNo          string        `json:"licenceNo"`
	Status             string        `json:"status"`
	ExporterUSCC       string        `json:"exporterUscc"`
	DestinationCountry string        `json:"destinationCountry"`
	IssueDate          string        `json:"issueDate"`
	ExpiryDate         string        `json:"expiryDate"`
	Lines              []LicenceLine `json:"lines"`
	RevokedReason      string        `json:"revokedReason,omitempty" metadata:",optional"`
	IssuedTxID         string        `json:"issuedTxId"`
	UpdatedTxID        string        `json:"updatedTxId"`
}

// LicenceLine is one vehicle on a licence's schedule (附表).
type LicenceLine struct {
	VIN                       string `json:"vin"`
	Brand                     string `json:"brand"`
	Model                     string `json:"model"`
	RegistrationDate          string `json:"registrationDate"`
	TransferPendingExportDate string `json:"transferPendingExportDate,omitempty" metadata:",optional"`
	HSCode                    string `json:"hsCode"`
}

// BatchItem is one filing or event of a RecordBatch. A filing item carries the RecordFiling
// arguments, an event item the RecordEvent ones; fields of the other kind must be empty.
type BatchItem struct {
	Kind           string `json:"kind"`
	VIN            string `json:"vin"`
	FilingID       string `json:"filingId,omitempty"`
	DocHash        string `json:"docHash,omitempty"`
	Decision       string `json:"decision,omitempty"`
	RulesetVersion string `json:"rulesetVersion,omitempty"`
	ExporterUSCC   string `json:"exporterUscc,omitempty"`
	EventType      string `json:"eventType,omitempty"`
	EvidenceHash   string `json:"evidenceHash,omitempty"`
	Actor          string `json:"actor"`
}

// BatchResult is what RecordBatch returns: item i was recorded as sequence number Seqs[i] of
// its vehicle's trace, by the transaction TxID of MSPID at Timestamp, leaving the vehicle in
// lifecycle status Statuses[i] (TraceEvent.Status).
type BatchResult struct {
	MSPID     string   `json:"mspId"`
	TxID      string   `json:"txId"`
	Timestamp string   `json:"timestamp"`
	Seqs      []int    `json:"seqs"`
	Statuses  []string `json:"statuses"`
}

// EventRef names one trace event a transaction wrote.
type EventRef struct {
	VIN  string `json:"vin"`
	Seq  int    `json:"seq"`
	Type string `json:"type"`
}
