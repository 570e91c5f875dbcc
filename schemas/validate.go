// Package schemas holds the JSON Schemas (draft 2020-12) of the filing and its documents, and compiles them once.
//
// The schemas are the shape contract of docs/filing-format.md: types, requiredness, enums,
// patterns, lengths and closed objects. Identity checks (VIN check digit, USCC check character),
// cross-document consistency and the dated rulesets are rules, not schema.
package schemas

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// BaseURL is the common prefix of every schema's $id; the file name follows it.
// URLs under it are resolved from [FS] and never fetched.
const BaseURL = "https://ucx-export.github.io/schemas/"

// Schema file names, as embedded in [FS] and appended to [BaseURL] to form the $id.
const (
	// FilingSchema is the filing envelope (二手车出口申报).
	FilingSchema = "filing.schema.json"
	// WMT8ReportSchema is the WM/T 8-2022 passenger-car quality report (二手乘用车出口质量报告).
	WMT8ReportSchema = "wmt8-report.schema.json"
	// WMT9ReportSchema is the WM/T 9-2022 commercial-vehicle and trailer quality report.
	WMT9ReportSchema = "wmt9-report.schema.json"
	// AfterSalesSchema is the manufacturer's after-sales service confirmation (售后维修服务确认书).
	AfterSalesSchema = "after-sales-confirmation.schema.json"
	// DestinationDeclSchema is the destination access-standard declaration (目的国准入标准声明).
	DestinationDeclSchema = "destination-declaration.schema.json"
	// CustomsDeclSchema is the customs export declaration checked for clearance (出口报关单).
	CustomsDeclSchema = "customs-declaration.schema.json"
	// CommonSchema holds the shared $defs; it is not a document schema.
	CommonSchema = "common.schema.json"
)

const (
	// reportDispatchFragment locates, inside the filing schema, the subschema that picks the
	// report schema by "standard"; ValidateReport compiles it on its own.
	reportDispatchFragment = "#/$defs/inspectionReport"
	// Message limits: quoted values are cut to 64 runes, enums longer than 12 values are
	// summarised by their count (the country list has 249).
	maxDisplayedValueRunes    = 64
	maxDisplayedEnumAlternate = 12
)

// Violation is one schema failure, located by a JSON pointer into the instance.
type Violation struct {
	Pointer   string `json:"pointer"`   // RFC 6901 JSON pointer into the instance, "" for root
	Keyword   string `json:"keyword"`   // failing keyword: required, type, enum, pattern, format, minimum, maxLength, additionalProperties, const, minItems …
	MessageEn string `json:"messageEn"` // short English message, no schema URLs
	MessageZh string `json:"messageZh"` // short Chinese message
}

// Validator validates documents against the compiled schemas. Safe for concurrent use.
type Validator struct {
	filing      *jsonschema.Schema
	report      *jsonschema.Schema
	afterSales  *jsonschema.Schema
	declaration *jsonschema.Schema
	customs     *jsonschema.Schema
}

// refusingLoader makes sure no schema is ever fetched: every schema we use is added to the
// compiler from FS up front, so any other URL is an error.
type refusingLoader struct{}

func (refusingLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %q is not embedded; remote schemas are never fetched", url)
}

// New compiles the filing, both report schemas, the after-sales confirmation and the
// destination declaration from [FS] (format assertions on). It returns an error only when an
// embedded schema is broken.
func New() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(refusingLoader{})

	names, err := fs.Glob(FS, "*.schema.json")
	if err != nil {
		return nil, fmt.Errorf("list embedded schemas: %w", err)
	}
	for _, name := range names {
		f, err := FS.Open(name)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		if err := c.AddResource(BaseURL+path.Base(name), doc); err != nil {
			return nil, fmt.Errorf("add %s: %w", name, err)
		}
	}

	v := &Validator{}
	for _, s := range []struct {
		dst **jsonschema.Schema
		loc string
	}{
		{&v.filing, FilingSchema},
		{&v.report, FilingSchema + reportDispatchFragment},
		{nil, WMT8ReportSchema}, // reached through the report dispatch; compiled on their own
		{nil, WMT9ReportSchema}, // too so that New checks every file
		{&v.afterSales, AfterSalesSchema},
		{&v.declaration, DestinationDeclSchema},
		{&v.customs, CustomsDeclSchema},
	} {
		sch, err := c.Compile(BaseURL + s.loc)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", s.loc, err)
		}
		if s.dst != nil {
			*s.dst = sch
		}
	}
	return v, nil
}

