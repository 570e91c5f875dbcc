package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Audited actions (issue 7 §3): reads of personal data shown in clear, and of credit details.
const (
	AuditReadPersonalData = "READ_PERSONAL_DATA" // a filing document with the owner's data in clear (police, customs)
	AuditReadCredit       = "READ_CREDIT"        // an exporter's credit details: events, report, review cases
)

// AuditGenesis is the prevHash of the first entry of an audit log.
const AuditGenesis = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// Audit query limits.
const (
	DefaultAuditLimit = 50
	MaxAuditLimit     = 500
)

// AuditEntry is one entry of the append-only, hash-chained audit log: who read what, when,
// in which request. It never holds the personal data or credit details read, only their
// resource name ("filing:F…", "exporter:<USCC>").
type AuditEntry struct {
	Seq       uint64    `json:"seq"`  // 1, 2, … without gaps
	Time      time.Time `json:"time"` // UTC, set by Append when zero
	RequestID string    `json:"requestId"`
	// Subject, Role, Org and TokenID are the caller's (Principal); empty on a public route
	// or a gateway built without authentication.
	Subject  string `json:"subject"`
	Role     Role   `json:"role"`
	Org      string `json:"org"`
	TokenID  string `json:"tokenId"`
	Action   string `json:"action"`   // AuditReadPersonalData, AuditReadCredit
	Resource string `json:"resource"` // "filing:<id>", "exporter:<USCC>"
	Route    string `json:"route"`    // the route that answered, e.g. "GET /v1/filings/:id/document"
	PrevHash string `json:"prevHash"` // the previous entry's Hash; AuditGenesis for the first
	// Hash is "sha256:" + hex SHA-256 of the entry's canonical form without Hash (Canonical).
	Hash string `json:"hash"`
}

// auditCanonical is the hashed form of an entry: every member but hash, in lexicographic
// order (as RFC 8785 orders them), time as RFC 3339 UTC with nanoseconds.
type auditCanonical struct {
	Action    string `json:"action"`
	Org       string `json:"org"`
	PrevHash  string `json:"prevHash"`
	RequestID string `json:"requestId"`
	Resource  string `json:"resource"`
	Role      Role   `json:"role"`
	Route     string `json:"route"`
	Seq       uint64 `json:"seq"`
	Subject   string `json:"subject"`
	Time      string `json:"time"`
	TokenID   string `json:"tokenId"`
}

// Canonical returns the bytes an entry's hash is computed over: the JSON object of every
// member but hash, members in lexicographic order, no white space, no HTML escaping, time
// in RFC 3339 UTC with nanoseconds (trailing zeros dropped). Anyone can recompute it
// (README "Privacy and the audit log").
func (e *AuditEntry) Canonical() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(auditCanonical{ // strings and numbers always encode
		Action: e.Action, Org: e.Org, PrevHash: e.PrevHash, RequestID: e.RequestID, Resource: e.Resource,
		Role: e.Role, Route: e.Route, Seq: e.Seq, Subject: e.Subject, Time: e.Time.UTC().Format(time.RFC3339Nano), TokenID: e.TokenID,
	})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ComputeHash returns the hash the entry should carry.
func (e *AuditEntry) ComputeHash() string {
	sum := sha256.Sum256(e.Canonical())
	return "sha256:" + hex.EncodeToString(sum[:])
}

// AuditHead is the last entry of a log: its seq and hash (zero for an empty log).
type AuditHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// ChainAudit links entries after head: it sets their Seq, PrevHash and Hash, and Time (UTC)
// when zero, and returns the new head. Implementations of AuditLog call it inside their
// atomic append.
func ChainAudit(head AuditHead, entries []*AuditEntry, now time.Time) AuditHead {
	prev := head.Hash
	if head.Seq == 0 {
		prev = AuditGenesis
	}
	for i, e := range entries {
		e.Seq = head.Seq + uint64(i) + 1
		if e.Time.IsZero() {
			e.Time = now
		}
		e.Time = e.Time.UTC().Round(0)
		e.PrevHash = prev
		e.Hash = e.ComputeHash()
		prev = e.Hash
	}
	if len(entries) == 0 {
		return head
	}
	return AuditHead{Seq: entries[len(entries)-1].Seq, Hash: prev}
}

// AuditQuery selects entries: those after the cursor After (a seq) that match every filter
// given; at most Limit (DefaultAuditLimit when 0, never more than MaxAuditLimit).
type AuditQuery struct {
	After    uint64
	Limit    int
	Subject  string
	Org      string
	Action   string
	Resource string
}

