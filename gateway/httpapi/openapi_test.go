package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/compliance"
	"github.com/ucx-export/ucx/gateway/httpapi"
	"github.com/ucx-export/ucx/gateway/inspection"
	"github.com/ucx-export/ucx/schemas"
)

// gatewayErrorCodes are the application error codes of gateway/error.go plus the transport
// code of httpapi/errors.go; x-error-codes must list exactly these.
var gatewayErrorCodes = []string{
	gateway.EINTERNAL,
	gateway.EINVALID,
	gateway.ENOTFOUND,
	gateway.ECONFLICT,
	gateway.EUNAVAILABLE,
	gateway.EINVALIDJSON,
	gateway.EUNKNOWNFIELD,
	gateway.ETYPEMISMATCH,
	gateway.ETRAILINGDATA,
	gateway.EBODYTOOLARGE,
	gateway.EUNSUPPORTEDMEDIA,
	gateway.ESCHEMA,
	gateway.ERULESET,
	gateway.EIDEMPOTENCYREUSED,
	gateway.EIDEMPOTENCYINVALID,
	gateway.EBATCHTOOLARGE,
	gateway.EFORBIDDEN,
	gateway.EDOCTAMPERED,
	gateway.EREPORTNOTFOUND,
	gateway.EILLEGALTRANSITION,
	inspection.EUNSIGNED, inspection.ESIGNATUREINVALID, inspection.EAGENCYUNKNOWN, inspection.EAGENCYMISMATCH, inspection.EKEYNOTVALID,
	"METHOD_NOT_ALLOWED",
}

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadSpec parses the embedded openapi.json.
func loadSpec(t testing.TB) map[string]any {
	t.Helper()
	var spec map[string]any
	require.NoError(t, json.Unmarshal(httpapi.OpenAPI, &spec), "openapi.json is not valid JSON")
	return spec
}

// obj returns m[key] as an object, failing the test when it is not one.
func obj(t testing.TB, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	require.True(t, ok, "%q is not an object", key)
	return v
}

