package creditreport_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/creditreport"
)

// signedBody is the canonical JSON of a document without its signature member, or nil.
func signedBody(doc []byte) []byte {
	var m map[string]jsontext.Value
	if jsonv2.Unmarshal(doc, &m) != nil {
		return nil
	}
	delete(m, "signature")
	b, err := jsonv2.Marshal(m)
	if err != nil {
		return nil
	}
	v := jsontext.Value(b)
	if v.Canonicalize() != nil {
		return nil
	}
	return v
}

// FuzzVerify feeds Verify arbitrary documents, seeded with a genuine report
// (testdata/genuine-report.json, signed with fuzzKey: fuzzing runs the setup in several
// processes, so the report cannot be issued afresh) and edits of it. Verify never panics; a
// refusal is one of the three codes with both messages; and whatever it accepts says exactly
// what the genuine report says (only layout and member order may differ): no edit of the
// content gets through without the private key.
func FuzzVerify(f *testing.F) {
	priv := fuzzKey()
	doc, err := os.ReadFile(filepath.Join("testdata", "genuine-report.json"))
	require.NoError(f, err)
	_, err = creditreport.Verify(doc, priv.Public().(ed25519.PublicKey))
	require.NoError(f, err, "testdata/genuine-report.json no longer verifies: regenerate it with UCX_REGENERATE=1")
	genuine := signedBody(doc)
	require.NotNil(f, genuine)

	var indented bytes.Buffer
	require.NoError(f, json.Indent(&indented, doc, "", "\t"))
	f.Add(doc)
	f.Add(indented.Bytes())
	f.Add(bytes.Replace(doc, []byte(`"score":70`), []byte(`"score":71`), 1))
	f.Add(bytes.Replace(doc, []byte(`"signature":"`), []byte(`"signature":"A`), 1))
	f.Add([]byte(`{"keyId":"` + creditreport.NewKey(priv).ID() + `","algorithm":"Ed25519","signature":""}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`null`))

	pub := priv.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, err := creditreport.Verify(doc, pub)
		if err != nil {
			switch gateway.ErrorCode(err) {
			case creditreport.EMALFORMED, creditreport.EKEYMISMATCH, creditreport.ESIGNATUREINVALID:
			default:
				t.Fatalf("uncoded refusal: %v", err)
			}
			en, zh := gateway.ErrorMessages(err)
			if en == "" || zh == "" {
				t.Fatalf("a refusal without both messages: %v", err)
			}
			return
		}
		if r == nil {
			t.Fatal("accepted without a report")
		}
		if !bytes.Equal(signedBody(doc), genuine) {
			t.Fatalf("accepted a document that differs from the genuine report:\n%s", doc)
		}
	})
}

// FuzzNormalizeCode: a normalised code is "" or canonical (four dashed groups of Crockford
// base32) and normalises to itself.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"7KQ4-M2XD-9PAB-3HTV", "7kq4m2xd9pab3htv", "OOOO IIII LLLL oooo", "ıııı-ıııı-ıııı-ıııı", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := creditreport.NormalizeCode(s)
		if n == "" {
			return
		}
		if len(n) != 19 || strings.Count(n, "-") != 3 || creditreport.NormalizeCode(n) != n {
			t.Fatalf("NormalizeCode(%q) = %q: not canonical", s, n)
		}
		for _, c := range strings.ReplaceAll(n, "-", "") {
			if !strings.ContainsRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c) {
				t.Fatalf("NormalizeCode(%q) = %q: %q is not Crockford base32", s, n, c)
			}
		}
	})
}

func fuzzKey() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("ucx credit report fuzz key"))
	return ed25519.NewKeyFromSeed(seed[:])
}

// TestGenuineReportFixture writes testdata/genuine-report.json afresh with UCX_REGENERATE=1.
func TestGenuineReportFixture(t *testing.T) {
	if os.Getenv("UCX_REGENERATE") != "1" {
		t.Skip("UCX_REGENERATE=1 rewrites testdata/genuine-report.json")
	}
	svc := creditreport.New(&memStore{}, &credits{C: sampleCredit()}, creditreport.NewKey(fuzzKey()),
		creditreport.WithClock(func() time.Time { return issuedAt }))
	issued, err := svc.Issue(context.Background(), uscc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "genuine-report.json"), issued.JSON, 0o644))
}

// memStore keeps reports in memory.
type memStore struct {
	reports map[string]*gateway.StoredCreditReport
}

func (m *memStore) SaveCreditReport(_ context.Context, r *gateway.StoredCreditReport) error {
	if m.reports == nil {
		m.reports = map[string]*gateway.StoredCreditReport{}
	}
	m.reports[r.VerificationCode] = r
	return nil
}

func (m *memStore) CreditReportByCode(_ context.Context, code string) (*gateway.StoredCreditReport, error) {
	if r, ok := m.reports[code]; ok {
		return r, nil
	}
	return nil, gateway.Errorf(gateway.ENOTFOUND, "no credit report", "无信用报告")
}
