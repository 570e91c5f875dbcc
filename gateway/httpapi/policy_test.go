package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/httpapi"
)

// want is the access matrix as a reader checks it: for every route, "public" or the roles
// that may call it (e = exporter, i = inspector, p = police, c = customs, m = commerce
// (商务), a = admin). TestPolicyTable holds the code's table to it, so a change to who may do
// what shows in review twice.
var want = map[string]string{
	"GET /healthz": "public", "GET /readyz": "public", "GET /openapi.json": "public",
	"GET /v1/verify/vehicles/:code": "public", "GET /verify/vehicles/:code": "public",
	"GET /v1/verify/credit/:code": "public", "GET /verify/credit/:code": "public",
	"GET /v1/keys/credit-report": "public", "GET /v1/receipts/:txId": "public",

	"GET /v1/vins/:vin": "eipcma", "GET /v1/usccs/:code": "eipcma", "GET /v1/rulesets": "eipcma", "GET /v1/credit/codes": "eipcma",

	"POST /v1/filings": "e", "POST /v1/filing-batches": "e",
	"GET /v1/filings/:id": "epcm", "GET /v1/filings/:id/document": "epcm", "GET /v1/vehicles/:vin/trace": "epcm",
	"POST /v1/vehicles/:vin/events": "pcm",
	"POST /v1/inspection-reports":   "i", "GET /v1/inspection-reports/:agency/:no": "ipcm",
	"POST /v1/customs/clearances": "c", "GET /v1/customs/clearances/:no": "pcm",
	"GET /v1/deadlines": "pcm",
	"POST /v1/licences": "m", "GET /v1/licences/:no": "epcm", "POST /v1/licences/:no/revocation": "m",

	"GET /v1/exporters": "pcm", "GET /v1/exporters/:uscc/credit": "epcm", "GET /v1/exporters/:uscc/credit-report": "em",
	"POST /v1/exporters/:uscc/credit-events": "pcm", "POST /v1/exporters/:uscc/credit-cases": "e",
	"GET /v1/credit/cases": "m", "POST /v1/credit/cases/:caseId/extension": "m", "POST /v1/credit/cases/:caseId/decision": "m",
	"POST /v1/exporters/:uscc/suspension": "m", "POST /v1/exporters/:uscc/reinstatement": "m",
	"GET /v1/credit/changes":          "pcma",
	"POST /v1/webhooks/subscriptions": "pcma", "GET /v1/webhooks/subscriptions": "pcma",
	"GET /v1/webhooks/subscriptions/:id": "pcma", "DELETE /v1/webhooks/subscriptions/:id": "pcma",
	"GET /v1/webhooks/subscriptions/:id/dead-letters":                      "pcma",
	"POST /v1/webhooks/subscriptions/:id/dead-letters/:eventId/redelivery": "pcma",
	"GET /v1/audit": "ma",
}

var roleLetter = map[gateway.Role]string{gateway.RoleExporter: "e", gateway.RoleInspector: "i", gateway.RolePolice: "p",
	gateway.RoleCustoms: "c", gateway.RoleCommerce: "m", gateway.RoleAdmin: "a"}

// principalFor is a caller of each role: the exporter and the inspection agency of the
// fixtures, the agencies by their role.
func principalFor(r gateway.Role) *gateway.Principal {
	org := map[gateway.Role]string{gateway.RoleExporter: filedExporter, gateway.RoleInspector: "91110108MA01C2XK5E"}[r]
	if org == "" {
		org = string(r)
	}
	return &gateway.Principal{Subject: string(r) + "-user-1", Role: r, Org: org}
}

// TestPolicyCoversRoutes: every registered route is in the access matrix and the matrix
// names no route that is not registered. A new route without a policy fails here.
func TestPolicyCoversRoutes(t *testing.T) {
	s := newTestServer(t)
	var routes []string
	for _, r := range s.api.Routes() {
		routes = append(routes, r[0]+" "+r[1])
	}
	for _, r := range routes {
		_, ok := want[r]
		assert.True(t, ok, "route %s has no access policy", r)
	}
	for r := range want {
		assert.True(t, slices.Contains(routes, r), "the policy names %s, which is not a route", r)
	}
	assert.Equal(t, len(want), len(httpapi.PolicyRoutes()), "the code's table and the matrix list the same routes")
}