// Matches reports whether e passes q's filters (not its cursor).
func (q AuditQuery) Matches(e *AuditEntry) bool {
	return (q.Subject == "" || e.Subject == q.Subject) && (q.Org == "" || e.Org == q.Org) &&
		(q.Action == "" || e.Action == q.Action) && (q.Resource == "" || e.Resource == q.Resource)
}

// PageLimit is q.Limit within bounds.
func (q AuditQuery) PageLimit() int {
	switch {
	case q.Limit <= 0:
		return DefaultAuditLimit
	case q.Limit > MaxAuditLimit:
		return MaxAuditLimit
	}
	return q.Limit
}

// AuditPage is one answer of AuditLog.Entries.
type AuditPage struct {
	Entries []*AuditEntry `json:"entries"`
	// Next is the After of the next page; 0 when no entry follows. A filtered next page may
	// come back empty: whether more entries match is only known by reading them.
	Next uint64 `json:"next,omitempty"`
}

// AuditVerification is the outcome of walking an audit log's chain.
type AuditVerification struct {
	// Verified: every entry's hash is its canonical form's, every prevHash is the previous
	// entry's hash, seqs run 1, 2, … without gaps, and the stored head is the last entry.
	Verified bool   `json:"verified"`
	Entries  uint64 `json:"entries"` // entries checked
	Head     string `json:"head"`    // hash of the last entry checked (AuditGenesis when none)
	// BrokenAt is the first entry that fails (0 when verified); Problem says how.
	BrokenAt  uint64 `json:"brokenAt,omitempty"`
	Problem   string `json:"problem,omitempty"`
	ProblemZh string `json:"problemZh,omitempty"`
}

// AuditVerifier checks a chain entry by entry, in seq order (AuditLog implementations use it).
type AuditVerifier struct {
	v    AuditVerification
	prev string
}

// NewAuditVerifier returns a verifier at the start of a chain.
func NewAuditVerifier() *AuditVerifier {
	return &AuditVerifier{v: AuditVerification{Verified: true, Head: AuditGenesis}, prev: AuditGenesis}
}

// NewAuditVerifierAt returns a verifier that continues a chain known good up to entry seq,
// whose hash is hash (an anchored head): it checks the entries after it.
func NewAuditVerifierAt(seq uint64, hash string) *AuditVerifier {
	return &AuditVerifier{v: AuditVerification{Verified: true, Entries: seq, Head: hash}, prev: hash}
}

// Broken reports whether the chain is already broken (further entries need no reading).
func (a *AuditVerifier) Broken() bool { return !a.v.Verified }

// Next checks the next stored entry; seq is where it is stored (its key), e nil when it
// cannot be decoded.
func (a *AuditVerifier) Next(seq uint64, e *AuditEntry) {
	if a.Broken() {
		return
	}
	want := a.v.Entries + 1
	switch {
	case seq != want:
		a.fail(want, "entry "+strconv.FormatUint(want, 10)+" is missing", "缺少第 "+strconv.FormatUint(want, 10)+" 条记录")
	case e == nil:
		a.fail(seq, "the entry cannot be read", "记录无法读取")
	case e.Seq != seq:
		a.fail(seq, fmt.Sprintf("the entry stored as %d says it is %d", seq, e.Seq), fmt.Sprintf("第 %d 条记录的序号为 %d", seq, e.Seq))
	case e.PrevHash != a.prev:
		a.fail(seq, "prevHash is not the previous entry's hash", "prevHash 与上一条记录的哈希不一致")
	case e.Hash != e.ComputeHash():
		a.fail(seq, "the entry does not match its hash: it has been altered", "记录与其哈希不一致，已被篡改")
	default:
		a.v.Entries = seq
		a.prev = e.Hash
		a.v.Head = e.Hash
	}
}

// Finish checks the stored head against the last entry and returns the outcome.
func (a *AuditVerifier) Finish(head AuditHead) *AuditVerification {
	if !a.Broken() && (head.Seq != a.v.Entries || head.Seq > 0 && head.Hash != a.prev) {
		a.fail(a.v.Entries+1, fmt.Sprintf("the log's head (entry %d) is not its last entry (%d): entries were removed or the head altered", head.Seq, a.v.Entries),
			fmt.Sprintf("日志头（第 %d 条）不是最后一条记录（第 %d 条）：记录被删除或日志头被篡改", head.Seq, a.v.Entries))
	}
	v := a.v
	return &v
}

func (a *AuditVerifier) fail(seq uint64, en, zh string) {
	a.v.Verified, a.v.BrokenAt, a.v.Problem, a.v.ProblemZh = false, seq, en, zh
}

