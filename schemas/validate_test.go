package schemas

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testValidator = MustNew()

// decode decodes JSON the way the gateway does (json.Number for numbers).
func decode(tb testing.TB, data []byte) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	require.NoError(tb, dec.Decode(&v))
	return v
}

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(tb, err)
	return data
}

func loadDoc(tb testing.TB, name string) any {
	tb.Helper()
	return decode(tb, readTestdata(tb, name))
}

// parent walks doc to the container holding the last token of ptr.
func parent(tb testing.TB, doc any, ptr string) (any, string) {
	tb.Helper()
	toks := strings.Split(ptr, "/")[1:]
	cur := doc
	for _, t := range toks[:len(toks)-1] {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[t]
			require.True(tb, ok, "no %q in %s", t, ptr)
			cur = next
		case []any:
			i, err := strconv.Atoi(t)
			require.NoError(tb, err)
			cur = c[i]
		default:
			tb.Fatalf("cannot walk %s at %q", ptr, t)
		}
	}
	return cur, toks[len(toks)-1]
}

func set(tb testing.TB, doc any, ptr string, val any) {
	tb.Helper()
	p, last := parent(tb, doc, ptr)
	switch c := p.(type) {
	case map[string]any:
		c[last] = val
	case []any:
		i, err := strconv.Atoi(last)
		require.NoError(tb, err)
		c[i] = val
	}
}

func del(tb testing.TB, doc any, ptr string) {
	tb.Helper()
	p, last := parent(tb, doc, ptr)
	m, ok := p.(map[string]any)
	require.True(tb, ok, "parent of %s is not an object", ptr)
	_, ok = m[last]
	require.True(tb, ok, "%s does not exist", ptr)
	delete(m, last)
}

func get(tb testing.TB, doc any, ptr string) any {
	tb.Helper()
	p, last := parent(tb, doc, ptr)
	switch c := p.(type) {
	case map[string]any:
		return c[last]
	case []any:
		i, err := strconv.Atoi(last)
		require.NoError(tb, err)
		return c[i]
	}
	return nil
}

type pk struct{ Pointer, Keyword string }

func pointersAndKeywords(vs []Violation) []pk {
	out := make([]pk, len(vs))
	for i, v := range vs {
		out[i] = pk{v.Pointer, v.Keyword}
	}
	return out
}

func requireMessages(tb testing.TB, vs []Violation) {
	tb.Helper()
	for _, v := range vs {
		assert.NotEmpty(tb, v.MessageEn, "%+v", v)
		assert.NotEmpty(tb, v.MessageZh, "%+v", v)
		assert.NotContains(tb, v.MessageEn, "https://", "%+v", v)
		assert.True(tb, v.Pointer == "" || strings.HasPrefix(v.Pointer, "/"), "%+v", v)
	}
}

func TestValidDocuments(t *testing.T) {
	for _, name := range []string{"valid-m1.json", "valid-n3.json", "valid-aftersales.json"} {
		t.Run(name, func(t *testing.T) {
			doc := loadDoc(t, name)
			assert.Nil(t, testValidator.ValidateFiling(doc))

			m := doc.(map[string]any)
			assert.Nil(t, testValidator.ValidateReport(m["inspectionReport"]))
			if a, ok := m["afterSalesConfirmation"]; ok {
				assert.Nil(t, testValidator.ValidateAfterSales(a))
			}
			if d, ok := m["destinationDeclaration"]; ok {
				assert.Nil(t, testValidator.ValidateDeclaration(d))
			}
		})
	}
	// Plain encoding/json decoding (float64 numbers) validates the same way.
	var doc any
	require.NoError(t, json.Unmarshal(readTestdata(t, "valid-m1.json"), &doc))
	assert.Nil(t, testValidator.ValidateFiling(doc))
}

