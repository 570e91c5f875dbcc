// Package contract is the gateway's side of the chaincode: it implements gateway.Ledger over
// any Transport that can submit and evaluate chaincode functions as an organisation — the
// embedded ledger (in-process) or a Fabric network (fabric-gateway). Argument encoding,
// payload decoding, error mapping and the batching of many vehicles' events into one
// transaction live here once, so both ledgers behave alike.
package contract

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/gateway"
)

// Transport submits and evaluates chaincode functions as an organisation (by MSP ID).
type Transport interface {
	// Kind returns gateway.LedgerEmbedded or gateway.LedgerFabric.
	Kind() string
	// Submit runs fn as a transaction and returns its payload once committed, with a receipt.
	// Chaincode errors come back translated by ChaincodeError.
	Submit(ctx context.Context, mspID, fn string, args ...string) ([]byte, gateway.Receipt, error)
	// Evaluate runs a read-only fn against committed state.
	Evaluate(ctx context.Context, mspID, fn string, args ...string) ([]byte, error)
	// Receipt locates a committed transaction (its block); ENOTFOUND when unknown.
	Receipt(ctx context.Context, txID string) (gateway.Receipt, error)
	// Proof returns the inclusion proof of a committed transaction; ENOTFOUND when unknown.
	Proof(ctx context.Context, txID string) (*gateway.ReceiptProof, error)
	// Ready reports whether the transport can serve requests.
	Ready(ctx context.Context) error
}

// codes maps the chaincode's business error codes to gateway codes.
var codes = map[string]string{
	chaincode.CodeInvalidArgument:   gateway.EINVALID,
	chaincode.CodeForbidden:         gateway.EFORBIDDEN,
	chaincode.CodeNotFound:          gateway.ENOTFOUND,
	chaincode.CodeConflict:          gateway.ECONFLICT,
	chaincode.CodeIllegalTransition: gateway.EILLEGALTRANSITION,
}

// ChaincodeError translates a chaincode error message into a coded gateway error: the
// chaincode's code prefix chooses the code; anything else is internal. The message of a
// business error is safe to show (the chaincode keeps personal data out of it).
func ChaincodeError(message string) error {
	code, detail, ok := chaincode.ParseError(message)
	if !ok {
		return gateway.Wrap(errors.New(message), gateway.EINTERNAL, "ledger error", "账本错误")
	}
	return gateway.Errorf(codes[code], "ledger refused: %s", "账本拒绝：%s", detail)
}

// Anchorable reports whether the ledger can key a filing's anchor: a well-formed VIN and
// exporter USCC (a filing rejected for a malformed one names nothing to trace).
func Anchorable(vin, uscc string) bool { return chaincode.ValidVIN(vin) && chaincode.ValidUSCC(uscc) }

// Client implements gateway.Ledger over a Transport.
type Client struct {
	t        Transport
	batchers map[string]*batcher // per MSP ID
}

var _ gateway.Ledger = (*Client)(nil)

// Option configures a Client.
type Option func(*options)

type options struct {
	inflight int
	maxBatch int
}

// WithInflight sets how many transactions per organisation may be in flight at once before
// further events wait and are batched into one transaction (default 4).
func WithInflight(n int) Option { return func(o *options) { o.inflight = n } }

// WithMaxBatch caps how many items one transaction carries (default chaincode.MaxBatchItems;
// 1 sends every item as its own transaction, for comparison).
func WithMaxBatch(n int) Option { return func(o *options) { o.maxBatch = n } }

// New returns a Client over t.
func New(t Transport, opts ...Option) *Client {
	o := options{inflight: 4, maxBatch: chaincode.MaxBatchItems}
	for _, f := range opts {
		f(&o)
	}
	c := &Client{t: t, batchers: map[string]*batcher{}}
	for _, m := range []string{gateway.MSPCommerce, gateway.MSPCustoms, gateway.MSPPolice} {
		c.batchers[m] = newBatcher(t, m, o.inflight, min(max(o.maxBatch, 1), chaincode.MaxBatchItems))
	}
	return c
}

// Kind implements gateway.Ledger.
func (c *Client) Kind() string { return c.t.Kind() }

// Ready implements gateway.Ledger.
func (c *Client) Ready(ctx context.Context) error { return c.t.Ready(ctx) }

