// Package inspection verifies the signatures of WM/T 8/9 inspection reports issued by
// third-party inspection agencies.
//
// An agency signs a report with Ed25519 over the report's RFC 8785 canonical JSON (JSON
// Canonicalization Scheme), so whitespace and member order do not matter while any change to a
// value does. The signature travels detached, next to the report:
//
//	{"report": {…}, "signature": {"keyId": "…", "algorithm": "Ed25519", "value": "<base64>"}}
//
// The gateway knows the agencies' public keys from a [Registry] (fixtures/agencies/
// inspection-agency-keys.json in the embedded mode). Each key belongs to one agency (its USCC)
// and is valid over a date range, checked against the report's issue date, so an agency can
// rotate its key: the old key keeps verifying the reports it signed while it was valid.
package inspection

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/gateway"
)

// Error codes of report signature verification. Each failure carries exactly one
// gateway.Detail whose pointer names the offending member of the signed body.
const (
	// EUNSIGNED: the report carries no signature (nil, or an empty value).
	EUNSIGNED = "REPORT_UNSIGNED"
	// ESIGNATUREINVALID: the signature is malformed (bad base64, wrong length, an algorithm
	// other than Ed25519) or does not verify over the report's canonical JSON — which includes
	// any change to the report after signing.
	ESIGNATUREINVALID = "REPORT_SIGNATURE_INVALID"
	// EAGENCYUNKNOWN: the keyId is not a registered agency key.
	EAGENCYUNKNOWN = "REPORT_AGENCY_UNKNOWN"
	// EAGENCYMISMATCH: the key belongs to another agency than the one the report names.
	EAGENCYMISMATCH = "REPORT_AGENCY_MISMATCH"
	// EKEYNOTVALID: the report's issue date lies outside the key's validity.
	EKEYNOTVALID = "REPORT_KEY_NOT_VALID"
)

// JSON pointers of the details, relative to the signed body {"report": …, "signature": …}.
const (
	PointerSignatureValue     = "/signature/value"
	PointerSignatureKeyID     = "/signature/keyId"
	PointerSignatureAlgorithm = "/signature/algorithm"
	PointerAgencyUSCC         = "/report/agency/uscc"
	PointerIssueDate          = "/report/issueDate"
)

// Algorithm is the only signature algorithm accepted.
const Algorithm = "Ed25519"

// DateLayout is the layout of AgencyKey.ValidFrom/ValidUntil and of a report's issueDate.
const DateLayout = "2006-01-02"

// Signature is a detached signature over the RFC 8785 canonical JSON of a report.
type Signature struct {
	KeyID     string `json:"keyId"`     // the agency key that signed
	Algorithm string `json:"algorithm"` // "Ed25519"
	Value     string `json:"value"`     // base64 (standard, padded) of the 64-byte signature
}

// AgencyKey is an inspection agency's registered public key.
type AgencyKey struct {
	KeyID      string `json:"keyId"`
	AgencyUSCC string `json:"agencyUscc"`
	AgencyName string `json:"agencyName"`
	PublicKey  string `json:"publicKey"`            // base64 of the 32-byte Ed25519 public key
	ValidFrom  string `json:"validFrom"`            // YYYY-MM-DD
	ValidUntil string `json:"validUntil,omitempty"` // YYYY-MM-DD, "" = open (key rotation: an old key keeps verifying what it signed while valid)
}

// registeredKey is an AgencyKey with its decoded public key and validity.
type registeredKey struct {
	AgencyKey
	pub   ed25519.PublicKey
	from  time.Time
	until time.Time // zero = open
}

// validOn reports whether the key is valid on day d (both bounds inclusive).
func (k *registeredKey) validOn(d time.Time) bool {
	return !d.Before(k.from) && (k.until.IsZero() || !d.After(k.until))
}

// Registry holds the registered agency keys. It is read-only after loading and safe for
// concurrent use.
type Registry struct {
	keys  map[string]*registeredKey
	order []string // keyIds in load order
}