func TestValidDocumentsHaveValidReferences(t *testing.T) {
	// The fixtures model realistic data: the identifiers must pass the real checks
	// (GB 16735 VIN check digit, GB 32100 USCC check character), not only the schema.
	for _, name := range []string{"valid-m1.json", "valid-n3.json", "valid-aftersales.json"} {
		doc := loadDoc(t, name)
		for _, p := range []string{"/vehicle/vin", "/inspectionReport/vehicle/vin"} {
			vin := get(t, doc, p).(string)
			assert.True(t, vinCheckDigitOK(vin), "%s %s %s", name, p, vin)
		}
		for _, p := range []string{"/exporter/uscc", "/inspectionReport/agency/uscc", "/inspectionReport/exporter/uscc"} {
			u := get(t, doc, p).(string)
			assert.True(t, usccCheckOK(u), "%s %s %s", name, p, u)
		}
	}
	assert.True(t, vinCheckDigitOK("LSJA24U62JG269225"))
	assert.False(t, vinCheckDigitOK("LSJA24U62JG269226"))
	assert.True(t, usccCheckOK("91440300192317458F"))
	assert.False(t, usccCheckOK("91440300192317458G"))
}

// vinCheckDigitOK is a test-only GB 16735 check (brief §5.1); the real one lives in gateway/identity.
func vinCheckDigitOK(vin string) bool {
	const letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
	values := []int{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9}
	weights := []int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
	if len(vin) != 17 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := vin[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		default:
			j := strings.IndexByte(letters, c)
			if j < 0 {
				return false
			}
			v = values[j]
		}
		sum += v * weights[i]
	}
	want := byte('0' + sum%11)
	if sum%11 == 10 {
		want = 'X'
	}
	return vin[8] == want
}

// usccCheckOK is a test-only GB 32100 check (brief §5.2).
func usccCheckOK(code string) bool {
	const charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		j := strings.IndexByte(charset, code[i])
		if j < 0 {
			return false
		}
		sum += j * weights[i]
	}
	c := (31 - sum%31) % 31
	return code[17] == charset[c]
}