// RecordFiling implements gateway.Ledger (as CommerceMSP).
func (c *Client) RecordFiling(ctx context.Context, a gateway.FilingAnchor) (*gateway.TraceEvent, error) {
	return c.batchers[gateway.MSPCommerce].record(ctx, chaincode.BatchItem{
		Kind: chaincode.KindFiling, VIN: a.VIN, FilingID: a.FilingID, DocHash: a.DocHash, Decision: a.Decision,
		RulesetVersion: a.RulesetVersion, ExporterUSCC: a.ExporterUSCC, Actor: a.Actor, EvidenceHash: a.ResultsHash,
	})
}

// RecordEvent implements gateway.Ledger.
func (c *Client) RecordEvent(ctx context.Context, org string, e gateway.EventInput) (*gateway.TraceEvent, error) {
	b, ok := c.batchers[gateway.MSPID(org)]
	if !ok {
		return nil, gateway.Errorf(gateway.EINVALID, "unknown organisation %q", "未知机构 %q", org)
	}
	return b.record(ctx, chaincode.BatchItem{Kind: chaincode.KindEvent, VIN: e.VIN, EventType: e.Type, EvidenceHash: e.EvidenceHash, Actor: e.Actor})
}

// Trace implements gateway.Ledger.
func (c *Client) Trace(ctx context.Context, vin string, pageSize int, bookmark string) (*gateway.TracePage, error) {
	data, err := c.t.Evaluate(ctx, gateway.MSPCommerce, "GetTrace", vin, strconv.Itoa(pageSize), bookmark)
	if err != nil {
		return nil, err
	}
	var p gateway.TracePage
	if err := decode(data, &p); err != nil {
		return nil, err
	}
	if p.Events == nil {
		p.Events = []gateway.TraceEvent{}
	}
	for i := range p.Events {
		r, err := c.t.Receipt(ctx, p.Events[i].TxID)
		if err != nil {
			return nil, err
		}
		p.Events[i].Receipt = &r
	}
	return &p, nil
}

// Filing implements gateway.Ledger.
func (c *Client) Filing(ctx context.Context, filingID string) (*gateway.FilingAnchor, error) {
	data, err := c.t.Evaluate(ctx, gateway.MSPCommerce, "GetFiling", filingID)
	if err != nil {
		return nil, err
	}
	var a gateway.FilingAnchor
	if err := decode(data, &a); err != nil {
		return nil, err
	}
	r, err := c.t.Receipt(ctx, a.TxID)
	if err != nil {
		return nil, err
	}
	a.Receipt = &r
	return &a, nil
}

// IssueLicence implements gateway.Ledger (as CommerceMSP).
func (c *Client) IssueLicence(ctx context.Context, l gateway.Licence) (*gateway.Licence, *gateway.Receipt, error) {
	body, err := json.Marshal(l)
	if err != nil {
		return nil, nil, err
	}
	data, receipt, err := c.t.Submit(ctx, gateway.MSPCommerce, "IssueLicence", string(body))
	if err != nil {
		return nil, nil, err
	}
	var out gateway.Licence
	return &out, &receipt, decode(data, &out)
}

// RevokeLicence implements gateway.Ledger (as CommerceMSP).
func (c *Client) RevokeLicence(ctx context.Context, licenceNo, reasonCode, actor string) (*gateway.Licence, *gateway.Receipt, error) {
	data, receipt, err := c.t.Submit(ctx, gateway.MSPCommerce, "RevokeLicence", licenceNo, reasonCode, actor)
	if err != nil {
		return nil, nil, err
	}
	var out gateway.Licence
	return &out, &receipt, decode(data, &out)
}

// Proof implements gateway.Ledger.
func (c *Client) Proof(ctx context.Context, txID string) (*gateway.ReceiptProof, error) {
	return c.t.Proof(ctx, txID)
}

// Licence implements gateway.Ledger and gateway.LicenceSource: the licence registry commerce
// shares with customs and police.
func (c *Client) Licence(ctx context.Context, licenceNo string) (*gateway.Licence, error) {
	data, err := c.t.Evaluate(ctx, gateway.MSPCommerce, "GetLicence", licenceNo)
	if err != nil {
		return nil, err
	}
	var out gateway.Licence
	return &out, decode(data, &out)
}

func decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return gateway.Wrap(err, gateway.EINTERNAL, "unreadable ledger answer", "账本返回无法解析")
	}
	return nil
}

