package inspection

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
)

const (
	agencyA = "91650104MA77YK0H8U" // 新疆天山, the agency of clean-m1-kz
	agencyB = "91440300MA5F2TQ8B5"
	keyA    = agencyA + "-2026-1"
	keyA2   = agencyA + "-2026-2"
	keyB    = agencyB + "-2026-1"
	keyFile = "agencies/inspection-agency-keys.json"
)

// fixtureReport returns the inspectionReport object of a fixture filing, bytes as in the file.
func fixtureReport(t testing.TB, name string) []byte {
	t.Helper()
	data, err := fs.ReadFile(fixtures.FS, "filings/"+name)
	require.NoError(t, err)
	var f struct {
		InspectionReport json.RawMessage `json:"inspectionReport"`
	}
	require.NoError(t, json.Unmarshal(data, &f))
	require.NotEmpty(t, f.InspectionReport)
	return f.InspectionReport
}

func pubB64(keyID string) string {
	return base64.StdEncoding.EncodeToString(DemoKey(keyID).Public().(ed25519.PublicKey))
}

func testRegistry(t testing.TB) *Registry {
	t.Helper()
	r, err := NewRegistry([]AgencyKey{
		{KeyID: keyA, AgencyUSCC: agencyA, AgencyName: "新疆天山机动车检测服务有限公司", PublicKey: pubB64(keyA), ValidFrom: "2024-01-01"},
		{KeyID: keyA2, AgencyUSCC: agencyA, AgencyName: "新疆天山机动车检测服务有限公司", PublicKey: pubB64(keyA2), ValidFrom: "2026-01-01"},
		{KeyID: keyB, AgencyUSCC: agencyB, AgencyName: "深圳市鹏诚机动车检测有限公司", PublicKey: pubB64(keyB), ValidFrom: "2026-01-01", ValidUntil: "2026-12-31"},
	})
	require.NoError(t, err)
	return r
}

func mustSign(t testing.TB, report []byte, keyID string) *Signature {
	t.Helper()
	sig, err := Sign(report, keyID, DemoKey(keyID))
	require.NoError(t, err)
	return sig
}

// requireCode asserts err is a *gateway.Error with code and one bilingual detail at pointer.
func requireCode(t *testing.T, err error, code, pointer string) {
	t.Helper()
	require.Error(t, err)
	var ge *gateway.Error
	require.True(t, errors.As(err, &ge), "%T is not a *gateway.Error", err)
	assert.Equal(t, code, ge.Code, ge.Message)
	assert.NotEmpty(t, ge.Message)
	assert.NotEmpty(t, ge.MessageZh)
	require.Len(t, ge.Details, 1)
	assert.Equal(t, pointer, ge.Details[0].Pointer)
	assert.Equal(t, code, ge.Details[0].Code)
	assert.Equal(t, ge.Message, ge.Details[0].Message)
	assert.Equal(t, ge.MessageZh, ge.Details[0].MessageZh)
}