func TestFilingViolations(t *testing.T) {
	tests := []struct {
		name   string
		base   string
		mutate func(tb testing.TB, doc any)
		want   []pk
	}{
		{"missing vin", "valid-m1.json",
			func(tb testing.TB, d any) { del(tb, d, "/vehicle/vin") },
			[]pk{{"/vehicle/vin", "required"}}},
		{"missing several", "valid-m1.json",
			func(tb testing.TB, d any) { del(tb, d, "/vehicle/vin"); del(tb, d, "/licenceNo") },
			[]pk{{"/licenceNo", "required"}, {"/vehicle/vin", "required"}}},
		{"owner without id number", "valid-m1.json",
			func(tb testing.TB, d any) {
				set(tb, d, "/previousOwner", map[string]any{"name": "张伟", "idType": "RESIDENT_ID"})
			},
			[]pk{{"/previousOwner/idNumber", "required"}}},
		{"owner id type unknown, extra member", "valid-m1.json",
			func(tb testing.TB, d any) {
				set(tb, d, "/previousOwner", map[string]any{"name": "张伟", "idType": "DRIVING_LICENCE", "idNumber": "x", "email": "a@b"})
			},
			[]pk{{"/previousOwner/email", "additionalProperties"}, {"/previousOwner/idType", "enum"}}},
		{"category M9", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/category", "M9") },
			[]pk{{"/vehicle/category", "enum"}}},
		{"destination XX", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/destinationCountry", "XX") },
			[]pk{{"/destinationCountry", "enum"}}},
		{"destination lower case", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/destinationCountry", "kz") },
			[]pk{{"/destinationCountry", "enum"}}},
		{"application date month 13", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/applicationDate", "2026-13-01") },
			[]pk{{"/applicationDate", "format"}}},
		{"registration date 30 Feb", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/registrationDate", "2022-02-30") },
			[]pk{{"/vehicle/registrationDate", "format"}}},
		{"licence number short", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/licenceNo", "26-AB-12") },
			[]pk{{"/licenceNo", "pattern"}}},
		{"extra vehicle property", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/foo", "bar") },
			[]pk{{"/vehicle/foo", "additionalProperties"}}},
		{"extra root properties", "valid-m1.json",
			func(tb testing.TB, d any) { m := d.(map[string]any); m["b"] = 1; m["a/x"] = 2; m["t~"] = 3 },
			[]pk{{"/a~1x", "additionalProperties"}, {"/b", "additionalProperties"}, {"/t~0", "additionalProperties"}}},
		{"report standard WM/T 7", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/standard", "WM/T 7") },
			[]pk{{"/inspectionReport/standard", "enum"}}},
		{"report standard not a string", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/standard", json.Number("8")) },
			[]pk{{"/inspectionReport/standard", "type"}}},
		{"report standard missing", "valid-m1.json",
			func(tb testing.TB, d any) { del(tb, d, "/inspectionReport/standard") },
			[]pk{{"/inspectionReport/standard", "required"}}},
		{"report not an object", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport", "WM/T 8-2022") },
			[]pk{{"/inspectionReport", "type"}}},
		{"WM/T 8 without flood flag", "valid-m1.json",
			func(tb testing.TB, d any) { del(tb, d, "/inspectionReport/accidentFlags/flood") },
			[]pk{{"/inspectionReport/accidentFlags/flood", "required"}}},
		{"WM/T 9 without curb mass", "valid-n3.json",
			func(tb testing.TB, d any) { del(tb, d, "/inspectionReport/vehicle/curbMassKg") },
			[]pk{{"/inspectionReport/vehicle/curbMassKg", "required"}}},
		{"WM/T 8 without curb mass is fine", "valid-m1.json",
			func(tb testing.TB, d any) { del(tb, d, "/inspectionReport/vehicle/curbMassKg") },
			nil},
		{"WM/T 8 item with WM/T 9 code", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/items/0/code", "Q9-1") },
			[]pk{{"/inspectionReport/items/0/code", "pattern"}}},
		{"WM/T 8 item unknown area", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/items/3/code", "P-XYZ-01") },
			[]pk{{"/inspectionReport/items/3/code", "pattern"}}},
		{"WM/T 9 item with WM/T 8 code", "valid-n3.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/items/0/code", "P-ACC-01") },
			[]pk{{"/inspectionReport/items/0/code", "pattern"}}},
		{"WM/T 9 item Q9-13", "valid-n3.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/items/2/code", "Q9-13") },
			[]pk{{"/inspectionReport/items/2/code", "pattern"}}},
		{"WM/T 9 standard over a WM/T 8 report", "valid-m1.json",
			func(tb testing.TB, d any) {
				set(tb, d, "/inspectionReport/standard", "WM/T 9-2022")
				items := get(tb, d, "/inspectionReport/items").([]any)
				set(tb, d, "/inspectionReport/items", items[:2])
			},
			[]pk{{"/inspectionReport/items/0/code", "pattern"}, {"/inspectionReport/items/1/code", "pattern"}}},
		{"odometer negative", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/odometerKm", json.Number("-1")) },
			[]pk{{"/vehicle/odometerKm", "minimum"}}},
		{"odometer too large", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/odometerKm", json.Number("3000001")) },
			[]pk{{"/vehicle/odometerKm", "maximum"}}},
		{"seats fractional", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/seats", json.Number("1.5")) },
			[]pk{{"/vehicle/seats", "type"}}},
		{"seats fractional float64", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/seats", 1.5) },
			[]pk{{"/vehicle/seats", "type"}}},
		{"seats 5.0 is an integer", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/seats", json.Number("5.0")) },
			nil},
		{"seats as string", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/seats", "5") },
			[]pk{{"/vehicle/seats", "type"}}},
		{"modified not boolean", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/modified", "no") },
			[]pk{{"/vehicle/modified", "type"}}},
		{"modification incomplete", "valid-m1.json",
			func(tb testing.TB, d any) {
				set(tb, d, "/vehicle/modified", true)
				set(tb, d, "/vehicle/modification", map[string]any{"chassisBrand": "福田", "modifiedBrand": "某某", "modifiedModel": "XY5040", "miitCatalogued": true})
			},
			[]pk{{"/vehicle/modification/proofRef", "required"}}},
		{"vin empty", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/vin", "") },
			[]pk{{"/vehicle/vin", "minLength"}}},
		{"brand too long", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/vehicle/brand", strings.Repeat("比", 101)) },
			[]pk{{"/vehicle/brand", "maxLength"}}},
		{"exporter name missing", "valid-m1.json",
			func(tb testing.TB, d any) { del(tb, d, "/exporter/name") },
			[]pk{{"/exporter/name", "required"}}},
		{"report items empty", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/items", []any{}) },
			[]pk{{"/inspectionReport/items", "minItems"}}},
		{"report too many items", "valid-n3.json",
			func(tb testing.TB, d any) {
				item := get(tb, d, "/inspectionReport/items/0")
				items := make([]any, 501)
				for i := range items {
					items[i] = item
				}
				set(tb, d, "/inspectionReport/items", items)
			},
			[]pk{{"/inspectionReport/items", "maxItems"}}},
		{"photo ref not a hash", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/items/19/photoRefs/0", "sha256:ABC") },
			[]pk{{"/inspectionReport/items/19/photoRefs/0", "pattern"}}},
		{"too many photos", "valid-m1.json",
			func(tb testing.TB, d any) {
				refs := make([]any, 51)
				for i := range refs {
					refs[i] = "sha256:" + strings.Repeat("ab", 32)
				}
				set(tb, d, "/inspectionReport/items/19/photoRefs", refs)
			},
			[]pk{{"/inspectionReport/items/19/photoRefs", "maxItems"}}},
		{"item result unknown", "valid-m1.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/items/1/result", "OK") },
			[]pk{{"/inspectionReport/items/1/result", "enum"}}},
		{"conclusion unknown", "valid-n3.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/conclusion", "PASS") },
			[]pk{{"/inspectionReport/conclusion", "enum"}}},
		{"signature missing", "valid-n3.json",
			func(tb testing.TB, d any) { del(tb, d, "/inspectionReport/signatures/reviewer") },
			[]pk{{"/inspectionReport/signatures/reviewer", "required"}}},
		{"report extra vehicle field", "valid-n3.json",
			func(tb testing.TB, d any) { set(tb, d, "/inspectionReport/vehicle/category", "N3") },
			[]pk{{"/inspectionReport/vehicle/category", "additionalProperties"}}},
		{"after-sales without seal", "valid-aftersales.json",
			func(tb testing.TB, d any) { del(tb, d, "/afterSalesConfirmation/sealImageHash") },
			[]pk{{"/afterSalesConfirmation/sealImageHash", "required"}}},
		{"after-sales empty network", "valid-aftersales.json",
			func(tb testing.TB, d any) { set(tb, d, "/afterSalesConfirmation/serviceNetwork", []any{}) },
			[]pk{{"/afterSalesConfirmation/serviceNetwork", "minItems"}}},
		{"after-sales outlet country", "valid-aftersales.json",
			func(tb testing.TB, d any) { set(tb, d, "/afterSalesConfirmation/serviceNetwork/1/country", "KAZ") },
			[]pk{{"/afterSalesConfirmation/serviceNetwork/1/country", "enum"}}},
		{"declaration without standard", "valid-m1.json",
			func(tb testing.TB, d any) { del(tb, d, "/destinationDeclaration/standardRef") },
			[]pk{{"/destinationDeclaration/standardRef", "required"}}},
		{"declaration seal upper-case hex", "valid-m1.json",
			func(tb testing.TB, d any) {
				set(tb, d, "/destinationDeclaration/sealImageHash", "sha256:"+strings.Repeat("AB", 32))
			},
			[]pk{{"/destinationDeclaration/sealImageHash", "pattern"}}},
		{"several at once sorted", "valid-n3.json",
			func(tb testing.TB, d any) {
				set(tb, d, "/vehicle/seats", json.Number("-2"))
				set(tb, d, "/destinationCountry", "UZB")
				set(tb, d, "/applicationDate", "10.03.2026")
				del(tb, d, "/inspectionReport/ptiValid")
			},
			[]pk{
				{"/applicationDate", "format"},
				{"/destinationCountry", "enum"},
				{"/inspectionReport/ptiValid", "required"},
				{"/vehicle/seats", "minimum"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := loadDoc(t, tt.base)
			tt.mutate(t, doc)
			got := testValidator.ValidateFiling(doc)
			if tt.want == nil {
				assert.Nil(t, got)
				return
			}
			assert.Equal(t, tt.want, pointersAndKeywords(got), "%+v", got)
			requireMessages(t, got)
		})
	}
}