// TestPolicyTable: every route × every role, through HTTP, with the caller in the request:
// a role the matrix does not list is 403 EFORBIDDEN before anything runs; a listed role gets
// past the policy (whatever the handler then answers); public routes need no caller.
func TestPolicyTable(t *testing.T) {
	s := newTestServer(t)
	fill := strings.NewReplacer(":code", "ABCD", ":vin", "LSJA24U62JG269225", ":id", "F1", ":agency", "91110108MA01C2XK5E",
		":no", "1", ":txId", "ab", ":uscc", filedExporter, ":caseId", filedExporter+"-C000000", ":eventId", "credit-change-1")
	for _, r := range s.api.Routes() {
		method, path := r[0], r[1]
		rule := want[method+" "+path]
		target := fill.Replace(path)
		for _, role := range gateway.Roles {
			w := s.doAs(principalFor(role), method, target, []byte(`{}`))
			refused := w.Code == http.StatusForbidden && strings.Contains(w.Body.String(), "may not call")
			mayCall := rule == "public" || strings.Contains(rule, roleLetter[role])
			assert.Equal(t, !mayCall, refused, "%s %s as %s: %d %s", method, path, role, w.Code, w.Body.String())
			if refused {
				var env struct {
					Error struct {
						Code      string `json:"code"`
						MessageZh string `json:"messageZh"`
					} `json:"error"`
				}
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env))
				assert.Equal(t, gateway.EFORBIDDEN, env.Error.Code)
				assert.NotEmpty(t, env.Error.MessageZh)
			}
		}
		if rule == "public" {
			w := s.do(method, target, nil)
			assert.NotEqual(t, http.StatusForbidden, w.Code, "%s %s needs no caller", method, path)
		}
	}
}

// TestScoping: an exporter acts for itself only. Another exporter's filing, document,
// vehicle, credit and credit report answer 404 as if absent; filing for another exporter is
// 403 and stores nothing; Idempotency-Keys are each exporter's own; agencies act as their
// role's organisation and as the token's subject.
func TestScoping(t *testing.T) {
	s := newTestServer(t)
	mine := principalFor(gateway.RoleExporter) // filedExporter
	other := &gateway.Principal{Subject: "rep-2", Role: gateway.RoleExporter, Org: "91120116MA07BN4C2G"}
	police := principalFor(gateway.RolePolice)
	doc := fixture(t, "clean-m1-porsche-reexport-check-digit-warn") // exporter filedExporter

	w := s.doAs(other, http.MethodPost, "/v1/filings", doc, "Idempotency-Key", "k1")
	assert.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
	assert.Equal(t, gateway.EFORBIDDEN, errCode(t, w))
	w = s.doAs(other, http.MethodPost, "/v1/filing-batches", []byte(`{"filings":[`+string(doc)+`]}`))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), gateway.EFORBIDDEN, "a batch row of another exporter is refused")

	w = s.doAs(mine, http.MethodPost, "/v1/filings", doc, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	rec := decodeBody(t, w)
	id, vin := rec["filingId"].(string), rec["vin"].(string)
	w = s.doAs(other, http.MethodPost, "/v1/filings", doc, "Idempotency-Key", "k1")
	assert.Equal(t, http.StatusForbidden, w.Code, "another exporter's key is not replayed to it: %s", w.Body.String())

	for _, path := range []string{"/v1/filings/" + id, "/v1/filings/" + id + "/document", "/v1/vehicles/" + vin + "/trace",
		"/v1/exporters/" + filedExporter + "/credit", "/v1/exporters/" + filedExporter + "/credit-report"} {
		assert.Equal(t, http.StatusOK, s.doAs(mine, http.MethodGet, path, nil).Code, "own: %s", path)
		w := s.doAs(other, http.MethodGet, path, nil)
		assert.Equal(t, http.StatusNotFound, w.Code, "another's: %s", path)
		assert.Equal(t, gateway.ENOTFOUND, errCode(t, w), path)
		assert.Equal(t, http.StatusOK, s.doAs(police, http.MethodGet, strings.Replace(path, "/credit-report", "/credit", 1), nil).Code, "agencies see all: %s", path)
	}
	w = s.doAs(other, http.MethodPost, "/v1/exporters/"+filedExporter+"/credit-cases",
		[]byte(`{"kind":"OBJECTION","eventId":"`+filedExporter+`-000000","evidenceHash":"sha256:`+strings.Repeat("1", 64)+`"}`))
	assert.Equal(t, http.StatusNotFound, w.Code, w.Body.String())

	inspector := principalFor(gateway.RoleInspector)
	w = s.doAs(inspector, http.MethodGet, "/v1/inspection-reports/91110108MA01C2XK5F/R1", nil)
	assert.Equal(t, http.StatusNotFound, w.Code, "another agency's report")

	// Agencies: the body's org and actor, when given, must be the caller's.
	event := func(org, actor string) []byte {
		return []byte(`{"org":"` + org + `","type":"TRANSFERRED_PENDING_EXPORT","evidenceHash":"sha256:` + strings.Repeat("2", 64) + `","actor":"` + actor + `"}`)
	}
	w = s.doAs(police, http.MethodPost, "/v1/vehicles/"+vin+"/events", event("customs", police.Subject))
	assert.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
	w = s.doAs(police, http.MethodPost, "/v1/vehicles/"+vin+"/events", event("police", "someone-else"))
	assert.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
	w = s.doAs(police, http.MethodPost, "/v1/vehicles/"+vin+"/events",
		[]byte(`{"type":"TRANSFERRED_PENDING_EXPORT","evidenceHash":"sha256:`+strings.Repeat("2", 64)+`","tempPlateValidUntil":"2026-12-20"}`))
	require.Equal(t, http.StatusCreated, w.Code, "org and actor from the token: %s", w.Body.String())
	ev := decodeBody(t, w)
	assert.Equal(t, police.Subject, ev["actor"])
	assert.Equal(t, gateway.MSPPolice, ev["mspId"])
}