func TestVerifyErrorCodes(t *testing.T) {
	r := testRegistry(t)
	report := fixtureReport(t, "clean-m1-kz.json")
	const issue = "2026-02-27"
	good := mustSign(t, report, keyA)
	with := func(f func(s *Signature)) *Signature {
		s := *good
		f(&s)
		return &s
	}
	tampered := []byte(strings.Replace(string(report), `"odometerKm": 45210`, `"odometerKm": 45209`, 1))
	require.NotEqual(t, string(report), string(tampered), "the fixture changed: fix the tampering")

	for _, tc := range []struct {
		name      string
		report    []byte
		uscc      string
		issueDate string
		sig       *Signature
		code      string
		pointer   string
	}{
		{"valid", report, agencyA, issue, good, "", ""},
		{"second key of the same agency", report, agencyA, issue, mustSign(t, report, keyA2), "", ""},
		{"nil signature", report, agencyA, issue, nil, EUNSIGNED, PointerSignatureValue},
		{"empty value", report, agencyA, issue, with(func(s *Signature) { s.Value = "" }), EUNSIGNED, PointerSignatureValue},
		{"zero signature", report, agencyA, issue, &Signature{}, EUNSIGNED, PointerSignatureValue},
		{"algorithm RS256", report, agencyA, issue, with(func(s *Signature) { s.Algorithm = "RS256" }), ESIGNATUREINVALID, PointerSignatureAlgorithm},
		{"algorithm lower case", report, agencyA, issue, with(func(s *Signature) { s.Algorithm = "ed25519" }), ESIGNATUREINVALID, PointerSignatureAlgorithm},
		{"algorithm empty", report, agencyA, issue, with(func(s *Signature) { s.Algorithm = "" }), ESIGNATUREINVALID, PointerSignatureAlgorithm},
		{"value not base64", report, agencyA, issue, with(func(s *Signature) { s.Value = "not*base64!" }), ESIGNATUREINVALID, PointerSignatureValue},
		{"value unpadded", report, agencyA, issue, with(func(s *Signature) { s.Value = strings.TrimRight(s.Value, "=") }), ESIGNATUREINVALID, PointerSignatureValue},
		{"value URL alphabet", report, agencyA, issue, with(func(s *Signature) {
			raw, _ := base64.StdEncoding.DecodeString(s.Value)
			s.Value = base64.URLEncoding.EncodeToString(append(raw[:0:0], 0xfb, 0xff) /* forces - and _ */)
		}), ESIGNATUREINVALID, PointerSignatureValue},
		{"value 63 bytes", report, agencyA, issue, with(func(s *Signature) {
			raw, _ := base64.StdEncoding.DecodeString(s.Value)
			s.Value = base64.StdEncoding.EncodeToString(raw[:63])
		}), ESIGNATUREINVALID, PointerSignatureValue},
		{"value 65 bytes", report, agencyA, issue, with(func(s *Signature) {
			raw, _ := base64.StdEncoding.DecodeString(s.Value)
			s.Value = base64.StdEncoding.EncodeToString(append(raw, 0))
		}), ESIGNATUREINVALID, PointerSignatureValue},
		{"one bit of the signature flipped", report, agencyA, issue, with(func(s *Signature) {
			raw, _ := base64.StdEncoding.DecodeString(s.Value)
			raw[10] ^= 1
			s.Value = base64.StdEncoding.EncodeToString(raw)
		}), ESIGNATUREINVALID, PointerSignatureValue},
		{"report tampered (odometer)", tampered, agencyA, issue, good, ESIGNATUREINVALID, PointerSignatureValue},
		{"report not JSON", []byte(`{"reportNo":`), agencyA, issue, good, ESIGNATUREINVALID, PointerSignatureValue},
		{"report with a duplicate member", []byte(`{"a":1,"a":2}`), agencyA, issue, good, ESIGNATUREINVALID, PointerSignatureValue},
		{"unknown keyId", report, agencyA, issue, with(func(s *Signature) { s.KeyID = "91650104MA77YK0H8U-2099-1" }), EAGENCYUNKNOWN, PointerSignatureKeyID},
		{"empty keyId", report, agencyA, issue, with(func(s *Signature) { s.KeyID = "" }), EAGENCYUNKNOWN, PointerSignatureKeyID},
		{"key of another agency", report, agencyA, issue, mustSign(t, report, keyB), EAGENCYMISMATCH, PointerAgencyUSCC},
		{"report names another agency", report, agencyB, issue, good, EAGENCYMISMATCH, PointerAgencyUSCC},
		{"issued before the key", report, agencyA, "2025-12-31", mustSign(t, report, keyA2), EKEYNOTVALID, PointerIssueDate},
		{"issued after the key expired", report, agencyB, "2027-01-01", mustSign(t, report, keyB), EKEYNOTVALID, PointerIssueDate},
		{"issue date not a date", report, agencyA, "27/02/2026", good, EKEYNOTVALID, PointerIssueDate},
		{"issue date empty", report, agencyA, "", good, EKEYNOTVALID, PointerIssueDate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := r.Verify(tc.report, tc.uscc, tc.issueDate, tc.sig)
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			requireCode(t, err, tc.code, tc.pointer)
		})
	}
}