// AuditLog is the append-only, hash-chained log of reads of personal data and credit details
// (issue 7 §3). Commerce and admin query it (GET /v1/audit). Implementations: embedded (bbolt)
// and rediscache (Redis); both pass gatewaytest.TestAuditLog.
type AuditLog interface {
	// Append appends entries, in order, after the log's last entry in one atomic, durable
	// write, chaining them (ChainAudit sets Seq, PrevHash, Hash and a zero Time). Nothing is
	// appended on error. EUNAVAILABLE when the log cannot be written.
	Append(ctx context.Context, entries ...*AuditEntry) error
	// Entries returns the entries after q.After that match q, in seq order, at most
	// q.PageLimit(). EUNAVAILABLE.
	Entries(ctx context.Context, q AuditQuery) (*AuditPage, error)
	// Verify walks the whole chain and checks it (a broken chain is an answer, not an error).
	// EUNAVAILABLE.
	Verify(ctx context.Context) (*AuditVerification, error)
}

// AnchorAudit anchors the log's head on the ledger under chainID once the entries since the
// last anchor verify: the anchored entry must still carry its anchored hash, and every entry
// after it must chain from it (the first anchor checks the whole log). It reads only the
// entries since the last anchor, so anchoring often stays cheap; a full walk of the chain is
// GET /v1/audit's (AuditLog.Verify). A broken chain is not anchored (ECONFLICT: it needs an
// investigation, not a fresh anchor); an empty log has nothing to anchor (nil, nil).
func AnchorAudit(ctx context.Context, log AuditLog, l Ledger, chainID string) (*AuditAnchor, error) {
	last, err := l.AuditAnchor(ctx, chainID)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	v := NewAuditVerifier()
	after := uint64(0)
	if last != nil {
		page, err := log.Entries(ctx, AuditQuery{After: last.Seq - 1, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(page.Entries) == 0 || page.Entries[0].Seq != last.Seq || page.Entries[0].Hash != last.Hash {
			return nil, Errorf(ECONFLICT, "audit log %s no longer holds its anchored entry %d as anchored: not anchored",
				"审计日志 %s 中已锚定的第 %d 条记录已变：不予锚定", chainID, last.Seq)
		}
		v, after = NewAuditVerifierAt(last.Seq, last.Hash), last.Seq
	}
	for {
		page, err := log.Entries(ctx, AuditQuery{After: after, Limit: MaxAuditLimit})
		if err != nil {
			return nil, err
		}
		for _, e := range page.Entries {
			v.Next(e.Seq, e)
		}
		if v.Broken() {
			r := v.Finish(AuditHead{Seq: v.v.Entries, Hash: v.prev})
			return nil, Errorf(ECONFLICT, "the audit log's chain is broken at entry %d (%s): not anchored",
				"审计日志在第 %d 条处断链（%s），不予锚定", r.BrokenAt, r.Problem)
		}
		if page.Next == 0 || len(page.Entries) == 0 {
			break
		}
		after = page.Next
	}
	if v.v.Entries == 0 || last != nil && v.v.Entries == last.Seq {
		return last, nil // nothing new
	}
	return l.AnchorAuditHead(ctx, chainID, v.v.Entries, v.prev)
}

// CheckAuditAnchor holds a verified chain to its latest anchor on the ledger: the log must
// still reach the anchored entry and that entry must carry the anchored hash; otherwise v is
// marked broken there (entries were cut, or the log rewritten from before the anchor up to
// its head, which the chain alone cannot show). It returns the anchor, nil when the log was
// never anchored.
func CheckAuditAnchor(ctx context.Context, log AuditLog, l Ledger, chainID string, v *AuditVerification) (*AuditAnchor, error) {
	a, err := l.AuditAnchor(ctx, chainID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !v.Verified {
		return a, nil
	}
	if v.Entries < a.Seq {
		v.Verified, v.BrokenAt = false, v.Entries+1
		v.Problem = fmt.Sprintf("the log ends at entry %d but entry %d is anchored on the ledger: entries were removed", v.Entries, a.Seq)
		v.ProblemZh = fmt.Sprintf("日志止于第 %d 条，而账本已锚定第 %d 条：记录被删除", v.Entries, a.Seq)
		return a, nil
	}
	page, err := log.Entries(ctx, AuditQuery{After: a.Seq - 1, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(page.Entries) == 0 || page.Entries[0].Seq != a.Seq || page.Entries[0].Hash != a.Hash {
		v.Verified, v.BrokenAt = false, a.Seq
		v.Problem = fmt.Sprintf("entry %d differs from the hash anchored on the ledger: the log was rewritten", a.Seq)
		v.ProblemZh = fmt.Sprintf("第 %d 条记录与账本锚定的哈希不一致：日志被改写", a.Seq)
	}
	return a, nil
}