// LoadRegistry reads a JSON array of AgencyKey from path in fsys and validates every key (see
// NewRegistry). Unknown members are refused so a misspelt field does not silently open a key.
func LoadRegistry(fsys fs.FS, path string) (*Registry, error) {
	data, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("read agency keys %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var keys []AgencyKey
	if err := dec.Decode(&keys); err != nil {
		return nil, fmt.Errorf("decode agency keys %s: %w", path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode agency keys %s: trailing data after the array", path)
	}
	r, err := NewRegistry(keys)
	if err != nil {
		return nil, fmt.Errorf("agency keys %s: %w", path, err)
	}
	return r, nil
}

// NewRegistry validates keys and returns a registry of them: every key needs a unique
// non-empty keyId, an agency USCC, a standard-base64 32-byte Ed25519 public key, a validFrom
// date and, if set, a validUntil date not before validFrom.
func NewRegistry(keys []AgencyKey) (*Registry, error) {
	r := &Registry{keys: make(map[string]*registeredKey, len(keys))}
	for i, k := range keys {
		if k.KeyID == "" {
			return nil, fmt.Errorf("key %d: empty keyId", i)
		}
		if _, dup := r.keys[k.KeyID]; dup {
			return nil, fmt.Errorf("key %d: duplicate keyId %q", i, k.KeyID)
		}
		if k.AgencyUSCC == "" {
			return nil, fmt.Errorf("key %q: empty agencyUscc", k.KeyID)
		}
		pub, err := base64.StdEncoding.Strict().DecodeString(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("key %q: publicKey is not standard base64: %w", k.KeyID, err)
		}
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("key %q: publicKey has %d bytes, want %d", k.KeyID, len(pub), ed25519.PublicKeySize)
		}
		rk := &registeredKey{AgencyKey: k, pub: ed25519.PublicKey(pub)}
		if rk.from, err = time.Parse(DateLayout, k.ValidFrom); err != nil {
			return nil, fmt.Errorf("key %q: validFrom %q is not YYYY-MM-DD", k.KeyID, k.ValidFrom)
		}
		if k.ValidUntil != "" {
			if rk.until, err = time.Parse(DateLayout, k.ValidUntil); err != nil {
				return nil, fmt.Errorf("key %q: validUntil %q is not YYYY-MM-DD", k.KeyID, k.ValidUntil)
			}
			if rk.until.Before(rk.from) {
				return nil, fmt.Errorf("key %q: validUntil %s precedes validFrom %s", k.KeyID, k.ValidUntil, k.ValidFrom)
			}
		}
		r.keys[k.KeyID] = rk
		r.order = append(r.order, k.KeyID)
	}
	return r, nil
}

// Keys returns a copy of the registered keys in load order.
func (r *Registry) Keys() []AgencyKey {
	out := make([]AgencyKey, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.keys[id].AgencyKey)
	}
	return out
}

// Key returns the registered key keyID.
func (r *Registry) Key(keyID string) (AgencyKey, bool) {
	k, ok := r.keys[keyID]
	if !ok {
		return AgencyKey{}, false
	}
	return k.AgencyKey, true
}

// ActiveKey returns the key of agency agencyUSCC valid on date (YYYY-MM-DD): the one with the
// latest validFrom if several overlap. It is the key the agency signs a report issued that day
// with.
func (r *Registry) ActiveKey(agencyUSCC, date string) (AgencyKey, bool) {
	d, err := time.Parse(DateLayout, date)
	if err != nil {
		return AgencyKey{}, false
	}
	var cands []*registeredKey
	for _, id := range r.order {
		if k := r.keys[id]; k.AgencyUSCC == agencyUSCC && k.validOn(d) {
			cands = append(cands, k)
		}
	}
	if len(cands) == 0 {
		return AgencyKey{}, false
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].from.After(cands[j].from) })
	return cands[0].AgencyKey, true
}

// Canonical returns the RFC 8785 canonical JSON of report (jsontext.Value.Canonicalize on a
// copy; report itself is not modified). It fails with gateway.EINVALIDJSON if report is not a
// single valid JSON value, has duplicate member names or invalid UTF-8.
func Canonical(report []byte) ([]byte, error) {
	v := jsontext.Value(bytes.Clone(report))
	if err := v.Canonicalize(); err != nil {
		return nil, gateway.Wrap(err, gateway.EINVALIDJSON,
			"the report cannot be canonicalised: it is not a single valid JSON value without duplicate member names",
			"检验报告无法规范化：不是单一、有效且无重复成员名的JSON值")
	}
	return []byte(v), nil
}

// Sign signs the canonical JSON of report with priv and returns the detached signature naming
// keyID. It is what an agency (or exportctl sign-report) does; the gateway only verifies.
func Sign(report []byte, keyID string, priv ed25519.PrivateKey) (*Signature, error) {
	if keyID == "" {
		return nil, gateway.Errorf(gateway.EINVALID, "empty keyId", "密钥标识为空")
	}
	if len(priv) != ed25519.PrivateKeySize {
		return nil, gateway.Errorf(gateway.EINVALID, "the Ed25519 private key has %d bytes, want %d",
			"Ed25519私钥长度为%d字节，应为%d字节", len(priv), ed25519.PrivateKeySize)
	}
	c, err := Canonical(report)
	if err != nil {
		return nil, err
	}
	return &Signature{KeyID: keyID, Algorithm: Algorithm, Value: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, c))}, nil
}

// DemoKey derives the demo private key of a fixture agency key: the Ed25519 key whose seed is
// SHA-256("ucx demo inspection agency key " + keyID).
//
// FOR DEMOS AND TESTS ONLY. Anyone can derive these keys, so a signature made with one proves
// nothing; the fixture registry registers their public halves so the sample filings can be
// signed. Real agencies generate and keep their own private keys and register only the public
// key.
func DemoKey(keyID string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("ucx demo inspection agency key " + keyID))
	return ed25519.NewKeyFromSeed(seed[:])
}

func detailed(code, pointer, en, zh string, args ...any) *gateway.Error {
	e := gateway.Errorf(code, en, zh, args...)
	return e.WithDetails(gateway.Detail{Pointer: pointer, Code: code, Message: e.Message, MessageZh: e.MessageZh})
}