func TestValidityBoundsInclusive(t *testing.T) {
	r := testRegistry(t)
	report := []byte(`{"x":1}`)
	sig := mustSign(t, report, keyB)
	assert.NoError(t, r.Verify(report, agencyB, "2026-01-01", sig))
	assert.NoError(t, r.Verify(report, agencyB, "2026-12-31", sig))
	assert.Equal(t, EKEYNOTVALID, gateway.ErrorCode(r.Verify(report, agencyB, "2025-12-31", sig)))
}

func TestVerifyReportReadsAgencyAndDate(t *testing.T) {
	r := testRegistry(t)
	report := fixtureReport(t, "clean-m1-kz.json")
	require.NoError(t, r.VerifyReport(report, mustSign(t, report, keyA)))
	requireCode(t, r.VerifyReport(report, mustSign(t, report, keyB)), EAGENCYMISMATCH, PointerAgencyUSCC)
	requireCode(t, r.VerifyReport(report, nil), EUNSIGNED, PointerSignatureValue)
	requireCode(t, r.VerifyReport([]byte("[1]"), mustSign(t, []byte("[1]"), keyA)), ESIGNATUREINVALID, PointerSignatureValue)

	// Changing the agency inside a signed report breaks the signature, whoever it names.
	moved := []byte(strings.Replace(string(report), agencyA, agencyB, 1))
	requireCode(t, r.VerifyReport(moved, mustSign(t, report, keyB)), ESIGNATUREINVALID, PointerSignatureValue)
	// Member names match exactly: "USCC" is not "uscc".
	odd := []byte(`{"agency":{"USCC":"` + agencyA + `"},"issueDate":"2026-02-27"}`)
	requireCode(t, r.VerifyReport(odd, mustSign(t, odd, keyA)), EAGENCYMISMATCH, PointerAgencyUSCC)
}

func TestCanonicalisation(t *testing.T) {
	a := []byte(`{"b": [1, 2.50, 1e2], "a": {"z": "\u00e9", "y": null}, "c": true}`)
	b := []byte("\n{\n  \"c\":true,\n\t\"a\":{\"y\":null,\"z\":\"é\"},\"b\":[1,2.5,100]\n}\n")
	ca, err := Canonical(a)
	require.NoError(t, err)
	cb, err := Canonical(b)
	require.NoError(t, err)
	assert.Equal(t, `{"a":{"y":null,"z":"é"},"b":[1,2.5,100],"c":true}`, string(ca))
	assert.Equal(t, string(ca), string(cb))
	assert.Equal(t, `{"b": [1, 2.50, 1e2], "a": {"z": "\u00e9", "y": null}, "c": true}`, string(a), "Canonical works on a copy")

	_, err = Canonical([]byte(`{"a":1,"a":1}`))
	assert.Equal(t, gateway.EINVALIDJSON, gateway.ErrorCode(err), "duplicate member names are refused")
	_, err = Canonical([]byte("{\"a\":\"\xff\"}"))
	assert.Equal(t, gateway.EINVALIDJSON, gateway.ErrorCode(err), "invalid UTF-8 is refused")
	_, err = Canonical([]byte(`{} {}`))
	assert.Equal(t, gateway.EINVALIDJSON, gateway.ErrorCode(err), "one value only")

	// A signature over one layout verifies over any other layout of the same report.
	r := testRegistry(t)
	report := fixtureReport(t, "clean-m1-kz.json")
	var generic map[string]any
	require.NoError(t, json.Unmarshal(report, &generic))
	compact, err := json.Marshal(generic) // keys sorted, no whitespace
	require.NoError(t, err)
	indented, err := json.MarshalIndent(generic, "", "    ")
	require.NoError(t, err)
	require.NotEqual(t, string(report), string(compact))
	sig := mustSign(t, report, keyA)
	for _, layout := range [][]byte{report, compact, indented} {
		assert.NoError(t, r.Verify(layout, agencyA, "2026-02-27", sig))
	}
	assert.NoError(t, r.Verify(report, agencyA, "2026-02-27", mustSign(t, indented, keyA)))
}