// MustNew is like [New] but panics on error; the schemas are embedded, so an error is a
// programming error caught by the package tests.
func MustNew() *Validator {
	v, err := New()
	if err != nil {
		panic(err)
	}
	return v
}

// ValidateCustomsDeclaration validates a customs export declaration
// (customs-declaration.schema.json), like ValidateFiling.
func (v *Validator) ValidateCustomsDeclaration(doc any) []Violation { return validate(v.customs, doc) }

// ValidateFiling validates a filing document (filing.schema.json). doc is a value decoded from
// JSON (map[string]any, []any, string, float64 or json.Number, bool, nil). It returns the leaf
// violations sorted by pointer then keyword, or nil when the document is valid.
func (v *Validator) ValidateFiling(doc any) []Violation { return validate(v.filing, doc) }

// ValidateReport validates a stand-alone inspection report, dispatching on its "standard"
// field like the filing does: WM/T 8-2022 or WM/T 9-2022, anything else is an enum violation
// at /standard. Same input and output conventions as [Validator.ValidateFiling].
func (v *Validator) ValidateReport(doc any) []Violation { return validate(v.report, doc) }

// ValidateAfterSales validates an after-sales service confirmation (售后维修服务确认书).
// Same input and output conventions as [Validator.ValidateFiling].
func (v *Validator) ValidateAfterSales(doc any) []Violation { return validate(v.afterSales, doc) }

// ValidateDeclaration validates a destination access-standard declaration (目的国准入标准声明).
// Same input and output conventions as [Validator.ValidateFiling].
func (v *Validator) ValidateDeclaration(doc any) []Violation { return validate(v.declaration, doc) }

func validate(sch *jsonschema.Schema, doc any) []Violation {
	var costly map[string]string // pointer → original text of numbers replaced by a stand-in
	if hasCostlyNumber(doc) {
		costly = map[string]string{}
		doc = replaceCostlyNumbers(doc, "", costly)
	}
	err := sch.Validate(doc)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		// Validate only returns *ValidationError; keep a violation rather than lose the failure.
		return []Violation{{Keyword: "invalid", MessageEn: "document is invalid", MessageZh: msgZhFallback}}
	}
	var out []Violation
	out = flatten(verr, out)
	for i := range out {
		if o, ok := costly[out[i].Pointer]; ok {
			switch out[i].Keyword {
			case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf":
				out[i].MessageEn = "value " + truncate(o) + " is outside the allowed range"
				out[i].MessageZh = "数值超出允许范围：" + truncate(o)
			}
		}
	}
	slices.SortFunc(out, func(a, b Violation) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		if c := strings.Compare(a.Keyword, b.Keyword); c != 0 {
			return c
		}
		if c := strings.Compare(a.MessageEn, b.MessageEn); c != 0 {
			return c
		}
		return strings.Compare(a.MessageZh, b.MessageZh)
	})
	return slices.Compact(out)
}