// Verify checks sig over the report's canonical JSON. agencyUSCC and issueDate (YYYY-MM-DD)
// are the report's /agency/uscc and /issueDate (see VerifyReport, which reads them itself).
// The checks, in order, each failing with its own code:
//
//   - sig is present with a non-empty value (EUNSIGNED);
//   - the algorithm is Ed25519 and the value standard base64 of 64 bytes (ESIGNATUREINVALID);
//   - the keyId is registered (EAGENCYUNKNOWN);
//   - the key belongs to agencyUSCC (EAGENCYMISMATCH);
//   - the key is valid on issueDate (EKEYNOTVALID; also when issueDate is not a date);
//   - the signature verifies over the canonical JSON of report (ESIGNATUREINVALID; also when
//     report is not canonicalisable JSON).
//
// Every failure is a *gateway.Error with one gateway.Detail.
func (r *Registry) Verify(report []byte, agencyUSCC, issueDate string, sig *Signature) error {
	if sig == nil || sig.Value == "" {
		return detailed(EUNSIGNED, PointerSignatureValue,
			"the inspection report is not signed by its agency", "检验报告未经检验机构签名")
	}
	if sig.Algorithm != Algorithm {
		return detailed(ESIGNATUREINVALID, PointerSignatureAlgorithm,
			"signature algorithm %q is not supported: only Ed25519", "不支持签名算法%q：仅支持Ed25519", sig.Algorithm)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(sig.Value)
	if err != nil {
		return detailed(ESIGNATUREINVALID, PointerSignatureValue,
			"the signature value is not standard padded base64", "签名值不是标准（带填充）Base64编码")
	}
	if len(raw) != ed25519.SignatureSize {
		return detailed(ESIGNATUREINVALID, PointerSignatureValue,
			"the signature has %d bytes, an Ed25519 signature has 64", "签名长度为%d字节，Ed25519签名应为64字节", len(raw))
	}
	k, ok := r.keys[sig.KeyID]
	if !ok {
		return detailed(EAGENCYUNKNOWN, PointerSignatureKeyID,
			"key %q is not a registered inspection agency key", "密钥%q不是已登记的检验机构密钥", sig.KeyID)
	}
	if k.AgencyUSCC != agencyUSCC {
		return detailed(EAGENCYMISMATCH, PointerAgencyUSCC,
			"the report names agency %q but key %q belongs to %s (%s)",
			"检验报告出具机构为%q，但密钥%q属于%s（%s）", agencyUSCC, sig.KeyID, k.AgencyName, k.AgencyUSCC)
	}
	d, err := time.Parse(DateLayout, issueDate)
	if err != nil {
		return detailed(EKEYNOTVALID, PointerIssueDate,
			"the report's issue date %q is not YYYY-MM-DD: the key's validity cannot be checked",
			"检验报告签发日期%q不是YYYY-MM-DD格式，无法核对密钥有效期", issueDate)
	}
	if !k.validOn(d) {
		until := k.ValidUntil
		if until == "" {
			until = "open"
		}
		return detailed(EKEYNOTVALID, PointerIssueDate,
			"key %q is valid from %s to %s, not on the report's issue date %s",
			"密钥%q有效期为%s至%s，不含检验报告签发日期%s", sig.KeyID, k.ValidFrom, until, issueDate)
	}
	c, err := Canonical(report)
	if err != nil {
		return detailed(ESIGNATUREINVALID, PointerSignatureValue,
			"the signature cannot be checked: the report is not valid JSON (or has duplicate member names)",
			"无法核验签名：检验报告不是有效JSON（或含重复成员名）")
	}
	if !ed25519.Verify(k.pub, c, raw) {
		return detailed(ESIGNATUREINVALID, PointerSignatureValue,
			"the signature does not match the report: the report was changed after signing or signed with another key",
			"签名与检验报告不符：报告签名后被改动，或由其他密钥签名")
	}
	return nil
}

// VerifyReport is Verify with agencyUSCC and issueDate read from the report itself
// (/agency/uscc and /issueDate; member names matched exactly). A report that is not a JSON
// object fails with ESIGNATUREINVALID (unless unsigned).
func (r *Registry) VerifyReport(report []byte, sig *Signature) error {
	var head struct {
		Agency struct {
			USCC string `json:"uscc"`
		} `json:"agency"`
		IssueDate string `json:"issueDate"`
	}
	if sig == nil || sig.Value == "" {
		return r.Verify(report, "", "", sig) // EUNSIGNED whatever the report
	}
	if err := jsonv2.Unmarshal(report, &head); err != nil {
		return detailed(ESIGNATUREINVALID, PointerSignatureValue,
			"the signature cannot be checked: the report is not a JSON object with a string agency.uscc and issueDate",
			"无法核验签名：检验报告不是含字符串agency.uscc及issueDate的JSON对象")
	}
	return r.Verify(report, head.Agency.USCC, head.IssueDate, sig)
}
