package privacy_test

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/privacy"
)

func TestMasks(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"Han name", privacy.MaskName("古丽娜尔·艾合买提"), "古*"},
		{"two-character name", privacy.MaskName("马强"), "马*"},
		{"Latin name", privacy.MaskName(" IVANOV IVAN"), "I*"},
		{"no name", privacy.MaskName(""), ""},
		{"resident ID", privacy.MaskIDNumber("650102198507123428"), "650102********3428"},
		{"resident ID with X", privacy.MaskIDNumber("11010519491231002X"), "110105********002X"},
		{"USCC", privacy.MaskIDNumber("91440300192317458F"), "914403********458F"},
		{"passport", privacy.MaskIDNumber("E12345678"), "*******78"},
		{"tiny", privacy.MaskIDNumber("AB"), "**"},
		{"mobile", privacy.MaskPhone("13899512046"), "138****2046"},
		{"landline with area code", privacy.MaskPhone("0991-2345678"), "099*****5678"},
		{"short landline", privacy.MaskPhone("2345678"), "*****78"},
		{"no phone", privacy.MaskPhone(""), ""},
	} {
		assert.Equal(t, tc.want, tc.got, tc.name)
	}
}

func TestMaskAddress(t *testing.T) {
	for addr, want := range map[string]string{
		"新疆维吾尔自治区乌鲁木齐市天山区解放北路188号3栋2单元501室": "新疆维吾尔自治区乌鲁木齐市天山区***",
		"北京市朝阳区建国路88号":           "北京市朝阳区***",
		"广东省深圳市南山区科技园南区高新南七道18号": "广东省深圳市南山区***",
		"江苏省镇江市京口区中山东路1号":        "江苏省镇江市京口区***",
		"黑龙江省哈尔滨市道里区中央大街100号":    "黑龙江省哈尔滨市道里区***",
		"山东省菏泽市单县北城街道":           "山东省菏泽市单县***",
		"江苏省昆山市玉山镇工业区18号":        "江苏省昆山市***",
		"海南省儋州市那大镇人民大道1号":        "海南省儋州市***",
		"新疆维吾尔自治区喀什地区喀什市人民东路":    "新疆维吾尔自治区喀什地区喀什市***",
		"云南省西双版纳傣族自治州景洪市勐泐大道":    "云南省西双版纳傣族自治州景洪市***",
		"香港特别行政区九龙城区太子道西":        "香港特别行政区九龙城区***",
		"北京朝阳区建国路":               "北京朝阳区***",
		"解放北路188号":               "***",
		"12 Abay Ave, Almaty":    "***",
		"":                       "",
	} {
		assert.Equal(t, want, privacy.MaskAddress(addr), addr)
	}
}

func TestLevelFor(t *testing.T) {
	assert.Equal(t, privacy.Masked, privacy.LevelFor(nil), "no principal: a public caller")
	want := map[gateway.Role]privacy.Level{gateway.RolePolice: privacy.Full, gateway.RoleCustoms: privacy.NameOnly}
	for _, role := range gateway.Roles {
		assert.Equal(t, want[role], privacy.LevelFor(&gateway.Principal{Role: role}), role) // the zero Level is Masked
	}
}

var owner = gateway.Owner{Name: "古丽娜尔·艾合买提", IDType: gateway.OwnerResidentID, IDNumber: "650102198507123428",
	Phone: "13899512046", Address: "新疆维吾尔自治区乌鲁木齐市天山区解放北路188号3栋2单元501室"}

// canonicalDoc is a small filing document in its stored form, with the owner.
func canonicalDoc(t testing.TB, o *gateway.Owner) []byte {
	t.Helper()
	doc := map[string]any{"applicationDate": "2026-03-10", "vehicle": map[string]any{"vin": "LGXCE4CB8N4107254", "seats": 5}}
	if o != nil {
		doc["previousOwner"] = o
	}
	data, err := json.Marshal(doc)
	require.NoError(t, err)
	v := jsontext.Value(data)
	require.NoError(t, v.Canonicalize())
	return v
}