// TestSubscriptionScoping: an agency manages its own webhook subscriptions; another agency's
// answer 404; admin sees them all.
func TestSubscriptionScoping(t *testing.T) {
	s := newTestServer(t)
	police, customs, admin := principalFor(gateway.RolePolice), principalFor(gateway.RoleCustoms), principalFor(gateway.RoleAdmin)
	w := s.doAs(police, http.MethodPost, "/v1/webhooks/subscriptions", []byte(`{"url":"https://police.example/ucx"}`))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	sub := decodeBody(t, w)
	assert.Equal(t, "police", sub["org"])
	id := sub["id"].(string)
	assert.Equal(t, http.StatusForbidden, s.doAs(police, http.MethodPost, "/v1/webhooks/subscriptions", []byte(`{"org":"customs","url":"https://x.example/"}`)).Code)
	for _, path := range []string{"/v1/webhooks/subscriptions/" + id, "/v1/webhooks/subscriptions/" + id + "/dead-letters"} {
		assert.Equal(t, http.StatusNotFound, s.doAs(customs, http.MethodGet, path, nil).Code, path)
		assert.Equal(t, http.StatusOK, s.doAs(police, http.MethodGet, path, nil).Code, path)
		assert.Equal(t, http.StatusOK, s.doAs(admin, http.MethodGet, path, nil).Code, path)
	}
	assert.Equal(t, http.StatusNotFound, s.doAs(customs, http.MethodDelete, "/v1/webhooks/subscriptions/"+id, nil).Code)
	w = s.doAs(customs, http.MethodGet, "/v1/webhooks/subscriptions", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.NotContains(t, w.Body.String(), id, "customs lists its own only")
	assert.Equal(t, http.StatusForbidden, s.doAs(customs, http.MethodGet, "/v1/webhooks/subscriptions?org=police", nil).Code)
	w = s.doAs(admin, http.MethodGet, "/v1/webhooks/subscriptions", nil)
	assert.Contains(t, w.Body.String(), id)
}

// TestPolicyInOpenAPI: the API description says who may call each operation (x-roles) and
// which need no token (security: []), as the table decides.
func TestPolicyInOpenAPI(t *testing.T) {
	var spec struct {
		Paths map[string]map[string]struct {
			Security *[]any   `json:"security"`
			Roles    []string `json:"x-roles"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(httpapi.OpenAPI, &spec))
	toOpenAPI := strings.NewReplacer(":code", "{code}", ":vin", "{vin}", ":id", "{id}", ":agency", "{agency}", ":no", "{no}",
		":txId", "{txId}", ":uscc", "{uscc}", ":caseId", "{caseId}", ":eventId", "{eventId}")
	for route, rule := range want {
		method, path, _ := strings.Cut(route, " ")
		op, ok := spec.Paths[toOpenAPI.Replace(path)][strings.ToLower(method)]
		require.True(t, ok, route)
		if rule == "public" {
			assert.Equal(t, []string{"public"}, op.Roles, route)
			if assert.NotNil(t, op.Security, "%s: security: [] (no token)", route) {
				assert.Empty(t, *op.Security, route)
			}
			continue
		}
		assert.Nil(t, op.Security, "%s: the global bearer requirement", route)
		var letters string
		for _, r := range op.Roles {
			letters += roleLetter[gateway.Role(r)]
		}
		assert.Equal(t, rule, letters, "%s: x-roles", route)
	}
}
