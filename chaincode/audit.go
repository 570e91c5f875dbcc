package chaincode

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Audit-log anchors (issue 7 §3). The gateway's audit log is hash-chained in its own store;
// its head is anchored here from time to time, so that rewriting the log — every entry from a
// tampered one to the head — or cutting its tail is caught: the entry at an anchored seq must
// still carry the anchored hash, and the log must reach it. Key:
//
//	audithead~<chainID>   AuditAnchor JSON: the latest anchored head of that chain
//
// chainID names one log (the gateway derives it from the log's first entry). Anchors only move
// forward: a lower seq is refused, the same head again is answered as stored.
func auditHeadKey(chainID string) string { return "audithead~" + chainID }

// AuditAnchor is an audit log's head as anchored on the ledger.
type AuditAnchor struct {
	ChainID   string `json:"chainId"`
	Seq       uint64 `json:"seq"`
	Hash      string `json:"hash"`
	TxID      string `json:"txId"`
	Timestamp string `json:"timestamp"`
}

// AnchorAuditHead anchors an audit log's head (seq ≥ 1, hash sha256:<hex>). CommerceMSP only.
// Errors: INVALID_ARGUMENT, FORBIDDEN, CONFLICT (a later head is anchored, or another hash at
// the same seq: the log was rewritten).
func (c *Contract) AnchorAuditHead(ctx contractapi.TransactionContextInterface, chainID, seq, hash string) (*AuditAnchor, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkFilingID("chainId", chainID); err != nil {
		return nil, err
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil || n == 0 {
		return nil, fail(CodeInvalidArgument, "seq: must be a positive integer")
	}
	if err := checkHash("hash", hash, true); err != nil {
		return nil, err
	}
	if err := requireMSP(t.mspID, MSPCommerce, "anchor an audit log"); err != nil {
		return nil, err
	}
	prev, err := t.get(auditHeadKey(chainID))
	if err != nil {
		return nil, err
	}
	if prev != nil {
		var p AuditAnchor
		if err := json.Unmarshal(prev, &p); err != nil {
			return nil, fmt.Errorf("audit anchor of %s: corrupt", chainID)
		}
		switch {
		case p.Seq == n && p.Hash == hash:
			return &p, nil
		case p.Seq == n:
			return nil, fail(CodeConflict, "entry %d of audit log %s was anchored with another hash", n, chainID)
		case p.Seq > n:
			return nil, fail(CodeConflict, "audit log %s is anchored at entry %d, after %d", chainID, p.Seq, n)
		}
	}
	a := &AuditAnchor{ChainID: chainID, Seq: n, Hash: hash, TxID: t.txID, Timestamp: t.now}
	if err := t.putJSON(auditHeadKey(chainID), a); err != nil {
		return nil, err
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return a, nil
}

// GetAuditAnchor returns an audit log's latest anchored head. Errors: INVALID_ARGUMENT,
// NOT_FOUND (never anchored).
func (c *Contract) GetAuditAnchor(ctx contractapi.TransactionContextInterface, chainID string) (*AuditAnchor, error) {
	if err := checkFilingID("chainId", chainID); err != nil {
		return nil, err
	}
	b, err := getState(ctx.GetStub(), auditHeadKey(chainID))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fail(CodeNotFound, "audit log %s was never anchored", chainID)
	}
	var a AuditAnchor
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("audit anchor of %s: corrupt", chainID)
	}
	return &a, nil
}
