package creditreport_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/creditreport"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/exporters"
)

const uscc = "91440300MA5GK7R3DQ"

var issuedAt = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// credits is a stub of the credit service: it answers a copy of C, or Err.
type credits struct {
	mu  sync.Mutex
	C   exporters.Credit
	Err error
}

func (c *credits) Credit(_ context.Context, u string) (*exporters.Credit, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Err != nil {
		return nil, c.Err
	}
	if u != c.C.USCC {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "not filed", "未备案")
	}
	out := c.C
	out.Events = append([]exporters.Event(nil), c.C.Events...)
	return &out, nil
}

func (c *credits) set(fn func(*exporters.Credit)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(&c.C)
}

func event(id, code string, status credit.Status, weight float64) exporters.Event {
	decays := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	return exporters.Event{
		CreditEvent: gateway.CreditEvent{ID: id, ExporterUSCC: uscc, Code: code, OccurredAt: "2026-10-01", Source: gateway.CreditManual,
			Actor: "officer-9", Status: string(status), MSPID: "CommerceMSP", TxID: "tx1", Timestamp: "2026-10-01T08:00:00Z"},
		NameZh: "被主管部门约谈", NameEn: "Regulator talk (约谈)", Tier: credit.General, Points: 10, Weight: weight, Factor: 1, DecaysAt: &decays,
	}
}

func sampleCredit() exporters.Credit {
	return exporters.Credit{USCC: uscc, Name: "深圳前海国际汽车贸易有限公司", Score: 70, Grade: credit.GradeC, ModelVersion: "ucx-credit-2026.1",
		AsOf: "2026-11-26", Events: []exporters.Event{event(uscc+"-1", "E12", credit.Active, -10)}}
}

type fixture struct {
	svc     *creditreport.Service
	store   *embedded.Store
	key     *creditreport.Key
	credits *credits
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store, err := embedded.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	key, err := creditreport.LoadOrCreateKey(filepath.Join(t.TempDir(), creditreport.KeyFile))
	require.NoError(t, err)
	c := &credits{C: sampleCredit()}
	return &fixture{svc: creditreport.New(store, c, key, creditreport.WithClock(func() time.Time { return issuedAt })), store: store, key: key, credits: c}
}

func pub(t *testing.T, k *creditreport.Key) ed25519.PublicKey {
	t.Helper()
	p, err := creditreport.ParsePublicKey([]byte(k.Public().PublicKey))
	require.NoError(t, err)
	return p
}

func TestIssueSignsTheCreditAndStoresIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	issued, err := f.svc.Issue(ctx, uscc)
	require.NoError(t, err)

	r, err := creditreport.Verify(issued.JSON, pub(t, f.key))
	require.NoError(t, err, "the signature verifies with the published key")
	assert.Equal(t, sampleCredit(), r.Credit, "the whole credit, as the credit service answered it")
	assert.Regexp(t, `^UCX-CR-20261126-[0-9A-HJKMNP-TV-Z]{8}$`, r.ReportNo)
	assert.Regexp(t, `^([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}$`, r.VerificationCode)
	assert.Equal(t, issuedAt, r.IssuedAt)
	assert.Equal(t, f.key.ID(), r.KeyID)
	assert.Equal(t, "Ed25519", r.Algorithm)
	assert.Equal(t, creditreport.DefaultIssuer, r.Issuer)
	assert.Equal(t, issued.Report, *r)

	stored, err := f.store.CreditReportByCode(ctx, r.VerificationCode)
	require.NoError(t, err)
	assert.Equal(t, string(issued.JSON), string(stored.Report), "stored byte for byte")
	assert.Equal(t, uscc, stored.ExporterUSCC)

	again, err := f.svc.Issue(ctx, uscc)
	require.NoError(t, err)
	assert.NotEqual(t, r.VerificationCode, again.Report.VerificationCode, "every report has its own code")
	assert.NotEqual(t, r.ReportNo, again.Report.ReportNo)

	_, err = f.svc.Issue(ctx, "91350100M000100Y43")
	assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err), "the credit service's errors pass through")
}