func TestSignatureOfOneKeyFailsUnderAnother(t *testing.T) {
	r := testRegistry(t)
	report := fixtureReport(t, "clean-m1-kz.json")
	sig := mustSign(t, report, keyA)
	sig.KeyID = keyA2 // same agency, both valid on the issue date, but not the key that signed
	requireCode(t, r.Verify(report, agencyA, "2026-02-27", sig), ESIGNATUREINVALID, PointerSignatureValue)

	// Signed with a private key that is not registered at all, claiming a registered keyId.
	_, stranger, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	forged, err := Sign(report, keyA, stranger)
	require.NoError(t, err)
	requireCode(t, r.Verify(report, agencyA, "2026-02-27", forged), ESIGNATUREINVALID, PointerSignatureValue)
}

func fixtureRegistry(t testing.TB) *Registry {
	t.Helper()
	r, err := LoadRegistry(fixtures.FS, keyFile)
	require.NoError(t, err)
	return r
}

func TestKeyRotation(t *testing.T) {
	r := fixtureRegistry(t)
	const oldKey, newKey = agencyB + "-2024-1", agencyB + "-2026-1"
	report := fixtureReport(t, "clean-m1-kz.json") // the bytes are irrelevant here
	oldSig, newSig := mustSign(t, report, oldKey), mustSign(t, report, newKey)

	assert.NoError(t, r.Verify(report, agencyB, "2025-06-01", oldSig), "the old key verifies what it signed while valid")
	requireCode(t, r.Verify(report, agencyB, "2026-03-01", oldSig), EKEYNOTVALID, PointerIssueDate)
	assert.NoError(t, r.Verify(report, agencyB, "2026-03-01", newSig))
	requireCode(t, r.Verify(report, agencyB, "2025-06-01", newSig), EKEYNOTVALID, PointerIssueDate)
	assert.NoError(t, r.Verify(report, agencyB, "2025-12-31", oldSig), "last day of the old key")
	assert.NoError(t, r.Verify(report, agencyB, "2026-01-01", newSig), "first day of the new key")

	k, ok := r.ActiveKey(agencyB, "2025-06-01")
	require.True(t, ok)
	assert.Equal(t, oldKey, k.KeyID)
	k, ok = r.ActiveKey(agencyB, "2026-03-01")
	require.True(t, ok)
	assert.Equal(t, newKey, k.KeyID)
	_, ok = r.ActiveKey(agencyB, "2023-12-31")
	assert.False(t, ok)
	_, ok = r.ActiveKey(agencyB, "bad")
	assert.False(t, ok)
	_, ok = r.ActiveKey("no such agency", "2026-03-01")
	assert.False(t, ok)
}

func TestActiveKeyPrefersLatestValidFrom(t *testing.T) {
	r := testRegistry(t) // keyA from 2024, keyA2 from 2026, both open
	k, ok := r.ActiveKey(agencyA, "2026-05-01")
	require.True(t, ok)
	assert.Equal(t, keyA2, k.KeyID)
	k, ok = r.ActiveKey(agencyA, "2025-05-01")
	require.True(t, ok)
	assert.Equal(t, keyA, k.KeyID)
}