// TestPreviousOwner: the owner member is optional; given, as filed or as a masked answer shows
// it, it matches the schema (the identity number is a rule's business, not the schema's).
func TestPreviousOwner(t *testing.T) {
	for name, owner := range map[string]map[string]any{
		"as filed":                         {"name": "张伟", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X", "phone": "13812345678", "address": "北京市朝阳区建国路88号"},
		"masked":                           {"name": "张*", "idType": "RESIDENT_ID", "idNumber": "110105********002X", "phone": "138****5678", "address": "北京市朝阳区***"},
		"company without phone or address": {"name": "深圳市某某汽车租赁有限公司", "idType": "USCC", "idNumber": "91440300192317458F"},
	} {
		t.Run(name, func(t *testing.T) {
			doc := loadDoc(t, "valid-m1.json")
			set(t, doc, "/previousOwner", owner)
			assert.Nil(t, testValidator.ValidateFiling(doc))
		})
	}
}

// TestPersonalValuesNotQuoted: a violation inside previousOwner names what was expected, never
// the value found (someone's ID number typed into the wrong field); elsewhere values are quoted.
func TestPersonalValuesNotQuoted(t *testing.T) {
	doc := loadDoc(t, "valid-m1.json")
	set(t, doc, "/previousOwner", map[string]any{"name": "张伟", "idType": "11010519491231002X", "idNumber": "x"})
	set(t, doc, "/vehicle/category", "11010519491231002X")
	got := testValidator.ValidateFiling(doc)
	require.Equal(t, []pk{{"/previousOwner/idType", "enum"}, {"/vehicle/category", "enum"}}, pointersAndKeywords(got))
	requireMessages(t, got)
	for _, m := range []string{got[0].MessageEn, got[0].MessageZh} {
		assert.NotContains(t, m, "11010519491231002X")
		assert.Contains(t, m, "RESIDENT_ID", "it still says what is allowed")
	}
	assert.Contains(t, got[1].MessageEn, "11010519491231002X")
}

func TestRootNotObject(t *testing.T) {
	for _, doc := range []any{nil, "x", json.Number("1"), []any{}, true} {
		got := testValidator.ValidateFiling(doc)
		assert.Equal(t, []pk{{"", "type"}}, pointersAndKeywords(got))
		requireMessages(t, got)
	}
	got := testValidator.ValidateFiling(map[string]any{})
	assert.Len(t, got, 6)
	keywords := map[string]int{}
	for _, v := range got {
		keywords[v.Keyword]++
	}
	// Five required members, and one of inspectionReport / inspectionReportRef.
	assert.Equal(t, map[string]int{"required": 5, "oneOf": 1}, keywords)
}

func TestStandaloneDocuments(t *testing.T) {
	m1 := loadDoc(t, "valid-m1.json").(map[string]any)
	report := m1["inspectionReport"].(map[string]any)

	report["standard"] = "WM/T 7"
	got := testValidator.ValidateReport(report)
	assert.Equal(t, []pk{{"/standard", "enum"}}, pointersAndKeywords(got))
	requireMessages(t, got)

	report["standard"] = "WM/T 8-2022"
	delete(report["vehicle"].(map[string]any), "vin")
	got = testValidator.ValidateReport(report)
	assert.Equal(t, []pk{{"/vehicle/vin", "required"}}, pointersAndKeywords(got))

	decl := m1["destinationDeclaration"].(map[string]any)
	decl["declarationDate"] = "2026-2-28"
	got = testValidator.ValidateDeclaration(decl)
	assert.Equal(t, []pk{{"/declarationDate", "format"}}, pointersAndKeywords(got))

	after := loadDoc(t, "valid-aftersales.json").(map[string]any)["afterSalesConfirmation"].(map[string]any)
	delete(after, "docNo")
	delete(after, "signatory")
	assert.Nil(t, testValidator.ValidateAfterSales(after), "docNo and signatory are optional")
	after["manufacturer"] = map[string]any{"name": "比亚迪股份有限公司"}
	got = testValidator.ValidateAfterSales(after)
	assert.Equal(t, []pk{{"/manufacturer/uscc", "required"}}, pointersAndKeywords(got))
}

func TestMessages(t *testing.T) {
	doc := loadDoc(t, "valid-m1.json")
	del(t, doc, "/vehicle/vin")
	set(t, doc, "/vehicle/seats", json.Number("1.5"))
	set(t, doc, "/vehicle/category", "M9")
	set(t, doc, "/destinationCountry", "XX")
	set(t, doc, "/applicationDate", "2026-13-01")
	set(t, doc, "/licenceNo", "26-AB-12")
	set(t, doc, "/vehicle/foo", 1)
	set(t, doc, "/vehicle/odometerKm", json.Number("-1"))
	set(t, doc, "/vehicle/colour", strings.Repeat("白", 21))
	got := testValidator.ValidateFiling(doc)
	byPtr := map[string]Violation{}
	for _, v := range got {
		byPtr[v.Pointer] = v
	}
	requireMessages(t, got)
	assert.Equal(t, "缺少必填字段 vin", byPtr["/vehicle/vin"].MessageZh)
	assert.Equal(t, "missing required property 'vin'", byPtr["/vehicle/vin"].MessageEn)
	assert.Equal(t, "类型错误：应为 integer，实际为 number", byPtr["/vehicle/seats"].MessageZh)
	assert.Contains(t, byPtr["/vehicle/category"].MessageZh, "取值不在允许范围内：'M9'")
	assert.Contains(t, byPtr["/vehicle/category"].MessageEn, "'M1'")
	assert.Contains(t, byPtr["/destinationCountry"].MessageZh, "取值不在允许范围内：'XX'")
	assert.Contains(t, byPtr["/destinationCountry"].MessageEn, "249 allowed values")
	assert.Contains(t, byPtr["/applicationDate"].MessageZh, "日期格式应为 YYYY-MM-DD")
	assert.Contains(t, byPtr["/licenceNo"].MessageZh, "格式不符合要求")
	assert.Equal(t, "不允许的字段 foo", byPtr["/vehicle/foo"].MessageZh)
	assert.Contains(t, byPtr["/vehicle/odometerKm"].MessageZh, "数值不得小于 0")
	assert.Contains(t, byPtr["/vehicle/colour"].MessageZh, "长度不得超过 20 个字符")

	// Huge values are truncated in messages.
	doc = loadDoc(t, "valid-m1.json")
	set(t, doc, "/licenceNo", strings.Repeat("9", 10000))
	got = testValidator.ValidateFiling(doc)
	require.Len(t, got, 2) // maxLength and pattern
	for _, v := range got {
		assert.Less(t, len(v.MessageEn), 400)
		assert.Less(t, len(v.MessageZh), 400)
	}
}

func TestSchemasAreWellFormed(t *testing.T) {
	entries, err := FS.ReadDir(".")
	require.NoError(t, err)
	require.Len(t, entries, 7)
	for _, e := range entries {
		data, err := FS.ReadFile(e.Name())
		require.NoError(t, err)
		var sch map[string]any
		require.NoError(t, json.Unmarshal(data, &sch), e.Name())
		assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", sch["$schema"], e.Name())
		assert.Equal(t, BaseURL+e.Name(), sch["$id"], e.Name())
		assert.NotEmpty(t, sch["title"], e.Name())
		assert.NotEmpty(t, sch["description"], e.Name())
		walkSchema(t, e.Name(), "", sch)
	}
	var common map[string]any
	data, err := FS.ReadFile(CommonSchema)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &common))
	countries := common["$defs"].(map[string]any)["countryCode"].(map[string]any)["enum"].([]any)
	assert.Len(t, countries, 249)
	seen := map[any]bool{}
	for _, c := range countries {
		assert.False(t, seen[c], "duplicate %v", c)
		seen[c] = true
	}
}