// flatten appends the leaf causes of e to out. Wrapper nodes (the root "validation failed",
// groups, $ref, allOf, and if/then which the library does not wrap) are dropped; required and
// additionalProperties are split into one violation per property, pointing at that property.
func flatten(e *jsonschema.ValidationError, out []Violation) []Violation {
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		for _, c := range e.Causes {
			out = flatten(c, out)
		}
		return out
	case *kind.Required:
		base := pointer(e.InstanceLocation)
		for _, p := range k.Missing {
			out = append(out, Violation{
				Pointer:   base + "/" + escapeToken(p),
				Keyword:   "required",
				MessageEn: "missing required property " + quote(p),
				MessageZh: "缺少必填字段 " + p,
			})
		}
		return out
	case *kind.AdditionalProperties:
		base := pointer(e.InstanceLocation)
		for _, p := range k.Properties {
			out = append(out, Violation{
				Pointer:   base + "/" + escapeToken(p),
				Keyword:   "additionalProperties",
				MessageEn: "property " + quote(truncate(p)) + " is not allowed",
				MessageZh: "不允许的字段 " + truncate(p),
			})
		}
		return out
	case *kind.DependentRequired:
		base := pointer(e.InstanceLocation)
		for _, p := range k.Missing {
			out = append(out, Violation{
				Pointer:   base + "/" + escapeToken(p),
				Keyword:   "dependentRequired",
				MessageEn: "missing property " + quote(p) + ", required when " + quote(k.Prop) + " is present",
				MessageZh: "存在字段 " + k.Prop + " 时必须提供字段 " + p,
			})
		}
		return out
	}
	// anyOf / oneOf (not used by these schemas) and every other kind: report the node itself;
	// descending into the alternatives of a failed anyOf/oneOf would list misleading causes.
	ptr := pointer(e.InstanceLocation)
	en, zh := messages(e.ErrorKind)
	if personal(ptr) {
		en, zh = withheldMessages(e.ErrorKind)
	}
	return append(out, Violation{
		Pointer:   ptr,
		Keyword:   keyword(e.ErrorKind),
		MessageEn: en,
		MessageZh: zh,
	})
}

// PersonalDataPointer is the filing member that holds personal data (docs/filing-format.md):
// violations at or under it never quote the offending value, which may be someone's name or
// ID number put in the wrong field.
const PersonalDataPointer = "/previousOwner"

func personal(ptr string) bool {
	return ptr == PersonalDataPointer || strings.HasPrefix(ptr, PersonalDataPointer+"/")
}

// withheldMessages are messages that name what was expected, never the value found.
func withheldMessages(k jsonschema.ErrorKind) (en, zh string) {
	switch k := k.(type) {
	case *kind.Type, *kind.MinLength, *kind.MaxLength, *kind.MinItems, *kind.MaxItems, *kind.MinProperties, *kind.MaxProperties:
		return messages(k) // types and counts only
	case *kind.Enum:
		alts := make([]string, 0, len(k.Want))
		for _, w := range k.Want {
			alts = append(alts, display(w))
		}
		if len(alts) > maxDisplayedEnumAlternate {
			n := strconv.Itoa(len(alts))
			return "the value is not one of the " + n + " allowed values", "取值不在允许范围内（共 " + n + " 个允许值）"
		}
		return "the value is not allowed; want one of " + strings.Join(alts, ", "), "取值不在允许范围内（允许值：" + strings.Join(alts, "、") + "）"
	case *kind.Const:
		return "the value must be " + display(k.Want), "取值应为 " + display(k.Want)
	case *kind.Pattern:
		return "the value does not match pattern " + k.Want, "格式不符合要求：应匹配 " + k.Want
	case *kind.Format:
		return "the value is not a valid " + k.Want, "格式不符合 " + k.Want + " 要求"
	}
	return "the value is not allowed here (personal data: the value is not quoted)", "此处取值不符合要求（个人信息，不引用取值）"
}

func keyword(k jsonschema.ErrorKind) string {
	if _, ok := k.(*kind.InvalidJsonValue); ok {
		return "type"
	}
	if kp := k.KeywordPath(); len(kp) > 0 {
		return kp[len(kp)-1]
	}
	return "invalid"
}

// pointer renders an instance location as an RFC 6901 JSON pointer.
func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		sb.WriteString(escapeToken(t))
	}
	return sb.String()
}

var tokenEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapeToken(t string) string {
	if !strings.ContainsAny(t, "~/") {
		return t
	}
	return tokenEscaper.Replace(t)
}

var enPrinter = message.NewPrinter(language.English)