// TestFixtureRegistry: the fixture keys are the public halves of the demo keys, every agency of
// the fixture filings has a key, and every fixture report verifies when its agency signs it
// with the key in force on its issue date.
func TestFixtureRegistry(t *testing.T) {
	r := fixtureRegistry(t)
	keys := r.Keys()
	require.NotEmpty(t, keys)
	for _, k := range keys {
		assert.Equal(t, pubB64(k.KeyID), k.PublicKey, "%s is not the public half of DemoKey", k.KeyID)
		assert.True(t, strings.HasPrefix(k.KeyID, k.AgencyUSCC+"-"), k.KeyID)
		assert.NotEmpty(t, k.AgencyName, k.KeyID)
		got, ok := r.Key(k.KeyID)
		require.True(t, ok)
		assert.Equal(t, k, got)
	}

	names, err := fs.Glob(fixtures.FS, "filings/*.json")
	require.NoError(t, err)
	agencies := map[string]string{}
	n := 0
	for _, name := range names {
		if strings.HasSuffix(name, ".expect.json") {
			continue
		}
		n++
		base := strings.TrimPrefix(name, "filings/")
		t.Run(strings.TrimSuffix(base, ".json"), func(t *testing.T) {
			report := fixtureReport(t, base)
			var head struct {
				Agency    struct{ USCC, Name string } `json:"agency"`
				IssueDate string                      `json:"issueDate"`
			}
			require.NoError(t, json.Unmarshal(report, &head))
			agencies[head.Agency.USCC] = head.Agency.Name
			k, ok := r.ActiveKey(head.Agency.USCC, head.IssueDate)
			require.True(t, ok, "no key of %s %s valid on %s", head.Agency.USCC, head.Agency.Name, head.IssueDate)
			assert.Equal(t, head.Agency.Name, k.AgencyName)
			sig := mustSign(t, report, k.KeyID)
			require.NoError(t, r.VerifyReport(report, sig))
			require.NoError(t, r.Verify(report, head.Agency.USCC, head.IssueDate, sig))
		})
	}
	assert.Greater(t, n, 50)
	registered := map[string]bool{}
	for _, k := range keys {
		registered[k.AgencyUSCC] = true
	}
	assert.Len(t, registered, len(agencies), "the key file registers exactly the agencies of the fixture filings")
}

func TestLoadRegistryRejects(t *testing.T) {
	good := `{"keyId":"k1","agencyUscc":"` + agencyA + `","agencyName":"n","publicKey":"` + pubB64("k1") + `","validFrom":"2024-01-01"}`
	for _, tc := range []struct{ name, body, want string }{
		{"not an array", `{}`, "decode"},
		{"unknown member", `[{"keyId":"k1","agencyUscc":"u","publicKey":"` + pubB64("k1") + `","validFrom":"2024-01-01","validTo":"2025-01-01"}]`, "unknown field"},
		{"trailing data", `[]` + " []", "trailing"},
		{"duplicate keyId", "[" + good + "," + good + "]", "duplicate keyId"},
		{"empty keyId", `[{"agencyUscc":"u","publicKey":"` + pubB64("k1") + `","validFrom":"2024-01-01"}]`, "empty keyId"},
		{"empty agency", `[{"keyId":"k1","publicKey":"` + pubB64("k1") + `","validFrom":"2024-01-01"}]`, "empty agencyUscc"},
		{"bad base64", `[{"keyId":"k1","agencyUscc":"u","publicKey":"***","validFrom":"2024-01-01"}]`, "base64"},
		{"short key", `[{"keyId":"k1","agencyUscc":"u","publicKey":"` + base64.StdEncoding.EncodeToString(make([]byte, 31)) + `","validFrom":"2024-01-01"}]`, "31 bytes"},
		{"long key", `[{"keyId":"k1","agencyUscc":"u","publicKey":"` + base64.StdEncoding.EncodeToString(make([]byte, 64)) + `","validFrom":"2024-01-01"}]`, "64 bytes"},
		{"no validFrom", `[{"keyId":"k1","agencyUscc":"u","publicKey":"` + pubB64("k1") + `"}]`, "validFrom"},
		{"bad validUntil", `[{"keyId":"k1","agencyUscc":"u","publicKey":"` + pubB64("k1") + `","validFrom":"2024-01-01","validUntil":"2025-13-01"}]`, "validUntil"},
		{"validUntil before validFrom", `[{"keyId":"k1","agencyUscc":"u","publicKey":"` + pubB64("k1") + `","validFrom":"2024-01-01","validUntil":"2023-12-31"}]`, "precedes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadRegistry(fstest.MapFS{"keys.json": {Data: []byte(tc.body)}}, "keys.json")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := LoadRegistry(fstest.MapFS{}, "missing.json")
	assert.ErrorIs(t, err, fs.ErrNotExist)

	r, err := LoadRegistry(fstest.MapFS{"keys.json": {Data: []byte("[" + good + "]")}}, "keys.json")
	require.NoError(t, err)
	assert.Len(t, r.Keys(), 1)
}

func TestSignRejects(t *testing.T) {
	_, err := Sign([]byte(`{}`), "k", ed25519.PrivateKey(make([]byte, 32)))
	assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err))
	_, err = Sign([]byte(`{}`), "", DemoKey("k"))
	assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err))
	_, err = Sign([]byte(`{`), "k", DemoKey("k"))
	assert.Equal(t, gateway.EINVALIDJSON, gateway.ErrorCode(err))

	sig, err := Sign([]byte(`{}`), "k", DemoKey("k"))
	require.NoError(t, err)
	assert.Equal(t, "k", sig.KeyID)
	assert.Equal(t, Algorithm, sig.Algorithm)
	raw, err := base64.StdEncoding.Strict().DecodeString(sig.Value)
	require.NoError(t, err)
	assert.Len(t, raw, ed25519.SignatureSize)
}