// operations returns every operation of the spec keyed "METHOD /path".
func operations(t testing.TB, spec map[string]any) map[string]map[string]any {
	t.Helper()
	ops := map[string]map[string]any{}
	for p, item := range obj(t, spec, "paths") {
		pi, ok := item.(map[string]any)
		require.True(t, ok, "path item %s is not an object", p)
		for _, m := range httpMethods {
			if op, ok := pi[m].(map[string]any); ok {
				ops[strings.ToUpper(m)+" "+p] = op
			}
		}
	}
	return ops
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// openAPIPath converts a Gin path (/v1/filings/:id) to OpenAPI syntax (/v1/filings/{id}).
func openAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

func TestOpenAPICoversRoutes(t *testing.T) {
	srv := newTestServer(t)
	ops := operations(t, loadSpec(t))

	routes := map[string]bool{}
	for _, r := range srv.api.Routes() {
		routes[r[0]+" "+openAPIPath(r[1])] = true
	}
	require.NotEmpty(t, routes)

	var undocumented, unregistered []string
	for r := range routes {
		if _, ok := ops[r]; !ok {
			undocumented = append(undocumented, r)
		}
	}
	for op := range ops {
		if !routes[op] {
			unregistered = append(unregistered, op)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unregistered)
	assert.Empty(t, undocumented, "routes registered in routes.go but missing from openapi.json")
	assert.Empty(t, unregistered, "operations in openapi.json that routes.go does not register")
}

func TestOpenAPIValid(t *testing.T) {
	spec := loadSpec(t)
	assert.Equal(t, "3.1.0", spec["openapi"])
	info := obj(t, spec, "info")
	assert.Equal(t, "UCX export compliance gateway", info["title"])
	assert.NotEmpty(t, info["version"])
	assert.NotEmpty(t, info["description"])

	// Every operation has a unique operationId, a summary and responses, and declares each
	// of its path's template parameters as a required path parameter.
	ids := map[string]string{}
	for key, op := range operations(t, spec) {
		id, _ := op["operationId"].(string)
		if assert.NotEmpty(t, id, "%s has no operationId", key) {
			if prev, dup := ids[id]; dup {
				t.Errorf("operationId %q is used by %s and %s", id, prev, key)
			}
			ids[id] = key
		}
		assert.NotEmpty(t, op["summary"], "%s has no summary", key)
		assert.NotEmpty(t, op["responses"], "%s has no responses", key)

		declared := map[string]bool{}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm, _ := p.(map[string]any)
			if r, ok := pm["$ref"].(string); ok {
				resolved, ok := resolvePointer(spec, r)
				require.True(t, ok, "%s: parameter %s does not resolve", key, r)
				pm, _ = resolved.(map[string]any)
			}
			if pm["in"] == "path" {
				declared[pm["name"].(string)] = true
				assert.Equal(t, true, pm["required"], "%s: path parameter %v must be required", key, pm["name"])
			}
		}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(key, -1) {
			assert.True(t, declared[m[1]], "%s does not declare its path parameter %q", key, m[1])
			delete(declared, m[1])
		}
		assert.Empty(t, declared, "%s declares path parameters its path does not have", key)
	}

	// Every response documents the X-Request-Id header.
	for key, op := range operations(t, spec) {
		for status, r := range obj(t, op, "responses") {
			resp, _ := r.(map[string]any)
			if ref, ok := resp["$ref"].(string); ok {
				resolved, ok := resolvePointer(spec, ref)
				require.True(t, ok, "%s %s: response %s does not resolve", key, status, ref)
				resp, _ = resolved.(map[string]any)
			}
			headers, _ := resp["headers"].(map[string]any)
			assert.Contains(t, headers, "X-Request-Id", "%s %s does not document X-Request-Id", key, status)
		}
	}

	// Every $ref resolves: local ones inside the document, external ones to an embedded schema.
	var broken []string
	walk(spec, "", func(at string, node map[string]any) {
		ref, ok := node["$ref"].(string)
		if !ok {
			return
		}
		switch {
		case strings.HasPrefix(ref, "#/"):
			if _, ok := resolvePointer(spec, ref); !ok {
				broken = append(broken, at+": "+ref)
			}
		case strings.HasPrefix(ref, schemas.BaseURL):
			name, _, _ := strings.Cut(strings.TrimPrefix(ref, schemas.BaseURL), "#")
			if _, err := fs.Stat(schemas.FS, name); err != nil || path.Base(name) != name {
				broken = append(broken, at+": "+ref)
			}
		default:
			broken = append(broken, at+": "+ref+" (neither local nor an embedded schema)")
		}
	})
	assert.Empty(t, broken, "unresolved $refs")
}

// walk calls fn for every object in v, with its JSON Pointer.
func walk(v any, at string, fn func(at string, node map[string]any)) {
	switch n := v.(type) {
	case map[string]any:
		fn(at, n)
		for k, c := range n {
			walk(c, at+"/"+escapeToken(k), fn)
		}
	case []any:
		for i, c := range n {
			walk(c, at+"/"+strconv.Itoa(i), fn)
		}
	}
}

func escapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// resolvePointer resolves a local reference "#/a/b" in doc.
func resolvePointer(doc any, ref string) (any, bool) {
	p, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, false
	}
	if p == "" {
		return doc, true
	}
	if !strings.HasPrefix(p, "/") {
		return nil, false
	}
	cur := doc
	for _, tok := range strings.Split(p[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := cur.(type) {
		case map[string]any:
			if cur, ok = n[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			cur = n[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// ruleCode is one entry of x-rule-codes.
type ruleCode struct {
	Code     string   `json:"code"`
	Severity string   `json:"severity"`
	Rulesets []string `json:"rulesets"`
	Document string   `json:"document"`
	Clause   string   `json:"clause"`
}

// errorCode is one entry of x-error-codes.
type errorCode struct {
	Code          string `json:"code"`
	Status        int    `json:"status"`
	Description   string `json:"description"`
	DescriptionZh string `json:"descriptionZh"`
}

func TestOpenAPIRuleCodes(t *testing.T) {
	var spec struct {
		RuleCodes  []ruleCode  `json:"x-rule-codes"`
		ErrorCodes []errorCode `json:"x-error-codes"`
	}
	require.NoError(t, json.Unmarshal(httpapi.OpenAPI, &spec))

	// The rule codes of the engine, in first-seen order, with the rulesets that hold them.
	var want []ruleCode
	index := map[string]int{}
	for _, rs := range compliance.New(compliance.DefaultConfig()).Rulesets() {
		for _, r := range rs.Rules {
			i, seen := index[r.Code]
			if !seen {
				i = len(want)
				index[r.Code] = i
				want = append(want, ruleCode{Code: r.Code, Severity: r.Severity, Document: r.Document, Clause: r.Clause})
			}
			want[i].Rulesets = append(want[i].Rulesets, rs.Version)
		}
	}
	require.NotEmpty(t, want)

	got := map[string]ruleCode{}
	for _, rc := range spec.RuleCodes {
		_, dup := got[rc.Code]
		assert.False(t, dup, "x-rule-codes lists %s twice", rc.Code)
		got[rc.Code] = rc
	}
	var missing, extra, stale []string
	for _, w := range want {
		g, ok := got[w.Code]
		switch {
		case !ok:
			missing = append(missing, w.Code)
		case g.Severity != w.Severity || !slices.Equal(g.Rulesets, w.Rulesets) || g.Document != w.Document || g.Clause != w.Clause:
			stale = append(stale, w.Code)
		}
	}
	for c := range got {
		if _, ok := index[c]; !ok {
			extra = append(extra, c)
		}
	}
	sort.Strings(extra)
	if len(missing)+len(extra)+len(stale) > 0 {
		fresh, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("x-rule-codes is out of sync with gateway/compliance\nmissing: %v\nnot a rule: %v\nchanged: %v\n"+
			"replace x-rule-codes in openapi.json with:\n%s", missing, extra, stale, fresh)
	}

	// x-error-codes lists exactly the error codes, each with the status the API answers.
	listed := map[string]errorCode{}
	for _, ec := range spec.ErrorCodes {
		_, dup := listed[ec.Code]
		assert.False(t, dup, "x-error-codes lists %s twice", ec.Code)
		listed[ec.Code] = ec
		assert.NotEmpty(t, ec.Description, "x-error-codes %s has no description", ec.Code)
		assert.NotEmpty(t, ec.DescriptionZh, "x-error-codes %s has no descriptionZh", ec.Code)
	}
	for _, code := range gatewayErrorCodes {
		ec, ok := listed[code]
		if assert.True(t, ok, "x-error-codes misses %s", code) {
			assert.Equal(t, httpapi.HTTPStatus(code), ec.Status, "x-error-codes status of %s", code)
		}
		delete(listed, code)
	}
	assert.Empty(t, listed, "x-error-codes lists codes the gateway does not have")
}

func TestOpenAPIServed(t *testing.T) {
	srv := newTestServer(t)
	w := srv.do(http.MethodGet, "/openapi.json", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.True(t, bytes.Equal(httpapi.OpenAPI, w.Body.Bytes()), "GET /openapi.json differs from httpapi.OpenAPI")
}

// specURL is where the spec is added to the schema compiler; nothing is fetched from it.
const specURL = "https://ucx-export.github.io/openapi.json"

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s is neither the spec nor an embedded schema; nothing is fetched", url)
}

// specValidator validates real responses against the schemas openapi.json declares for them.
type specValidator struct {
	t        *testing.T
	spec     map[string]any
	compiler *jsonschema.Compiler
}

func newSpecValidator(t *testing.T) *specValidator {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(noLoader{})
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(httpapi.OpenAPI))
	require.NoError(t, err)
	require.NoError(t, c.AddResource(specURL, doc))
	names, err := fs.Glob(schemas.FS, "*.schema.json")
	require.NoError(t, err)
	for _, name := range names {
		data, err := schemas.FS.ReadFile(name)
		require.NoError(t, err)
		sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		require.NoError(t, err)
		require.NoError(t, c.AddResource(schemas.BaseURL+name, sch))
	}
	return &specValidator{t: t, spec: loadSpec(t), compiler: c}
}

// validate checks one JSON value against the schema at a local pointer of the spec.
func (v *specValidator) validate(pointer string, data []byte) {
	v.t.Helper()
	sch, err := v.compiler.Compile(specURL + "#" + pointer)
	require.NoError(v.t, err, "compile %s", pointer)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(v.t, err, "not JSON: %s", data)
	assert.NoError(v.t, sch.Validate(inst), "%s\nbody: %s", pointer, data)
}

// response checks that the spec documents status for the operation (method, OpenAPI path)
// and that the body and headers match it.
func (v *specValidator) response(method, specPath string, status int, header http.Header, body []byte) {
	v.t.Helper()
	opPtr := "/paths/" + escapeToken(specPath) + "/" + strings.ToLower(method)
	respPtr := opPtr + "/responses/" + strconv.Itoa(status)
	resp, ok := resolvePointer(v.spec, "#"+respPtr)
	if !assert.True(v.t, ok, "%s %s does not document status %d (body %s)", method, specPath, status, body) {
		return
	}
	if ref, isRef := resp.(map[string]any)["$ref"].(string); isRef {
		respPtr = strings.TrimPrefix(ref, "#")
		resp, ok = resolvePointer(v.spec, ref)
		require.True(v.t, ok, "response %s does not resolve", ref)
	}
	assert.NotEmpty(v.t, header.Get("X-Request-Id"), "X-Request-Id header")
	_, documented := resp.(map[string]any)["headers"].(map[string]any)["X-Request-Id"]
	assert.True(v.t, documented, "%s does not document X-Request-Id", respPtr)
	v.validate(respPtr+"/content/application~1json/schema", body)
}

// TestOpenAPIResponsesMatchSchemas sends requests of every operation and validates each answer
// against the status and schema the spec declares for it.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	srv := newTestServer(t)
	v := newSpecValidator(t)
	filing := fixture(t, "clean-m1-kz")

	// The fixture is a valid request body.
	v.validate("/components/schemas/Filing", filing)

	type call struct {
		name, method, target, specPath string
		body                           []byte
		headers                        []string
		status                         int
		code                           string // error code, when status >= 400
	}
	withDate := func(date string) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(filing, &m))
		m["applicationDate"] = date
		out, err := json.Marshal(m)
		require.NoError(t, err)
		return out
	}
	batch := func(rows ...[]byte) []byte {
		return []byte(`{"filings":[` + string(bytes.Join(rows, []byte(","))) + `]}`)
	}
	tooMany := make([][]byte, 1001)
	for i := range tooMany {
		tooMany[i] = []byte(`{}`)
	}
	oldFiling := withDate("2023-06-01")

	// Store one filing to read it back.
	created := srv.post("/v1/filings", filing, "Idempotency-Key", "openapi-test-1")
	require.Equal(t, http.StatusCreated, created.Code, created.Body.String())
	v.response(http.MethodPost, "/v1/filings", created.Code, created.Header(), created.Body.Bytes())
	var rec gateway.FilingRecord
	require.NoError(t, json.Unmarshal(created.Body.Bytes(), &rec))
	require.NotNil(t, rec.Receipt, "a stored filing carries its receipt")

	// A filing with a previous owner: its document is answered masked.
	v.validate("/components/schemas/Filing", fixture(t, "owner-person-kz"))
	ownerFiled := srv.post("/v1/filings", fixture(t, "owner-person-kz"))
	require.Equal(t, http.StatusCreated, ownerFiled.Code, ownerFiled.Body.String())
	var ownerRec gateway.FilingRecord
	require.NoError(t, json.Unmarshal(ownerFiled.Body.Bytes(), &ownerRec))

	// Ledger request bodies, each a valid instance of its schema.
	const (
		licenceNo  = "26-AB-000901"
		licenceVIN = "LSJA24U62JG269225"
	)
	licence := []byte(`{"licenceNo":"` + licenceNo + `","status":"ISSUED","exporterUscc":"91350100M000100Y43","destinationCountry":"KZ",` +
		`"issueDate":"2026-03-01","expiryDate":"2026-08-31","lines":[{"vin":"` + licenceVIN + `","brand":"荣威","model":"RX5",` +
		`"registrationDate":"2018-06-01","hsCode":"8703231990"}]}`)
	v.validate("/components/schemas/Licence", licence)
	event := func(org, typ string) []byte {
		return []byte(`{"org":"` + org + `","type":"` + typ + `","evidenceHash":"sha256:` + strings.Repeat("ab", 32) + `","actor":"` + org + `-officer-1"}`)
	}
	v.validate("/components/schemas/EventRequest", event("police", "TRANSFERRED_PENDING_EXPORT"))
	v.validate("/components/schemas/EventRequest", event("police", "DECLARED")) // well-formed, but not police's to post
	revocation := []byte(`{"reasonCode":"EXPORTER_REQUEST","actor":"commerce-officer-2"}`)
	v.validate("/components/schemas/RevocationRequest", revocation)
	// Issue one credit report to verify it.
	issuedReport := srv.do(http.MethodGet, "/v1/exporters/"+filedExporter+"/credit-report", nil)
	require.Equal(t, http.StatusOK, issuedReport.Code, issuedReport.Body.String())
	var report struct {
		VerificationCode string `json:"verificationCode"`
	}
	require.NoError(t, json.Unmarshal(issuedReport.Body.Bytes(), &report))
	const (
		creditReportSpec = "/v1/exporters/{uscc}/credit-report"
		casesSpec        = "/v1/exporters/{uscc}/credit-cases"
		decisionSpec     = "/v1/credit/cases/{caseId}/decision"
		verifyCreditSpec = "/v1/verify/credit/{code}"
	)
	const (
		traceSpec   = "/v1/vehicles/{vin}/trace"
		eventsSpec  = "/v1/vehicles/{vin}/events"
		licenceSpec = "/v1/licences/{no}"
		revokeSpec  = "/v1/licences/{no}/revocation"
	)

	calls := []call{
		{"health", "GET", "/healthz", "/healthz", nil, nil, 200, ""},
		{"ready", "GET", "/readyz", "/readyz", nil, nil, 200, ""},
		{"openapi", "GET", "/openapi.json", "/openapi.json", nil, nil, 200, ""},
		{"dry run", "POST", "/v1/filings?dryRun=true", "/v1/filings", filing, nil, 200, ""},
		{"file again", "POST", "/v1/filings", "/v1/filings", filing, nil, 201, ""},
		{"replay", "POST", "/v1/filings", "/v1/filings", filing, []string{"Idempotency-Key", "openapi-test-1"}, 201, ""},
		{"key reused", "POST", "/v1/filings", "/v1/filings", withDate("2026-03-11"), []string{"Idempotency-Key", "openapi-test-1"}, 409, gateway.EIDEMPOTENCYREUSED},
		{"bad key", "POST", "/v1/filings", "/v1/filings", filing, []string{"Idempotency-Key", "has space"}, 400, gateway.EIDEMPOTENCYINVALID},
		{"bad json", "POST", "/v1/filings", "/v1/filings", []byte(`{"applicationDate":`), nil, 400, gateway.EINVALIDJSON},
		{"unknown field", "POST", "/v1/filings", "/v1/filings", []byte(`{"nope":1}`), nil, 400, gateway.EUNKNOWNFIELD},
		{"type mismatch", "POST", "/v1/filings", "/v1/filings", []byte(`{"applicationDate":1}`), nil, 400, gateway.ETYPEMISMATCH},
		{"trailing data", "POST", "/v1/filings", "/v1/filings", []byte(`{} {}`), nil, 400, gateway.ETRAILINGDATA},
		{"too large", "POST", "/v1/filings", "/v1/filings", bytes.Repeat([]byte(" "), 1<<20+1), nil, 413, gateway.EBODYTOOLARGE},
		{"media", "POST", "/v1/filings", "/v1/filings", filing, []string{"Content-Type", "text/plain"}, 415, gateway.EUNSUPPORTEDMEDIA},
		{"schema", "POST", "/v1/filings", "/v1/filings", []byte(`{"applicationDate":"2026-01-01"}`), nil, 422, gateway.ESCHEMA},
		{"no ruleset", "POST", "/v1/filings", "/v1/filings", oldFiling, nil, 422, gateway.ERULESET},
		{"get filing", "GET", "/v1/filings/" + rec.FilingID, "/v1/filings/{id}", nil, nil, 200, ""},
		{"no filing", "GET", "/v1/filings/Fnope", "/v1/filings/{id}", nil, nil, 404, gateway.ENOTFOUND},
		{"batch dry run", "POST", "/v1/filing-batches?dryRun=true", "/v1/filing-batches", batch(filing, []byte(`{"x":1}`), oldFiling), nil, 200, ""},
		{"batch", "POST", "/v1/filing-batches", "/v1/filing-batches", batch(filing, filing, []byte(`[]`)), nil, 200, ""},
		{"batch no filings", "POST", "/v1/filing-batches", "/v1/filing-batches", []byte(`{}`), nil, 400, gateway.EINVALID},
		{"batch unknown field", "POST", "/v1/filing-batches", "/v1/filing-batches", []byte(`{"filings":[],"x":1}`), nil, 400, gateway.EUNKNOWNFIELD},
		{"batch too many", "POST", "/v1/filing-batches", "/v1/filing-batches", batch(tooMany...), nil, 413, gateway.EBATCHTOOLARGE},
		{"batch media", "POST", "/v1/filing-batches", "/v1/filing-batches", []byte(`{}`), []string{"Content-Type", "text/plain"}, 415, gateway.EUNSUPPORTEDMEDIA},
		{"vin", "GET", "/v1/vins/LSJA24U62JG269225?registrationDate=2022-05-01", "/v1/vins/{vin}", nil, nil, 200, ""},
		{"bad vin", "GET", "/v1/vins/lsja24u62jg26922O", "/v1/vins/{vin}", nil, nil, 200, ""},
		{"vin bad date", "GET", "/v1/vins/LSJA24U62JG269225?registrationDate=2022-13-01", "/v1/vins/{vin}", nil, nil, 400, gateway.EINVALID},
		{"uscc", "GET", "/v1/usccs/91440300192317458F", "/v1/usccs/{code}", nil, nil, 200, ""},
		{"bad uscc", "GET", "/v1/usccs/9144O3", "/v1/usccs/{code}", nil, nil, 200, ""},
		{"rulesets", "GET", "/v1/rulesets", "/v1/rulesets", nil, nil, 200, ""},
		{"file anchored", "POST", "/v1/filings?wait=anchored", "/v1/filings", filing, nil, 201, ""},
		{"document", "GET", "/v1/filings/" + rec.FilingID + "/document", "/v1/filings/{id}/document", nil, nil, 200, ""},
		{"masked document", "GET", "/v1/filings/" + ownerRec.FilingID + "/document", "/v1/filings/{id}/document", nil, nil, 200, ""},
		{"no document", "GET", "/v1/filings/Fnope/document", "/v1/filings/{id}/document", nil, nil, 404, gateway.ENOTFOUND},
		{"event", "POST", "/v1/vehicles/" + rec.VIN + "/events", eventsSpec, event("police", "TRANSFERRED_PENDING_EXPORT"), nil, 201, ""},
		{"event forbidden", "POST", "/v1/vehicles/" + rec.VIN + "/events", eventsSpec, event("police", "DECLARED"), nil, 403, gateway.EFORBIDDEN},
		{"event out of order", "POST", "/v1/vehicles/" + rec.VIN + "/events", eventsSpec, event("customs", "RELEASED"), nil, 409, gateway.EILLEGALTRANSITION},
		{"event unchecked declaration", "POST", "/v1/vehicles/" + rec.VIN + "/events", eventsSpec, []byte(`{"org":"customs","type":"DECLARED","actor":"c1","declarationNo":"020220260999999999"}`), nil, 404, gateway.ENOTFOUND},
		{"event declaration elsewhere", "POST", "/v1/vehicles/" + rec.VIN + "/events", eventsSpec, []byte(`{"org":"customs","type":"RELEASED","actor":"c1","declarationNo":"020220260999999999"}`), nil, 400, gateway.EINVALID},
		{"verify credit report", "GET", "/v1/verify/credit/" + strings.ToLower(report.VerificationCode), verifyCreditSpec, nil, nil, 200, ""},
		{"credit event", "POST", "/v1/exporters/" + filedExporter + "/credit-events", "/v1/exporters/{uscc}/credit-events", creditEvent("commerce", "E12", "2026-10-01"), nil, 201, ""},
		{"credit event forbidden", "POST", "/v1/exporters/" + filedExporter + "/credit-events", "/v1/exporters/{uscc}/credit-events", creditEvent("police", "E12", "2026-10-01"), nil, 403, gateway.EFORBIDDEN},
		{"credit event unfiled", "POST", "/v1/exporters/91350100M000100Y43/credit-events", "/v1/exporters/{uscc}/credit-events", creditEvent("commerce", "E12", "2026-10-01"), nil, 404, gateway.ENOTFOUND},
		{"credit event bad", "POST", "/v1/exporters/" + filedExporter + "/credit-events", "/v1/exporters/{uscc}/credit-events", creditEvent("commerce", "E99", "2026-10-01"), nil, 400, gateway.EINVALID},
		{"credit", "GET", "/v1/exporters/" + filedExporter + "/credit", "/v1/exporters/{uscc}/credit", nil, nil, 200, ""},
		{"credit unfiled", "GET", "/v1/exporters/91350100M000100Y43/credit", "/v1/exporters/{uscc}/credit", nil, nil, 404, gateway.ENOTFOUND},
		{"credit bad uscc", "GET", "/v1/exporters/x/credit", "/v1/exporters/{uscc}/credit", nil, nil, 400, gateway.EINVALID},
		{"credit codes", "GET", "/v1/credit/codes", "/v1/credit/codes", nil, nil, 200, ""},
		{"objection", "POST", "/v1/exporters/" + filedExporter + "/credit-cases", casesSpec, []byte(`{"kind":"OBJECTION","eventId":"` + filedExporter + `-000000","evidenceHash":"sha256:` + strings.Repeat("1", 64) + `","actor":"rep-1"}`), nil, 201, ""},
		{"objection again", "POST", "/v1/exporters/" + filedExporter + "/credit-cases", casesSpec, []byte(`{"kind":"OBJECTION","eventId":"` + filedExporter + `-000000","evidenceHash":"sha256:` + strings.Repeat("1", 64) + `","actor":"rep-1"}`), nil, 409, gateway.ECONFLICT},
		{"objection bad kind", "POST", "/v1/exporters/" + filedExporter + "/credit-cases", casesSpec, []byte(`{"kind":"APPEAL","eventId":"x","evidenceHash":"x","actor":"a"}`), nil, 400, gateway.EINVALID},
		{"objection unknown event", "POST", "/v1/exporters/" + filedExporter + "/credit-cases", casesSpec, []byte(`{"kind":"OBJECTION","eventId":"` + filedExporter + `-000099","evidenceHash":"sha256:` + strings.Repeat("1", 64) + `","actor":"a"}`), nil, 404, gateway.ENOTFOUND},
		{"review queue", "GET", "/v1/credit/cases?kind=OBJECTION", "/v1/credit/cases", nil, nil, 200, ""},
		{"review queue bad", "GET", "/v1/credit/cases?status=x", "/v1/credit/cases", nil, nil, 400, gateway.EINVALID},
		{"extend case", "POST", "/v1/credit/cases/" + filedExporter + "-C000000/extension", "/v1/credit/cases/{caseId}/extension", []byte(`{"reason":"需补充材料","actor":"r1"}`), nil, 200, ""},
		{"extend case again", "POST", "/v1/credit/cases/" + filedExporter + "-C000000/extension", "/v1/credit/cases/{caseId}/extension", []byte(`{"reason":"again","actor":"r1"}`), nil, 409, gateway.ECONFLICT},
		{"decide case", "POST", "/v1/credit/cases/" + filedExporter + "-C000000/decision", decisionSpec, decision("PARTIAL", 4), nil, 200, ""},
		{"decide case again", "POST", "/v1/credit/cases/" + filedExporter + "-C000000/decision", decisionSpec, decision("UPHELD", 0), nil, 409, gateway.ECONFLICT},
		{"decide unknown case", "POST", "/v1/credit/cases/" + filedExporter + "-C000009/decision", decisionSpec, decision("UPHELD", 0), nil, 404, gateway.ENOTFOUND},
		{"decided queue", "GET", "/v1/credit/cases?status=DECIDED", "/v1/credit/cases", nil, nil, 200, ""},
		{"suspend", "POST", "/v1/exporters/" + filedExporter + "/suspension", "/v1/exporters/{uscc}/suspension", statusBody(), nil, 200, ""},
		{"suspend again", "POST", "/v1/exporters/" + filedExporter + "/suspension", "/v1/exporters/{uscc}/suspension", statusBody(), nil, 409, gateway.ECONFLICT},
		{"credit suspended", "GET", "/v1/exporters/" + filedExporter + "/credit", "/v1/exporters/{uscc}/credit", nil, nil, 200, ""},
		{"reinstate", "POST", "/v1/exporters/" + filedExporter + "/reinstatement", "/v1/exporters/{uscc}/reinstatement", statusBody(), nil, 200, ""},
		{"reinstate unfiled", "POST", "/v1/exporters/91350100M000100Y43/reinstatement", "/v1/exporters/{uscc}/reinstatement", statusBody(), nil, 404, gateway.ENOTFOUND},
		{"credit report", "GET", "/v1/exporters/" + filedExporter + "/credit-report", creditReportSpec, nil, nil, 200, ""},
		{"credit report as JSON", "GET", "/v1/exporters/" + filedExporter + "/credit-report?format=json", creditReportSpec, nil, []string{"Accept", "text/html"}, 200, ""},
		{"credit report bad uscc", "GET", "/v1/exporters/x/credit-report", creditReportSpec, nil, nil, 400, gateway.EINVALID},
		{"credit report bad format", "GET", "/v1/exporters/" + filedExporter + "/credit-report?format=pdf", creditReportSpec, nil, nil, 400, gateway.EINVALID},
		{"credit report unfiled", "GET", "/v1/exporters/91350100M000100Y43/credit-report", creditReportSpec, nil, nil, 404, gateway.ENOTFOUND},
		{"verify credit report changed", "GET", "/v1/verify/credit/" + report.VerificationCode, verifyCreditSpec, nil, nil, 200, ""},
		{"verify credit unknown", "GET", "/v1/verify/credit/ZZZZ-ZZZZ-ZZZZ-ZZZZ", verifyCreditSpec, nil, nil, 404, gateway.ENOTFOUND},
		{"credit report key", "GET", "/v1/keys/credit-report", "/v1/keys/credit-report", nil, nil, 200, ""},
		{"credit list", "GET", "/v1/exporters?grade=B&grade=C&sort=-changedAt&limit=2", "/v1/exporters", nil, nil, 200, ""},
		{"credit list all", "GET", "/v1/exporters", "/v1/exporters", nil, nil, 200, ""},
		{"credit list bad grade", "GET", "/v1/exporters?grade=E", "/v1/exporters", nil, nil, 400, gateway.EINVALID},
		{"credit list bad cursor", "GET", "/v1/exporters?cursor=x", "/v1/exporters", nil, nil, 400, gateway.EINVALID},
		{"event own type", "POST", "/v1/vehicles/" + rec.VIN + "/events", eventsSpec, event("commerce", "FILED"), nil, 400, gateway.EINVALID},
		{"event bad vin", "POST", "/v1/vehicles/LSJA24U6OJG269225/events", eventsSpec, event("customs", "DECLARED"), nil, 400, gateway.EINVALID},
		{"event unknown field", "POST", "/v1/vehicles/" + rec.VIN + "/events", eventsSpec, []byte(`{"org":"customs","type":"DECLARED","actor":"c1","ownerName":"x"}`), nil, 400, gateway.EUNKNOWNFIELD},
		{"event media", "POST", "/v1/vehicles/" + rec.VIN + "/events", eventsSpec, event("customs", "DECLARED"), []string{"Content-Type", "text/plain"}, 415, gateway.EUNSUPPORTEDMEDIA},
		{"trace", "GET", "/v1/vehicles/" + rec.VIN + "/trace?pageSize=1", traceSpec, nil, nil, 200, ""},
		{"trace next page", "GET", "/v1/vehicles/" + rec.VIN + "/trace?pageSize=200&bookmark=1", traceSpec, nil, nil, 200, ""},
		{"trace empty", "GET", "/v1/vehicles/LFV2A21KXG4000018/trace", traceSpec, nil, nil, 200, ""},
		{"trace bad vin", "GET", "/v1/vehicles/LSJA24U6OJG269225/trace", traceSpec, nil, nil, 400, gateway.EINVALID},
		{"trace bad page size", "GET", "/v1/vehicles/" + rec.VIN + "/trace?pageSize=201", traceSpec, nil, nil, 400, gateway.EINVALID},
		{"trace bad bookmark", "GET", "/v1/vehicles/" + rec.VIN + "/trace?bookmark=x", traceSpec, nil, nil, 400, gateway.EINVALID},
		{"issue licence", "POST", "/v1/licences", "/v1/licences", licence, nil, 201, ""},
		{"issue licence again", "POST", "/v1/licences", "/v1/licences", licence, nil, 409, gateway.ECONFLICT},
		{"issue licence invalid", "POST", "/v1/licences", "/v1/licences", []byte(`{"licenceNo":"26-AB-000902","lines":[]}`), nil, 400, gateway.EINVALID},
		{"issue licence unknown field", "POST", "/v1/licences", "/v1/licences", []byte(`{"licenceNo":"26-AB-000902","holderName":"x"}`), nil, 400, gateway.EUNKNOWNFIELD},
		{"get licence", "GET", "/v1/licences/" + licenceNo, licenceSpec, nil, nil, 200, ""},
		{"no licence", "GET", "/v1/licences/26-AB-999999", licenceSpec, nil, nil, 404, gateway.ENOTFOUND},
		{"bad licence no", "GET", "/v1/licences/26-ab-1", licenceSpec, nil, nil, 400, gateway.EINVALID},
		{"revoke licence", "POST", "/v1/licences/" + licenceNo + "/revocation", revokeSpec, revocation, nil, 200, ""},
		{"revoke licence again", "POST", "/v1/licences/" + licenceNo + "/revocation", revokeSpec, revocation, nil, 409, gateway.ECONFLICT},
		{"revoke no licence", "POST", "/v1/licences/26-AB-999999/revocation", revokeSpec, revocation, nil, 404, gateway.ENOTFOUND},
		{"revoke bad reason", "POST", "/v1/licences/" + licenceNo + "/revocation", revokeSpec, []byte(`{"reasonCode":"changed my mind","actor":"c2"}`), nil, 400, gateway.EINVALID},
		{"licence trace", "GET", "/v1/vehicles/" + licenceVIN + "/trace", traceSpec, nil, nil, 200, ""},
		{"audit", "GET", "/v1/audit", "/v1/audit", nil, nil, 200, ""},
		{"audit filtered", "GET", "/v1/audit?action=READ_CREDIT&resource=exporter:" + filedExporter + "&limit=1", "/v1/audit", nil, nil, 200, ""},
		{"audit bad limit", "GET", "/v1/audit?limit=501", "/v1/audit", nil, nil, 400, gateway.EINVALID},
		{"audit bad action", "GET", "/v1/audit?action=READ", "/v1/audit", nil, nil, 400, gateway.EINVALID},
		{"audit unknown parameter", "GET", "/v1/audit?role=police", "/v1/audit", nil, nil, 400, gateway.EINVALID},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			v.t = t
			w := srv.do(c.method, c.target, c.body, c.headers...)
			require.Equal(t, c.status, w.Code, w.Body.String())
			if c.code != "" {
				var env struct {
					Error struct {
						Code string `json:"code"`
					} `json:"error"`
				}
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env))
				assert.Equal(t, c.code, env.Error.Code)
			}
			if c.name == "replay" {
				assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
				var a, b struct {
					FilingID string `json:"filingId"`
				}
				require.NoError(t, json.Unmarshal(created.Body.Bytes(), &a))
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &b))
				assert.Equal(t, a.FilingID, b.FilingID, "a replay answers the filing the key created")
			}
			checkLedgerAnswer(t, c.name, w.Body.Bytes(), rec)
			checkCreditReportAnswer(t, v, c.name, w.Body.Bytes())
			v.response(c.method, c.specPath, w.Code, w.Header(), w.Body.Bytes())
		})
	}
}