// edit rewrites one member of a signed report through a generic map.
func edit(t *testing.T, doc []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(doc, &m))
	fn(m)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func TestATamperedReportFails(t *testing.T) {
	f := newFixture(t)
	issued, err := f.svc.Issue(context.Background(), uscc)
	require.NoError(t, err)
	key := pub(t, f.key)

	t.Run("layout does not matter", func(t *testing.T) {
		var indented bytes.Buffer
		require.NoError(t, json.Indent(&indented, issued.JSON, "", "  "))
		_, err := creditreport.Verify(indented.Bytes(), key)
		assert.NoError(t, err)
		_, err = creditreport.Verify(edit(t, issued.JSON, func(map[string]any) {}), key) // members re-ordered
		assert.NoError(t, err)
	})

	for name, fn := range map[string]func(m map[string]any){
		"score": func(m map[string]any) { m["credit"].(map[string]any)["score"] = 95 },
		"grade": func(m map[string]any) { m["credit"].(map[string]any)["grade"] = "A" },
		"event weight": func(m map[string]any) {
			m["credit"].(map[string]any)["events"].([]any)[0].(map[string]any)["weight"] = 0
		},
		"event status": func(m map[string]any) {
			m["credit"].(map[string]any)["events"].([]any)[0].(map[string]any)["status"] = "REVOKED"
		},
		"no events":    func(m map[string]any) { m["credit"].(map[string]any)["events"] = []any{} },
		"issuedAt":     func(m map[string]any) { m["issuedAt"] = "2027-01-01T00:00:00Z" },
		"code":         func(m map[string]any) { m["verificationCode"] = "AAAA-BBBB-CCCC-DDDD" },
		"added member": func(m map[string]any) { m["note"] = "valid until 2030" },
		"algorithm":    func(m map[string]any) { m["algorithm"] = "none" },
		"signature":    func(m map[string]any) { m["signature"] = strings.Repeat("A", 86) + "==" },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := creditreport.Verify(edit(t, issued.JSON, fn), key)
			assert.Equal(t, creditreport.ESIGNATUREINVALID, gateway.ErrorCode(err), "%v", err)
			en, zh := gateway.ErrorMessages(err)
			assert.NotEmpty(t, en)
			assert.NotEmpty(t, zh)
		})
	}

	t.Run("another key", func(t *testing.T) {
		other, _, _ := ed25519.GenerateKey(nil)
		_, err := creditreport.Verify(issued.JSON, other)
		assert.Equal(t, creditreport.EKEYMISMATCH, gateway.ErrorCode(err))
		forged := edit(t, issued.JSON, func(m map[string]any) { m["keyId"] = creditreport.KeyID(other) })
		_, err = creditreport.Verify(forged, other)
		assert.Equal(t, creditreport.ESIGNATUREINVALID, gateway.ErrorCode(err), "a keyId rewritten to another key")
	})

	for name, doc := range map[string]string{
		"not JSON":          `{"reportNo":`,
		"not an object":     `["signature"]`,
		"null":              `null`,
		"no signature":      string(edit(t, issued.JSON, func(m map[string]any) { delete(m, "signature") })),
		"number signature":  string(edit(t, issued.JSON, func(m map[string]any) { m["signature"] = 1 })),
		"duplicate members": `{"score":1,"score":2,` + string(issued.JSON[1:]),
		"trailing data":     string(issued.JSON) + `{}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := creditreport.Verify([]byte(doc), key)
			assert.Equal(t, creditreport.EMALFORMED, gateway.ErrorCode(err), "%v", err)
		})
	}
}

func TestVerifyByCode(t *testing.T) {
	ctx := context.Background()

	t.Run("current until the credit changes, then says what changed", func(t *testing.T) {
		f := newFixture(t)
		issued, err := f.svc.Issue(ctx, uscc)
		require.NoError(t, err)
		v, err := f.svc.Verify(ctx, issued.Report.VerificationCode)
		require.NoError(t, err)
		assert.True(t, v.SignatureValid)
		assert.Nil(t, v.SignatureProblem)
		assert.True(t, v.Current)
		assert.Empty(t, v.Changes)
		assert.NotNil(t, v.Changes, "[] in JSON, not null")
		assert.Equal(t, string(issued.JSON), string(v.Report), "the report as issued")
		assert.Equal(t, issued.Report, *v.Issued())

		f.credits.set(func(c *exporters.Credit) {
			c.Score, c.Grade = 60, credit.GradeC
			c.Events = append(c.Events, event(uscc+"-2", "E12", credit.Active, -10))
		})
		v, err = f.svc.Verify(ctx, issued.Report.VerificationCode)
		require.NoError(t, err)
		assert.True(t, v.SignatureValid, "the report is still genuine")
		assert.False(t, v.Current)
		require.Len(t, v.Changes, 2)
		assert.Equal(t, creditreport.ChangeScore, v.Changes[0].Kind)
		assert.Equal(t, 70, v.Changes[0].Was)
		assert.Equal(t, 60, v.Changes[0].Now)
		assert.Equal(t, creditreport.ChangeEventAdded, v.Changes[1].Kind)
		assert.Equal(t, uscc+"-2", v.Changes[1].EventID)
		assert.Contains(t, v.Changes[1].MessageZh, "新增信用事件")
	})

	t.Run("the code as people type it", func(t *testing.T) {
		f := newFixture(t)
		issued, err := f.svc.Issue(ctx, uscc)
		require.NoError(t, err)
		code := issued.Report.VerificationCode
		for _, typed := range []string{strings.ToLower(code), strings.ReplaceAll(code, "-", ""), strings.ReplaceAll(code, "-", " "),
			strings.NewReplacer("0", "O", "1", "l").Replace(code)} {
			v, err := f.svc.Verify(ctx, typed)
			require.NoError(t, err, typed)
			assert.Equal(t, code, v.VerificationCode, typed)
		}
	})

	t.Run("unknown codes are ENOTFOUND", func(t *testing.T) {
		f := newFixture(t)
		for _, code := range []string{"ZZZZ-ZZZZ-ZZZZ-ZZZZ", "", "not a code", "UUUU-UUUU-UUUU-UUUU", "7KQ4-M2XD-9PAB"} {
			_, err := f.svc.Verify(ctx, code)
			assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err), code)
			en, zh := gateway.ErrorMessages(err)
			assert.Contains(t, en, "credit report")
			assert.Contains(t, zh, "信用报告")
		}
	})

	t.Run("an exporter gone from the registry", func(t *testing.T) {
		f := newFixture(t)
		issued, err := f.svc.Issue(ctx, uscc)
		require.NoError(t, err)
		f.credits.set(func(c *exporters.Credit) { c.USCC = "other" })
		v, err := f.svc.Verify(ctx, issued.Report.VerificationCode)
		require.NoError(t, err)
		assert.False(t, v.Current)
		require.Len(t, v.Changes, 1)
		assert.Equal(t, creditreport.ChangeExporterNotFiled, v.Changes[0].Kind)
	})

	t.Run("the ledger down is an error, not a verdict", func(t *testing.T) {
		f := newFixture(t)
		issued, err := f.svc.Issue(ctx, uscc)
		require.NoError(t, err)
		f.credits.set(func(*exporters.Credit) {})
		f.credits.Err = gateway.Errorf(gateway.EUNAVAILABLE, "ledger down", "账本不可用")
		_, err = f.svc.Verify(ctx, issued.Report.VerificationCode)
		assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
	})
}

// TestVerifyDetectsATamperedStore edits stored reports behind the service's back: the answer
// says the signature is not valid and vouches for nothing.
func TestVerifyDetectsATamperedStore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, err := f.svc.Issue(ctx, uscc)
	require.NoError(t, err)
	b, err := f.svc.Issue(ctx, uscc)
	require.NoError(t, err)

	put := func(code string, doc []byte) {
		data, err := json.Marshal(gateway.StoredCreditReport{VerificationCode: code, ExporterUSCC: uscc, Report: doc})
		require.NoError(t, err)
		require.NoError(t, f.store.DB().Update(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("credit-reports")).Put([]byte(code), data)
		}))
	}
	put(a.Report.VerificationCode, bytes.Replace(a.JSON, []byte(`"score":70`), []byte(`"score":90`), 1))
	put(b.Report.VerificationCode, a.JSON) // a genuine report, under another code

	for code, want := range map[string]string{a.Report.VerificationCode: creditreport.ESIGNATUREINVALID, b.Report.VerificationCode: creditreport.ECODEMISMATCH} {
		v, err := f.svc.Verify(ctx, code)
		require.NoError(t, err)
		assert.False(t, v.SignatureValid)
		assert.False(t, v.Current, "nothing is vouched for")
		assert.Empty(t, v.Changes)
		if assert.NotNil(t, v.SignatureProblem) {
			assert.Equal(t, want, v.SignatureProblem.Code)
			assert.NotEmpty(t, v.SignatureProblem.MessageZh)
		}
	}
}

func TestCompare(t *testing.T) {
	was := sampleCredit()
	was.Events = append(was.Events, event(uscc+"-2", "E16", credit.Active, -2))
	for name, tc := range map[string]struct {
		edit  func(c *exporters.Credit)
		kinds []string
	}{
		"nothing":    {func(*exporters.Credit) {}, nil},
		"as-of date": {func(c *exporters.Credit) { c.AsOf = "2026-12-01" }, nil},
		"grade":      {func(c *exporters.Credit) { c.Grade = credit.GradeD }, []string{creditreport.ChangeGrade}},
		"model":      {func(c *exporters.Credit) { c.ModelVersion = "ucx-credit-2027.1" }, []string{creditreport.ChangeModelVersion}},
		"objection":  {func(c *exporters.Credit) { c.Events[0].Status = string(credit.Disputed) }, []string{creditreport.ChangeEventStatus}},
		"decay":      {func(c *exporters.Credit) { c.Events[0].Weight = -5 }, []string{creditreport.ChangeEventWeight}},
		"repaired":   {func(c *exporters.Credit) { c.Events[0].Status, c.Events[0].Weight = string(credit.Repaired), 0 }, []string{creditreport.ChangeEventStatus, creditreport.ChangeEventWeight}},
		"removed":    {func(c *exporters.Credit) { c.Events = c.Events[1:] }, []string{creditreport.ChangeEventRemoved}},
		"score, added": {func(c *exporters.Credit) {
			c.Score = 65
			c.Events = append(c.Events, event(uscc+"-3", "E15", credit.Active, -5))
		}, []string{creditreport.ChangeScore, creditreport.ChangeEventAdded}},
	} {
		t.Run(name, func(t *testing.T) {
			now := was
			now.Events = append([]exporters.Event(nil), was.Events...)
			tc.edit(&now)
			var kinds []string
			for _, c := range creditreport.Compare(&was, &now) {
				kinds = append(kinds, c.Kind)
				assert.NotEmpty(t, c.Message)
				assert.NotEmpty(t, c.MessageZh)
			}
			assert.Equal(t, tc.kinds, kinds)
		})
	}
}

func TestKeyCreatedOnceAndPublished(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", creditreport.KeyFile)
	k1, err := creditreport.LoadOrCreateKey(path)
	require.NoError(t, err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the private key is the owner's only")
	dir, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dir.Mode().Perm())

	k2, err := creditreport.LoadOrCreateKey(path)
	require.NoError(t, err)
	assert.Equal(t, k1.ID(), k2.ID(), "reused on the next start")
	k3, err := creditreport.LoadKey(path)
	require.NoError(t, err)
	assert.Equal(t, k1.ID(), k3.ID())
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{16}$`), k1.ID())

	pk := k1.Public()
	assert.Equal(t, "Ed25519", pk.Algorithm)
	assert.Equal(t, k1.ID(), pk.KeyID)
	asJSON, err := json.Marshal(pk)
	require.NoError(t, err)
	for name, form := range map[string]string{"json": string(asJSON), "pem": pk.PEM, "base64": pk.PublicKey + "\n"} {
		p, err := creditreport.ParsePublicKey([]byte(form))
		require.NoError(t, err, name)
		assert.Equal(t, k1.ID(), creditreport.KeyID(p), name)
	}
	wrongID := strings.Replace(string(asJSON), pk.KeyID, "0000000000000000", 1)
	for name, bad := range map[string]string{"wrong keyId": wrongID, "short": "AAAA", "private PEM": "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"} {
		_, err := creditreport.ParsePublicKey([]byte(bad))
		assert.Error(t, err, name)
	}

	_, err = creditreport.LoadKey(filepath.Join(t.TempDir(), "missing"))
	assert.Error(t, err, "a configured key must exist")
	garbage := filepath.Join(t.TempDir(), "garbage")
	require.NoError(t, os.WriteFile(garbage, []byte("not a key"), 0o600))
	_, err = creditreport.LoadOrCreateKey(garbage)
	assert.Error(t, err, "an unreadable key is never replaced")
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{
		"7KQ4-M2XD-9PAB-3HTV":     "7KQ4-M2XD-9PAB-3HTV",
		"7kq4m2xd9pab3htv":        "7KQ4-M2XD-9PAB-3HTV",
		" 7KQ4 M2XD 9PAB 3HTV ":   "7KQ4-M2XD-9PAB-3HTV",
		"OOOO-IIII-LLLL-oooo":     "0000-1111-1111-0000",
		"7KQ4-M2XD-9PAB-3HTU":     "", // U is not in the alphabet
		"7KQ4-M2XD-9PAB":          "",
		"7KQ4-M2XD-9PAB-3HTV-0":   "",
		"７KQ4-M2XD-9PAB-3HTV":     "", // full-width digit
		"7KQ4-M2XD-9PAB-3HT\x00V": "",
	} {
		assert.Equal(t, want, creditreport.NormalizeCode(in), "%q", in)
	}
}