// walkSchema checks the house rules on every subschema: objects closed, strings and arrays bounded.
func walkSchema(t *testing.T, file, loc string, node any) {
	switch n := node.(type) {
	case map[string]any:
		if _, isSchema := n["type"]; isSchema {
			switch n["type"] {
			case "object":
				_, dispatcher := n["if"]
				assert.True(t, n["additionalProperties"] == false || dispatcher, "%s%s: object not closed", file, loc)
			case "string":
				_, ok := n["maxLength"]
				assert.True(t, ok, "%s%s: string without maxLength", file, loc)
			case "array":
				_, ok := n["maxItems"]
				assert.True(t, ok, "%s%s: array without maxItems", file, loc)
			}
		}
		for k, v := range n {
			if k == "enum" || k == "const" || k == "required" || k == "default" {
				continue
			}
			walkSchema(t, file, loc+"/"+k, v)
		}
	case []any:
		for i, v := range n {
			walkSchema(t, file, loc+"/"+strconv.Itoa(i), v)
		}
	}
}

func TestConcurrentValidation(t *testing.T) {
	docs := []any{
		loadDoc(t, "valid-m1.json"),
		loadDoc(t, "valid-n3.json"),
		loadDoc(t, "valid-aftersales.json"),
	}
	bad := loadDoc(t, "valid-n3.json")
	set(t, bad, "/vehicle/category", "M9")
	del(t, bad, "/inspectionReport/vehicle/curbMassKg")
	set(t, bad, "/licenceNo", "x")
	docs = append(docs, bad)
	want := make([][]Violation, len(docs))
	for i, d := range docs {
		want[i] = testValidator.ValidateFiling(d)
	}
	require.NotNil(t, want[3])

	v := MustNew()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				j := (g + i) % len(docs)
				got := v.ValidateFiling(docs[j])
				if !assert.ObjectsAreEqual(want[j], got) {
					errs <- "mismatch on doc " + strconv.Itoa(j)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func FuzzValidateFiling(f *testing.F) {
	for _, name := range []string{"valid-m1.json", "valid-n3.json", "valid-aftersales.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"inspectionReport":{"standard":"WM/T 9-2022","items":[{"code":"Q9-13"}]}}`))
	f.Add([]byte(`{"vehicle":{"seats":1e400,"odometerKm":-0.5},"a/b~c":1}`))
	v := MustNew()
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return
		}
		first := v.ValidateFiling(doc)
		second := v.ValidateFiling(doc)
		require.Equal(t, first, second)
		requireMessages(t, first)
	})
}

