package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/compliance"
	"github.com/ucx-export/ucx/gateway/httpapi"
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
			v.response(c.method, c.specPath, w.Code, w.Header(), w.Body.Bytes())
		})
	}
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