func TestDemoKeyIsDeterministic(t *testing.T) {
	assert.Equal(t, DemoKey(keyA), DemoKey(keyA))
	assert.NotEqual(t, DemoKey(keyA), DemoKey(keyA2))
	assert.Len(t, DemoKey(keyA), ed25519.PrivateKeySize)
}

func TestSignatureJSON(t *testing.T) {
	b, err := json.Marshal(Signature{KeyID: "k", Algorithm: Algorithm, Value: "v"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"keyId":"k","algorithm":"Ed25519","value":"v"}`, string(b))
}

func TestConcurrentVerify(t *testing.T) {
	r := fixtureRegistry(t)
	report := fixtureReport(t, "clean-m1-kz.json")
	sig := mustSign(t, report, keyA)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if i%2 == 0 {
					assert.NoError(t, r.VerifyReport(report, sig))
				} else {
					assert.NotEmpty(t, r.Keys())
					_, ok := r.ActiveKey(agencyA, "2026-02-27")
					assert.True(t, ok)
				}
			}
		}()
	}
	wg.Wait()
}

func FuzzVerify(f *testing.F) {
	r := testRegistry(f)
	// A small report keeps the fuzzer fast (minimising a 20 kB fixture report takes minutes).
	report := []byte(`{"agency":{"uscc":"` + agencyA + `"},"issueDate":"2026-02-27","vehicle":{"odometerKm":45210}}`)
	good := mustSign(f, report, keyA)
	f.Add(report, agencyA, "2026-02-27", keyA, Algorithm, good.Value, true)
	f.Add(report, agencyA, "2026-02-27", keyA, Algorithm, good.Value, false)
	f.Add([]byte(`{"a":1,"a":2}`), agencyA, "2026-02-27", keyA, Algorithm, good.Value, true)
	f.Add([]byte("{\"a\":\"\xff\"}"), agencyB, "2025-01-01", keyB, "ed25519", "AAAA", true)
	f.Add([]byte(""), "", "", "", "", "", false)
	f.Add([]byte("[]"), agencyA, "2026-02-30", "x", Algorithm, strings.Repeat("A", 88), true)
	allowed := map[string]bool{EUNSIGNED: true, ESIGNATUREINVALID: true, EAGENCYUNKNOWN: true, EAGENCYMISMATCH: true, EKEYNOTVALID: true}
	f.Fuzz(func(t *testing.T, report []byte, uscc, issueDate, keyID, alg, value string, withSig bool) {
		var sig *Signature
		if withSig {
			sig = &Signature{KeyID: keyID, Algorithm: alg, Value: value}
		}
		for _, err := range []error{r.Verify(report, uscc, issueDate, sig), r.VerifyReport(report, sig)} {
			if err == nil {
				continue
			}
			var ge *gateway.Error
			if !errors.As(err, &ge) || !allowed[ge.Code] || len(ge.Details) != 1 {
				t.Fatalf("unexpected error %T %v", err, err)
			}
		}
	})
}