// checkLedgerAnswer checks what the schemas cannot: that the answers of the ledger routes say
// what TestOpenAPIResponsesMatchSchemas asked for.
func checkLedgerAnswer(t *testing.T, name string, body []byte, rec gateway.FilingRecord) {
	t.Helper()
	switch name {
	case "replay", "get filing", "file anchored":
		var r gateway.FilingRecord
		require.NoError(t, json.Unmarshal(body, &r))
		if assert.NotNil(t, r.Receipt) {
			assert.Equal(t, gateway.ReceiptCommitted, r.Receipt.Status, "embedded filings are answered once anchored")
		}
	case "document":
		sum := sha256.Sum256(body)
		assert.Equal(t, rec.DocHash, "sha256:"+hex.EncodeToString(sum[:]), "the document is the one docHash names")
	case "masked document":
		var f gateway.Filing
		require.NoError(t, json.Unmarshal(body, &f))
		require.NotNil(t, f.PreviousOwner)
		assert.Equal(t, "650102********3428", f.PreviousOwner.IDNumber, "a caller without a principal sees masks")
	case "audit", "audit filtered":
		var p struct {
			Entries []gateway.AuditEntry       `json:"entries"`
			Next    uint64                     `json:"next"`
			Chain   *gateway.AuditVerification `json:"chain"`
		}
		require.NoError(t, json.Unmarshal(body, &p))
		require.NotEmpty(t, p.Entries, "the credit reads before are audited")
		require.NotNil(t, p.Chain)
		assert.True(t, p.Chain.Verified)
		if name == "audit filtered" {
			assert.Len(t, p.Entries, 1)
			assert.Equal(t, "exporter:"+filedExporter, p.Entries[0].Resource)
			assert.Equal(t, p.Entries[0].Seq, p.Next, "more entries follow")
		}
	case "trace", "trace next page", "trace empty", "licence trace":
		var p gateway.TracePage
		require.NoError(t, json.Unmarshal(body, &p))
		var types []string
		for _, e := range p.Events {
			types = append(types, e.Type)
		}
		switch name {
		case "trace":
			assert.Equal(t, []string{"FILED"}, types)
			assert.Equal(t, "1", p.NextBookmark)
			assert.Greater(t, p.Total, 1)
		case "trace next page":
			assert.Contains(t, types, "TRANSFERRED_PENDING_EXPORT")
			assert.Empty(t, p.NextBookmark)
		case "trace empty":
			assert.Zero(t, p.Total)
			assert.NotNil(t, p.Events)
		case "licence trace":
			assert.Equal(t, []string{"LICENCE_ISSUED", "LICENCE_REVOKED"}, types)
		}
	case "credit list":
		var p struct {
			Exporters []struct {
				USCC      string  `json:"uscc"`
				ChangedAt *string `json:"changedAt"`
			} `json:"exporters"`
			Next string `json:"next"`
		}
		require.NoError(t, json.Unmarshal(body, &p))
		require.Len(t, p.Exporters, 2)
		assert.Equal(t, filedExporter, p.Exporters[0].USCC, "the exporter whose credit changed last comes first")
		assert.NotNil(t, p.Exporters[0].ChangedAt)
		assert.NotEmpty(t, p.Next)
	case "issue licence", "get licence", "revoke licence":
		var r struct {
			Licence gateway.Licence  `json:"licence"`
			Receipt *gateway.Receipt `json:"receipt"`
		}
		require.NoError(t, json.Unmarshal(body, &r))
		want := map[string]string{"issue licence": "ISSUED", "get licence": "ISSUED", "revoke licence": "REVOKED"}[name]
		assert.Equal(t, want, r.Licence.Status)
		assert.Equal(t, name != "get licence", r.Receipt != nil, "writes carry a receipt, reads none")
	}
}