func TestRedactDocument(t *testing.T) {
	stored := canonicalDoc(t, &owner)
	keep := append([]byte(nil), stored...)

	t.Run("police see the document as stored", func(t *testing.T) {
		r, err := privacy.RedactDocument(stored, privacy.Full)
		require.NoError(t, err)
		assert.Equal(t, stored, r.Document)
		assert.False(t, r.Redacted)
		assert.True(t, r.Disclosed, "an unmasked read is audited")
	})
	t.Run("customs see the name", func(t *testing.T) {
		r, err := privacy.RedactDocument(stored, privacy.NameOnly)
		require.NoError(t, err)
		assert.True(t, r.Redacted)
		assert.True(t, r.Disclosed)
		assert.Equal(t, gateway.Owner{Name: owner.Name, IDType: "RESIDENT_ID", IDNumber: "650102********3428", Phone: "138****2046",
			Address: "新疆维吾尔自治区乌鲁木齐市天山区***"}, ownerOf(t, r.Document))
	})
	t.Run("others see masks only", func(t *testing.T) {
		r, err := privacy.RedactDocument(stored, privacy.Masked)
		require.NoError(t, err)
		assert.True(t, r.Redacted)
		assert.False(t, r.Disclosed, "nothing personal is shown: not audited")
		assert.Equal(t, "古*", ownerOf(t, r.Document).Name)
		for _, personal := range []string{owner.Name, owner.IDNumber, owner.Phone, owner.Address, "艾合买提", "19850712"} {
			assert.NotContains(t, string(r.Document), personal)
		}
		// Same canonical form, the rest of the document untouched.
		v := jsontext.Value(append([]byte(nil), r.Document...))
		require.NoError(t, v.Canonicalize())
		assert.Equal(t, []byte(v), r.Document)
		assert.Contains(t, string(r.Document), `"vehicle":{"seats":5,"vin":"LGXCE4CB8N4107254"}`)
		assert.NotEqual(t, sha256.Sum256(stored), sha256.Sum256(r.Document), "a redacted answer does not hash to docHash")
	})
	t.Run("a document without owner is never redacted", func(t *testing.T) {
		plain := canonicalDoc(t, nil)
		for _, l := range []privacy.Level{privacy.Masked, privacy.NameOnly, privacy.Full} {
			r, err := privacy.RedactDocument(plain, l)
			require.NoError(t, err)
			assert.Equal(t, plain, r.Document)
			assert.False(t, r.Redacted || r.Disclosed, l)
		}
	})
	assert.Equal(t, keep, stored, "the stored document is never changed")
}

func ownerOf(t testing.TB, doc []byte) gateway.Owner {
	t.Helper()
	var d struct {
		PreviousOwner gateway.Owner `json:"previousOwner"`
	}
	require.NoError(t, json.Unmarshal(doc, &d))
	return d.PreviousOwner
}

func FuzzMaskAddress(f *testing.F) {
	for _, s := range []string{"新疆维吾尔自治区乌鲁木齐市天山区解放北路188号", "北京市朝阳区", "省市区县", "市市市市", "江苏省镇江市京口区", "\xff省\xfe市", "12 Abay Ave", "", "特别行政区自治区"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := privacy.AdminPrefix(s)
		if !strings.HasPrefix(s, p) {
			t.Fatalf("AdminPrefix(%q) = %q is not a prefix", s, p)
		}
		if utf8.RuneCountInString(p) > 3*16 {
			t.Fatalf("AdminPrefix(%q) = %q is longer than three divisions", s, p)
		}
		if strings.ContainsAny(p, "0123456789路街号室") {
			t.Fatalf("AdminPrefix(%q) = %q reaches the street", s, p)
		}
		if m := privacy.MaskAddress(s); s != "" && m != p+"***" {
			t.Fatalf("MaskAddress(%q) = %q", s, m)
		}
	})
}

func FuzzMasks(f *testing.F) {
	for _, s := range []string{"650102198507123428", "13899512046", "E12345678", "古丽娜尔", "", "a", "\xff\xfe\xfd", "0991-2345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := []rune(s)
		for name, mask := range map[string]struct {
			m              string
			long, shownMax int
		}{"id": {privacy.MaskIDNumber(s), 12, 10}, "phone": {privacy.MaskPhone(s), 11, 7}} {
			out := []rune(mask.m)
			if len(out) != len(in) {
				t.Fatalf("%s mask of %q = %q changes the length", name, s, mask.m)
			}
			shown := 0
			for i := range out {
				if out[i] != '*' {
					if out[i] != in[i] {
						t.Fatalf("%s mask of %q = %q changes a character", name, s, mask.m)
					}
					shown++
				}
			}
			if limit := map[bool]int{true: mask.shownMax, false: 2}[len(in) >= mask.long]; shown > limit {
				t.Fatalf("%s mask of %q = %q shows %d characters", name, s, mask.m, shown)
			}
		}
		if m := privacy.MaskName(s); strings.TrimSpace(s) != "" && (!strings.HasSuffix(m, "*") || utf8.RuneCountInString(m) != 2) {
			t.Fatalf("MaskName(%q) = %q", s, m)
		}
	})
}

// FuzzRedactDocument: any document is either refused or answered; police get it unchanged;
// masking is idempotent (a masked answer masked again is the same answer).
func FuzzRedactDocument(f *testing.F) {
	f.Add(canonicalDoc(f, &owner))
	f.Add(canonicalDoc(f, nil))
	f.Add([]byte(`{"previousOwner":{"name":"","idType":"PASSPORT","idNumber":"E1"}}`))
	f.Add([]byte(`{"previousOwner":null}`))
	f.Add([]byte(`{"previousOwner":[1]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		full, err := privacy.RedactDocument(doc, privacy.Full)
		if err != nil {
			return
		}
		if string(full.Document) != string(doc) || full.Redacted {
			t.Fatalf("police answer differs from %q", doc)
		}
		once, err := privacy.RedactDocument(doc, privacy.Masked)
		if err != nil {
			t.Fatalf("masked fails where full did not: %v", err)
		}
		twice, err := privacy.RedactDocument(once.Document, privacy.Masked)
		if err != nil {
			t.Fatalf("a masked answer cannot be masked again: %v", err)
		}
		if string(twice.Document) != string(once.Document) {
			t.Fatalf("masking is not idempotent: %q -> %q -> %q", doc, once.Document, twice.Document)
		}
	})
}