// RecordCreditEvent implements gateway.Ledger.
func (c *Client) RecordCreditEvent(ctx context.Context, org string, e gateway.CreditEventInput) (*gateway.CreditEvent, error) {
	if _, ok := c.batchers[gateway.MSPID(org)]; !ok {
		return nil, gateway.Errorf(gateway.EINVALID, "unknown organisation %q", "未知机构 %q", org)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	data, receipt, err := c.t.Submit(ctx, gateway.MSPID(org), "RecordCreditEvent", string(body))
	if err != nil {
		return nil, err
	}
	var out gateway.CreditEvent
	if err := decode(data, &out); err != nil {
		return nil, err
	}
	out.Receipt = &receipt
	return &out, nil
}

// CreditFile implements gateway.Ledger.
func (c *Client) CreditFile(ctx context.Context, uscc string) (*gateway.CreditFile, error) {
	data, err := c.t.Evaluate(ctx, gateway.MSPCommerce, "GetCreditFile", uscc)
	if err != nil {
		return nil, err
	}
	out := &gateway.CreditFile{}
	if err := decode(data, out); err != nil {
		return nil, err
	}
	if out.Events == nil {
		out.Events = []gateway.CreditEvent{}
	}
	if out.Cases == nil {
		out.Cases = []gateway.CreditCase{}
	}
	return out, nil
}

// submitCredit submits one of commerce's credit writes taking a JSON argument and decodes
// the answer, with the receipt, into out.
func submitCredit[T any](ctx context.Context, c *Client, fn string, in any, receipt func(*T) **gateway.Receipt) (*T, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	data, r, err := c.t.Submit(ctx, gateway.MSPCommerce, fn, string(body))
	if err != nil {
		return nil, err
	}
	out := new(T)
	if err := decode(data, out); err != nil {
		return nil, err
	}
	*receipt(out) = &r
	return out, nil
}

func caseReceipt(c *gateway.CreditCase) **gateway.Receipt { return &c.Receipt }

// FileCreditCase implements gateway.Ledger.
func (c *Client) FileCreditCase(ctx context.Context, in gateway.CreditCaseInput) (*gateway.CreditCase, error) {
	return submitCredit(ctx, c, "FileCreditCase", in, caseReceipt)
}

// ExtendCreditCase implements gateway.Ledger.
func (c *Client) ExtendCreditCase(ctx context.Context, in gateway.CaseExtensionInput) (*gateway.CreditCase, error) {
	return submitCredit(ctx, c, "ExtendCreditCase", in, caseReceipt)
}

// DecideCreditCase implements gateway.Ledger.
func (c *Client) DecideCreditCase(ctx context.Context, in gateway.CaseDecisionInput) (*gateway.CreditCase, error) {
	return submitCredit(ctx, c, "DecideCreditCase", in, caseReceipt)
}

// SetExporterStatus implements gateway.Ledger.
func (c *Client) SetExporterStatus(ctx context.Context, in gateway.ExporterStatusInput) (*gateway.ExporterStatus, error) {
	return submitCredit(ctx, c, "SetExporterStatus", in, func(s *gateway.ExporterStatus) **gateway.Receipt { return &s.Receipt })
}

// PublishGrade implements gateway.Ledger.
func (c *Client) PublishGrade(ctx context.Context, in gateway.PublishedGradeInput) (*gateway.PublishedGrade, error) {
	return submitCredit(ctx, c, "PublishGrade", in, func(g *gateway.PublishedGrade) **gateway.Receipt { return &g.Receipt })
}

// CreditChanges implements gateway.CreditFeed.
func (c *Client) CreditChanges(ctx context.Context, after uint64, limit int) ([]gateway.CreditChange, error) {
	data, err := c.t.Evaluate(ctx, gateway.MSPCommerce, "GetCreditChanges", strconv.FormatUint(after, 10), strconv.Itoa(limit))
	if err != nil {
		return nil, err
	}
	out := []gateway.CreditChange{}
	return out, decode(data, &out)
}

// AnchorAuditHead implements gateway.Ledger.
func (c *Client) AnchorAuditHead(ctx context.Context, chainID string, seq uint64, hash string) (*gateway.AuditAnchor, error) {
	data, receipt, err := c.t.Submit(ctx, gateway.MSPCommerce, "AnchorAuditHead", chainID, strconv.FormatUint(seq, 10), hash)
	if err != nil {
		return nil, err
	}
	var out gateway.AuditAnchor
	if err := decode(data, &out); err != nil {
		return nil, err
	}
	out.Receipt = &receipt
	return &out, nil
}

// AuditAnchor implements gateway.Ledger.
func (c *Client) AuditAnchor(ctx context.Context, chainID string) (*gateway.AuditAnchor, error) {
	data, err := c.t.Evaluate(ctx, gateway.MSPCommerce, "GetAuditAnchor", chainID)
	if err != nil {
		return nil, err
	}
	var out gateway.AuditAnchor
	return &out, decode(data, &out)
}