// checkCreditReportAnswer checks the credit reports inside the answers against their schema
// and what TestOpenAPIResponsesMatchSchemas asked for: the report verified before the credit
// event is current, after it not.
func checkCreditReportAnswer(t *testing.T, v *specValidator, name string, body []byte) {
	t.Helper()
	switch name {
	case "credit report", "credit report as JSON":
		v.validate("/components/schemas/CreditReport", body)
	case "verify credit report", "verify credit report changed":
		var r struct {
			SignatureValid bool              `json:"signatureValid"`
			Current        bool              `json:"current"`
			Changes        []json.RawMessage `json:"changes"`
			Report         json.RawMessage   `json:"report"`
		}
		require.NoError(t, json.Unmarshal(body, &r))
		assert.True(t, r.SignatureValid)
		assert.Equal(t, name == "verify credit report", r.Current)
		assert.Equal(t, name == "verify credit report", len(r.Changes) == 0)
		v.validate("/components/schemas/CreditReport", r.Report)
	}
}

// TestOpenAPITamperedDocument edits a stored document behind the gateway's back and checks
// that both filing reads answer the documented 409 DOC_TAMPERED.
func TestOpenAPITamperedDocument(t *testing.T) {
	dir := t.TempDir()
	s := openTestServer(t, dir)
	w := s.post("/v1/filings", fixture(t, "clean-m1-kz"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var rec gateway.FilingRecord
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &rec))
	require.NoError(t, s.store.Close())
	require.NoError(t, s.ledger.Close())

	db, err := bolt.Open(filepath.Join(dir, "ucx.db"), 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("documents"))
		require.NotNil(t, b)
		doc := b.Get([]byte(rec.DocHash))
		require.NotNil(t, doc)
		return b.Put([]byte(rec.DocHash), append(bytes.TrimSuffix(bytes.Clone(doc), []byte("}")), []byte(`,"x":1}`)...))
	}))
	require.NoError(t, db.Close())

	s2 := openTestServer(t, dir)
	v := newSpecValidator(t)
	for target, specPath := range map[string]string{
		"/v1/filings/" + rec.FilingID:               "/v1/filings/{id}",
		"/v1/filings/" + rec.FilingID + "/document": "/v1/filings/{id}/document",
	} {
		g := s2.do(http.MethodGet, target, nil)
		require.Equal(t, http.StatusConflict, g.Code, g.Body.String())
		code, _ := errorOf(t, g.Body.Bytes())
		assert.Equal(t, gateway.EDOCTAMPERED, code)
		v.response(http.MethodGet, specPath, g.Code, g.Header(), g.Body.Bytes())
	}
}