func BenchmarkValidateFiling(b *testing.B) {
	for _, name := range []string{"valid-m1.json", "valid-n3.json"} {
		data := readTestdata(b, name)
		doc := decode(b, data)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if vs := testValidator.ValidateFiling(doc); vs != nil {
					b.Fatal(vs)
				}
			}
		})
	}
}

func BenchmarkDecodeFiling(b *testing.B) {
	for _, name := range []string{"valid-m1.json", "valid-n3.json"} {
		data := readTestdata(b, name)
		b.Run(name+"/UseNumber-any", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				dec := json.NewDecoder(bytes.NewReader(data))
				dec.UseNumber()
				var v any
				if err := dec.Decode(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/Unmarshal-map", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var v map[string]any
				if err := json.Unmarshal(data, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidateVsDecode interleaves decoding and validating the same document and reports
// their time ratio, so that machine noise affects both sides alike.
func BenchmarkValidateVsDecode(b *testing.B) {
	for _, name := range []string{"valid-m1.json", "valid-n3.json"} {
		data := readTestdata(b, name)
		b.Run(name, func(b *testing.B) {
			var decodeNs, validateNs time.Duration
			for b.Loop() {
				t0 := time.Now()
				dec := json.NewDecoder(bytes.NewReader(data))
				dec.UseNumber()
				var doc any
				if err := dec.Decode(&doc); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if vs := testValidator.ValidateFiling(doc); vs != nil {
					b.Fatal(vs)
				}
				t2 := time.Now()
				decodeNs += t1.Sub(t0)
				validateNs += t2.Sub(t1)
			}
			b.ReportMetric(float64(decodeNs.Nanoseconds())/float64(b.N), "decode-ns/op")
			b.ReportMetric(float64(validateNs.Nanoseconds())/float64(b.N), "validate-ns/op")
			b.ReportMetric(float64(validateNs)/float64(decodeNs), "validate/decode")
		})
	}
}

// FuzzValidateSchemas feeds arbitrary JSON to every schema (filing, inspection report,
// customs declaration, after-sales confirmation, destination declaration): never a panic, the
// same answer twice, every violation with a pointer and messages in both languages.
func FuzzValidateSchemas(f *testing.F) {
	for _, name := range []string{"valid-m1.json", "valid-n3.json", "valid-aftersales.json"} {
		data := readTestdata(f, name)
		for which := range uint8(5) {
			f.Add(data, which)
		}
	}
	for which := range uint8(5) {
		f.Add([]byte(`{"lines":[{"vin":1e999}],"items":[[[[]]]],"a/b~c":"\u0000"}`), which)
	}
	v := MustNew()
	validators := []func(any) []Violation{v.ValidateFiling, v.ValidateReport, v.ValidateCustomsDeclaration, v.ValidateAfterSales, v.ValidateDeclaration}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return
		}
		validate := validators[int(which)%len(validators)]
		first := validate(doc)
		require.Equal(t, first, validate(doc))
		requireMessages(t, first)
	})
}
