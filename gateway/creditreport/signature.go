package creditreport

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/gateway"
)

// Algorithm is the only signature algorithm of credit reports.
const Algorithm = "Ed25519"

// Codes of a signature check that fails. They are reasons inside a verification (and the
// failures of exportctl verify-credit-report), never HTTP errors.
const (
	// EMALFORMED: the document is not one JSON object without duplicate member names whose
	// signature, keyId and algorithm are strings.
	EMALFORMED = "CREDIT_REPORT_MALFORMED"
	// EKEYMISMATCH: keyId names another key than the one the report is checked against.
	EKEYMISMATCH = "CREDIT_REPORT_KEY_MISMATCH"
	// ESIGNATUREINVALID: the algorithm is not Ed25519, the signature is not standard base64 of
	// 64 bytes, or it does not verify: the report was changed after signing.
	ESIGNATUREINVALID = "CREDIT_REPORT_SIGNATURE_INVALID"
	// ECODEMISMATCH: a genuine report answered under another verification code than its own
	// (the store was tampered with).
	ECODEMISMATCH = "CREDIT_REPORT_CODE_MISMATCH"
)

// signatureMember is the one member of a report the signature does not cover.
const signatureMember = "signature"

func problem(code, pointer, en, zh string, args ...any) *gateway.Error {
	e := gateway.Errorf(code, en, zh, args...)
	return e.WithDetails(gateway.Detail{Pointer: pointer, Code: code, Message: e.Message, MessageZh: e.MessageZh})
}

// canonicalBody returns the RFC 8785 canonical JSON of the report body: the object doc
// without its signature member.
func canonicalBody(doc []byte) ([]byte, error) {
	var members map[string]jsontext.Value // rejects duplicate names, invalid UTF-8, trailing data
	if err := jsonv2.Unmarshal(doc, &members); err != nil || members == nil {
		return nil, problem(EMALFORMED, "", "the credit report is not one JSON object without duplicate member names",
			"信用报告不是单一且无重复成员名的JSON对象")
	}
	delete(members, signatureMember)
	body, err := jsonv2.Marshal(members)
	if err != nil {
		return nil, problem(EMALFORMED, "", "the credit report cannot be canonicalised", "信用报告无法规范化")
	}
	v := jsontext.Value(body)
	if err := v.Canonicalize(); err != nil {
		return nil, problem(EMALFORMED, "", "the credit report cannot be canonicalised", "信用报告无法规范化")
	}
	return v, nil
}

// sign returns the signed document of r: r's JSON with a signature member holding the
// standard base64 of the Ed25519 signature over the canonical JSON of everything else.
func sign(r *Report, priv ed25519.PrivateKey) ([]byte, error) {
	r.Signature = ""
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	canon, err := canonicalBody(body)
	if err != nil {
		return nil, err
	}
	r.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, canon))
	return json.Marshal(r)
}

// Verify checks a signed credit report against the gateway's public key and returns the
// report. The document must be one JSON object (no duplicate member names) whose keyId names
// pub (KeyID), whose algorithm is Ed25519, and whose signature member holds standard base64
// of an Ed25519 signature over the RFC 8785 canonical JSON of the object without that member.
// Members the report type does not know are covered by the signature and otherwise ignored,
// so a newer report verifies with an older verifier. Failures are *gateway.Error with code
// EMALFORMED, EKEYMISMATCH or ESIGNATUREINVALID and one detail naming the member.
func Verify(doc []byte, pub ed25519.PublicKey) (*Report, error) {
	canon, err := canonicalBody(doc)
	if err != nil {
		return nil, err
	}
	var head struct {
		KeyID     *string `json:"keyId"`
		Algorithm *string `json:"algorithm"`
		Signature *string `json:"signature"`
	}
	if err := jsonv2.Unmarshal(doc, &head); err != nil || head.KeyID == nil || head.Algorithm == nil || head.Signature == nil {
		return nil, problem(EMALFORMED, "", "the credit report lacks a string keyId, algorithm or signature",
			"信用报告缺少字符串类型的 keyId、algorithm 或 signature")
	}
	if want := KeyID(pub); *head.KeyID != want {
		return nil, problem(EKEYMISMATCH, "/keyId", "the report is signed with key %q, not with key %s",
			"该报告由密钥 %q 签名，而非密钥 %s", *head.KeyID, want)
	}
	if *head.Algorithm != Algorithm {
		return nil, problem(ESIGNATUREINVALID, "/algorithm", "signature algorithm %q is not supported: only Ed25519",
			"不支持签名算法 %q：仅支持 Ed25519", *head.Algorithm)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(*head.Signature)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return nil, problem(ESIGNATUREINVALID, "/signature", "the signature is not standard base64 of a 64-byte Ed25519 signature",
			"签名不是64字节Ed25519签名的标准Base64编码")
	}
	if !ed25519.Verify(pub, canon, raw) {
		return nil, problem(ESIGNATUREINVALID, "/signature",
			"the signature does not match the report: it was changed after signing",
			"签名与报告内容不符：报告在签发后被改动")
	}
	var r Report
	if err := jsonv2.Unmarshal(doc, &r); err != nil {
		return nil, problem(EMALFORMED, "", "the signed credit report does not have the shape of a credit report",
			"已签名文件不具备信用报告的结构")
	}
	return &r, nil
}