// TestOpenAPIEventTypes checks the event types of the spec against the chaincode: the
// EventPoster table (read from its source, so that a type added there is missed here) and the
// contract's answers.
func TestOpenAPIEventTypes(t *testing.T) {
	spec := loadSpec(t)
	schemasObj := obj(t, obj(t, spec, "components"), "schemas")
	reqType := obj(t, obj(t, obj(t, schemasObj, "EventRequest"), "properties"), "type")
	postedBy := obj(t, reqType, "x-posted-by")

	// The chaincode's table, from chaincode/*.go: type -> MSP ID.
	mspOf := map[string]string{"MSPCommerce": chaincode.MSPCommerce, "MSPCustoms": chaincode.MSPCustoms, "MSPPolice": chaincode.MSPPolice}
	table := map[string]string{}
	files, err := filepath.Glob(filepath.Join("..", "..", "chaincode", "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "eventPoster" || len(vs.Values) != 1 {
				return true
			}
			lit, ok := vs.Values[0].(*ast.CompositeLit)
			require.True(t, ok, "eventPoster is not a map literal")
			for _, el := range lit.Elts {
				kv := el.(*ast.KeyValueExpr)
				key, err := strconv.Unquote(kv.Key.(*ast.BasicLit).Value)
				require.NoError(t, err)
				msp, ok := mspOf[kv.Value.(*ast.Ident).Name]
				require.True(t, ok, "eventPoster[%s] is not an MSP constant", key)
				table[key] = msp
			}
			return false
		})
	}
	require.NotEmpty(t, table, "chaincode/*.go declares no eventPoster table")

	got := map[string]string{}
	for typ, org := range postedBy {
		got[typ] = gateway.MSPID(org.(string))
		msp, ok := chaincode.EventPoster(typ)
		assert.True(t, ok, "the chaincode refuses event type %s", typ)
		assert.Equal(t, msp, got[typ], "who may post %s", typ)
	}
	assert.Equal(t, table, got, "x-posted-by differs from the chaincode's eventPoster table")

	var enum []string
	for _, e := range reqType["enum"].([]any) {
		enum = append(enum, e.(string))
	}
	assert.ElementsMatch(t, slices.Collect(maps.Keys(table)), enum, "EventRequest.type enum")
	for _, own := range []string{chaincode.EventFiled, chaincode.EventLicenceIssued, chaincode.EventLicenceRevoked} {
		_, ok := chaincode.EventPoster(own)
		assert.False(t, ok, "%s is written only by its own function", own)
		enum = append(enum, own)
	}
	traceType := obj(t, obj(t, obj(t, schemasObj, "TraceEvent"), "properties"), "type")
	var traceEnum []string
	for _, e := range traceType["enum"].([]any) {
		traceEnum = append(traceEnum, e.(string))
	}
	assert.ElementsMatch(t, enum, traceEnum, "TraceEvent.type enum")

	// The route's description lists each type under the organisation that may post it.
	desc, _ := operations(t, spec)["POST /v1/vehicles/{vin}/events"]["description"].(string)
	for _, line := range strings.Split(desc, "\n") {
		org, rest, ok := strings.Cut(strings.TrimPrefix(line, "- `"), "`")
		if !ok || !strings.HasPrefix(line, "- `") || gateway.MSPID(org) == "" {
			continue
		}
		for typ, msp := range table {
			if msp == gateway.MSPID(org) {
				assert.Contains(t, rest, "`"+typ+"`", "the events route lists %s under %s", typ, org)
			} else {
				assert.NotContains(t, rest, "`"+typ+"`", "the events route lists %s under %s", typ, org)
			}
		}
		delete(mspOf, map[string]string{"commerce": "MSPCommerce", "customs": "MSPCustoms", "police": "MSPPolice"}[org])
	}
	assert.Empty(t, mspOf, "the events route description lacks a line per organisation")
}

// TestOpenAPIExamples validates every example of the spec against the schema beside it.
func TestOpenAPIExamples(t *testing.T) {
	v := newSpecValidator(t)
	count := 0
	walk(v.spec, "", func(at string, node map[string]any) {
		ex, ok := node["example"]
		if !ok {
			return
		}
		var schemaPtr string
		switch {
		case node["schema"] != nil: // a media type or parameter object
			schemaPtr = at + "/schema"
		case strings.HasPrefix(at, "/components/schemas/") || strings.Contains(at, "/schema"): // a schema
			schemaPtr = at
		default:
			return
		}
		data, err := json.Marshal(ex)
		require.NoError(t, err)
		v.validate(schemaPtr, data)
		count++
	})
	assert.Greater(t, count, 5)
}
