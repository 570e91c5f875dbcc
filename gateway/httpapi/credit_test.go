package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/exporters"
)

const filedExporter = "91440300MA5GK7R3DQ" // fixtures/agencies/exporters.json, filed 2024-05-20

func creditOf(t *testing.T, s *testServer, uscc string) map[string]any {
	t.Helper()
	w := s.do(http.MethodGet, "/v1/exporters/"+uscc+"/credit", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var m map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m))
	return m
}

func creditEvent(org, code, occurred string) []byte {
	return fmt.Appendf(nil, `{"org":%q,"code":%q,"occurredAt":%q,"evidenceHash":"sha256:%064x","ref":"26-GD-000001","actor":"officer-9"}`, org, code, occurred, 9)
}

// TestCreditRecordAndExplain: an agency records events; the exporter's credit shows the
// score, the grade and each event's weight today, and refusals change nothing.
func TestCreditRecordAndExplain(t *testing.T) {
	s := newTestServer(t)
	c := creditOf(t, s, filedExporter)
	assert.EqualValues(t, 80, c["score"])
	assert.Equal(t, "B", c["grade"])
	assert.Equal(t, "2026-11-26", c["asOf"])
	assert.Empty(t, c["events"])

	w := s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E12", "2026-10-01"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var ev map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ev))
	assert.Equal(t, "MANUAL", ev["source"])
	assert.Equal(t, "CommerceMSP", ev["mspId"])
	assert.NotNil(t, ev["receipt"])

	// An older talk, half-weighted after 6 months.
	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E12", "2026-03-01")).Code)
	c = creditOf(t, s, filedExporter)
	assert.EqualValues(t, 65, c["score"], "80 − 10 − 5")
	assert.Equal(t, "C", c["grade"])
	events := c["events"].([]any)
	require.Len(t, events, 2)
	first := events[0].(map[string]any)
	assert.Equal(t, "2026-03-01", first["occurredAt"], "oldest first")
	assert.EqualValues(t, -5, first["weight"])
	assert.EqualValues(t, 0.5, first["factor"])
	assert.Equal(t, "Regulator talk (约谈)", first["nameEn"])
	assert.Equal(t, "general", first["tier"])

	for name, tc := range map[string]struct {
		path   string
		body   []byte
		status int
		code   string
	}{
		"another agency's code": {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("customs", "E12", "2026-10-01"), 403, "EFORBIDDEN"},
		"unknown code":          {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("commerce", "E99", "2026-10-01"), 400, "EINVALID"},
		"future":                {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("commerce", "E12", "2099-01-01"), 400, "EINVALID"},
		"bad date":              {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("commerce", "E12", "2026-13-01"), 400, "EINVALID"},
		"bad org":               {"/v1/exporters/" + filedExporter + "/credit-events", creditEvent("tax", "E12", "2026-10-01"), 400, "EINVALID"},
		"malformed USCC":        {"/v1/exporters/91440300MA5GK7R3DI/credit-events", creditEvent("commerce", "E12", "2026-10-01"), 400, "EINVALID"},
		"not filed":             {"/v1/exporters/91350100M000100Y43/credit-events", creditEvent("commerce", "E12", "2026-10-01"), 404, "ENOTFOUND"},
		"unknown field":         {"/v1/exporters/" + filedExporter + "/credit-events", []byte(`{"org":"commerce","points":-50}`), 400, "UNKNOWN_FIELD"},
	} {
		w := s.post(tc.path, tc.body)
		assert.Equal(t, tc.status, w.Code, "%s: %s", name, w.Body.String())
		var env struct {
			Error struct {
				Code      string `json:"code"`
				MessageZh string `json:"messageZh"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), name)
		assert.Equal(t, tc.code, env.Error.Code, name)
		assert.NotEmpty(t, env.Error.MessageZh, name)
	}
	assert.Equal(t, c, creditOf(t, s, filedExporter), "refusals changed nothing")

	// A police-confirmed prohibited vehicle makes the grade D whatever the score.
	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("police", "E01", "2026-11-20")).Code)
	assert.Equal(t, "D", creditOf(t, s, filedExporter)["grade"])

	assert.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/v1/exporters/91350100M000100Y43/credit", nil).Code)
	assert.Equal(t, http.StatusBadRequest, s.do(http.MethodGet, "/v1/exporters/nope/credit", nil).Code)
	codes := s.do(http.MethodGet, "/v1/credit/codes", nil)
	require.Equal(t, http.StatusOK, codes.Code)
	assert.Contains(t, codes.Body.String(), `"version":"ucx-credit-2026.1"`)
}

// TestCreditGradeInFilings: the grade applies to filings checked after it changes — C holds
// them for review, D refuses them; earlier decisions stay as they were.
func TestCreditGradeInFilings(t *testing.T) {
	s := newTestServer(t)
	doc, err := fixtures.FS.ReadFile("filings/clean-m1-porsche-reexport-check-digit-warn.json") // exporter filedExporter
	require.NoError(t, err)
	check := func() (string, []string) {
		w := s.post("/v1/filings?dryRun=true", doc)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var r struct {
			Decision string `json:"decision"`
			Results  []struct {
				Code string `json:"code"`
			} `json:"results"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &r))
		var codes []string
		for _, x := range r.Results {
			codes = append(codes, x.Code)
		}
		return r.Decision, codes
	}
	decision, _ := check()
	require.Equal(t, "ACCEPTED", decision)
	stored := s.post("/v1/filings", doc)
	require.Equal(t, http.StatusCreated, stored.Code, stored.Body.String())

	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E12", "2026-11-01")).Code)
	decision, codes := check()
	assert.Equal(t, "HELD", decision, "grade C")
	assert.Contains(t, codes, "CREDIT_REVIEW")

	require.Equal(t, http.StatusCreated, s.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E07", "2026-11-02")).Code)
	decision, codes = check()
	assert.Equal(t, "REJECTED", decision, "grade D")
	assert.Contains(t, codes, "EXPORTER_SUSPENDED")

	var rec map[string]any
	require.NoError(t, json.Unmarshal(stored.Body.Bytes(), &rec))
	w := s.do(http.MethodGet, "/v1/filings/"+rec["filingId"].(string), nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `"decision":"ACCEPTED"`, "not retroactive")
}

// errCode is the error envelope's code of a response.
func errCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var env struct {
		Error struct {
			Code      string `json:"code"`
			MessageZh string `json:"messageZh"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), w.Body.String())
	assert.NotEmpty(t, env.Error.MessageZh)
	return env.Error.Code
}

// TestCreditObjectionRepairSuspension: an exporter objects to an event and commerce upholds
// it (the grade recovers, the event stays as REVOKED); a repair before its waiting period is
// refused; a suspension makes the grade D and refuses filings until reinstatement.
func TestCreditObjectionRepairSuspension(t *testing.T) {
	s := newTestServer(t)
	base := "/v1/exporters/" + filedExporter
	w := s.post(base+"/credit-events", creditEvent("commerce", "E12", "2026-10-01"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	eventID := decodeBody(t, w)["id"].(string)
	first := creditOf(t, s, filedExporter)
	require.Equal(t, "C", first["grade"])
	published := first["published"].(map[string]any)
	assert.Equal(t, "C", published["grade"], "the change is published to the agencies")
	assert.EqualValues(t, 70, published["score"])

	objection := fmt.Appendf(nil, `{"kind":"OBJECTION","eventId":%q,"evidenceHash":"sha256:%064x","actor":"exporter-rep-1"}`, eventID, 1)
	w = s.post(base+"/credit-cases", objection)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	cs := decodeBody(t, w)
	caseID := cs["id"].(string)
	assert.Equal(t, "OPEN", cs["status"])
	assert.NotEmpty(t, cs["dueAt"])
	c := creditOf(t, s, filedExporter)
	assert.Equal(t, "DISPUTED", c["events"].([]any)[0].(map[string]any)["status"])
	assert.EqualValues(t, 70, c["score"], "a disputed event still counts")

	for name, tc := range map[string]struct {
		path   string
		body   []byte
		status int
		code   string
	}{
		"second case":        {base + "/credit-cases", objection, 409, "ECONFLICT"},
		"another's event":    {"/v1/exporters/91120116MA07BN4C2G/credit-cases", objection, 404, "ENOTFOUND"},
		"bad kind":           {base + "/credit-cases", []byte(`{"kind":"APPEAL","eventId":"x","evidenceHash":"x","actor":"a"}`), 400, "EINVALID"},
		"unknown field":      {base + "/credit-cases", []byte(`{"kind":"OBJECTION","grade":"A"}`), 400, "UNKNOWN_FIELD"},
		"partial too high":   {"/v1/credit/cases/" + caseID + "/decision", decision("PARTIAL", 10), 400, "EINVALID"},
		"unknown case":       {"/v1/credit/cases/" + filedExporter + "-C000009/decision", decision("UPHELD", 0), 404, "ENOTFOUND"},
		"bad outcome":        {"/v1/credit/cases/" + caseID + "/decision", decision("MAYBE", 0), 400, "EINVALID"},
		"reinstate active":   {base + "/reinstatement", statusBody(), 409, "ECONFLICT"},
		"suspend not filed":  {"/v1/exporters/91350100M000100Y43/suspension", statusBody(), 404, "ENOTFOUND"},
		"suspend bad reason": {base + "/suspension", []byte(`{"reason":"","evidenceHash":"sha256:` + fmt.Sprintf("%064x", 2) + `","actor":"o"}`), 400, "EINVALID"},
	} {
		w := s.post(tc.path, tc.body)
		assert.Equal(t, tc.status, w.Code, "%s: %s", name, w.Body.String())
		assert.Equal(t, tc.code, errCode(t, w), name)
	}
	assert.Equal(t, c, creditOf(t, s, filedExporter), "refusals changed nothing")

	w = s.post("/v1/credit/cases/"+caseID+"/extension", []byte(`{"reason":"需调取约谈记录 / minutes requested","actor":"reviewer-1"}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.NotEqual(t, cs["dueAt"], decodeBody(t, w)["dueAt"], "extended by 15 working days")
	w = s.post("/v1/credit/cases/"+caseID+"/decision", decision("UPHELD", 0))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "REVOKED", decodeBody(t, w)["decision"].(map[string]any)["eventStatus"])
	c = creditOf(t, s, filedExporter)
	assert.EqualValues(t, 80, c["score"])
	assert.Equal(t, "B", c["grade"])
	ev := c["events"].([]any)[0].(map[string]any)
	assert.Equal(t, "REVOKED", ev["status"], "kept for the audit trail")
	assert.EqualValues(t, 0, ev["weight"])
	assert.Len(t, c["cases"], 1)
	assert.NotEmpty(t, c["history"])

	// A repair of a general event waits 3 months after it occurred.
	w = s.post(base+"/credit-events", creditEvent("commerce", "E07", "2026-11-01"))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	repair := fmt.Appendf(nil, `{"kind":"REPAIR","eventId":%q,"evidenceHash":"sha256:%064x","commitmentHash":"sha256:%064x","actor":"exporter-rep-1"}`,
		decodeBody(t, w)["id"], 3, 4)
	w = s.post(base+"/credit-cases", repair)
	assert.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	assert.Equal(t, "CREDIT_TIME_LIMIT", errCode(t, w))

	// Suspension: D whatever the score, until reinstated.
	w = s.post(base+"/suspension", statusBody())
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	c = creditOf(t, s, filedExporter)
	assert.Equal(t, "D", c["grade"])
	assert.Equal(t, true, c["suspended"])
	doc, err := fixtures.FS.ReadFile("filings/clean-m1-porsche-reexport-check-digit-warn.json") // exporter filedExporter
	require.NoError(t, err)
	w = s.post("/v1/filings?dryRun=true", doc)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "REJECTED", decodeBody(t, w)["decision"])
	assert.Contains(t, w.Body.String(), "EXPORTER_SUSPENDED")
	assert.Equal(t, http.StatusConflict, s.post(base+"/suspension", statusBody()).Code)
	require.Equal(t, http.StatusOK, s.post(base+"/reinstatement", statusBody()).Code)
	c = creditOf(t, s, filedExporter)
	assert.Equal(t, "C", c["grade"], "80 − 20 (E07)")
	assert.Nil(t, c["suspended"])
}

func decision(outcome string, points int) []byte {
	return fmt.Appendf(nil, `{"outcome":%q,"points":%d,"reviewer":"reviewer-1","reason":"约谈对象有误 / wrong company","evidenceHash":"sha256:%064x"}`, outcome, points, 5)
}

func statusBody() []byte {
	return fmt.Appendf(nil, `{"reason":"逾期未整改 / rectification overdue","evidenceHash":"sha256:%064x","actor":"commerce-officer-3"}`, 6)
}

// seedFixtureHistories records fixtures/credit/histories.json, as exportgw --credit-seed does.
func seedFixtureHistories(t testing.TB, s *testServer) *exporters.Seed {
	t.Helper()
	data, err := fixtures.FS.ReadFile("credit/histories.json")
	require.NoError(t, err)
	seed, err := exporters.ParseSeed(data, credit.Table2026)
	require.NoError(t, err)
	_, err = s.credits.Seed(context.Background(), seed)
	require.NoError(t, err)
	return seed
}

// listPage is the body of GET /v1/exporters.
type listPage struct {
	Exporters []struct {
		USCC       string  `json:"uscc"`
		Name       string  `json:"name"`
		Score      int     `json:"score"`
		Grade      string  `json:"grade"`
		New        bool    `json:"new"`
		DHeld      bool    `json:"dHeld"`
		ChangedAt  *string `json:"changedAt"`
		EventCount int     `json:"eventCount"`
	} `json:"exporters"`
	Total int    `json:"total"`
	Next  string `json:"next"`
	AsOf  string `json:"asOf"`
}

func list(t *testing.T, s *testServer, query string) listPage {
	t.Helper()
	w := s.do(http.MethodGet, "/v1/exporters"+query, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var p listPage
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	return p
}

// TestCreditList: commerce lists the exporters by grade, worst first, page by page; bad
// query parameters are 400 EINVALID naming the parameter.
func TestCreditList(t *testing.T) {
	s := newTestServer(t)
	seed := seedFixtureHistories(t, s)

	d := list(t, s, "?grade=D")
	require.Len(t, d.Exporters, 2)
	assert.Equal(t, "大连金普汽车进出口有限公司", d.Exporters[0].Name, "worst score first")
	assert.Equal(t, 50, d.Exporters[0].Score)
	assert.Equal(t, "乌鲁木齐亚欧通汽车贸易有限公司", d.Exporters[1].Name, "direct D, score 83")
	for _, r := range d.Exporters {
		assert.Equal(t, "D", r.Grade)
		assert.NotNil(t, r.ChangedAt)
		assert.Positive(t, r.EventCount)
	}
	assert.Equal(t, 2, d.Total)
	assert.Empty(t, d.Next)
	assert.Equal(t, "2026-11-26", d.AsOf)

	assert.Equal(t, list(t, s, "?grade=A&grade=C"), list(t, s, "?grade=A,C"), "repeated or comma-separated")
	ac := list(t, s, "?grade=A,C")
	assert.Equal(t, 5, ac.Total, "A, three C and the C of a held D")
	for _, r := range ac.Exporters {
		assert.Contains(t, []string{"A", "C"}, r.Grade)
	}

	// Page by page with next: every exporter once.
	all := list(t, s, "?limit=500")
	require.Greater(t, all.Total, len(seed.Exporters), "the fixture exporters without history are listed too")
	var paged []string
	q := "?limit=4&sort=-changedAt"
	for range 20 {
		p := list(t, s, q)
		for _, r := range p.Exporters {
			paged = append(paged, r.USCC)
		}
		if p.Next == "" {
			break
		}
		q = "?limit=4&sort=-changedAt&cursor=" + url.QueryEscape(p.Next)
	}
	var want []string
	for _, r := range list(t, s, "?limit=500&sort=-changedAt").Exporters {
		want = append(want, r.USCC)
	}
	assert.Equal(t, want, paged)
	assert.Equal(t, all.Total, len(paged))
	assert.Len(t, list(t, s, "").Exporters, min(all.Total, 50), "50 a page by default")

	next := list(t, s, "?limit=2").Next
	require.NotEmpty(t, next)
	for name, tc := range map[string]struct{ query, param string }{
		"grade":          {"?grade=E", "grade"},
		"empty grade":    {"?grade=A,,C", "grade"},
		"sort":           {"?sort=name", "sort"},
		"limit zero":     {"?limit=0", "limit"},
		"limit too big":  {"?limit=501", "limit"},
		"limit word":     {"?limit=ten", "limit"},
		"cursor":         {"?cursor=zzz", "cursor"},
		"cursor of sort": {"?sort=-score&cursor=" + url.QueryEscape(next), "cursor"},
		"sort twice":     {"?sort=score&sort=-score", "sort"},
		"unknown":        {"?grades=D", "grades"},
	} {
		w := s.do(http.MethodGet, "/v1/exporters"+tc.query, nil)
		assert.Equal(t, http.StatusBadRequest, w.Code, "%s: %s", name, w.Body.String())
		var env struct {
			Error struct {
				Code      string `json:"code"`
				Message   string `json:"message"`
				MessageZh string `json:"messageZh"`
				Details   []struct {
					Pointer string `json:"pointer"`
				} `json:"details"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), name)
		assert.Equal(t, "EINVALID", env.Error.Code, name)
		assert.NotEmpty(t, env.Error.Message, name)
		assert.NotEmpty(t, env.Error.MessageZh, name)
		if assert.Len(t, env.Error.Details, 1, name) {
			assert.Equal(t, tc.param, env.Error.Details[0].Pointer, name)
		}
	}
}

// TestCreditCaseQueue: commerce's review queue lists the open cases of every exporter, most
// urgent first, and the decided ones on request; bad parameters are named.
func TestCreditCaseQueue(t *testing.T) {
	s := newTestServer(t)
	seedFixtureHistories(t, s)
	var open struct {
		Cases []struct {
			ID           string `json:"id"`
			Status       string `json:"status"`
			Kind         string `json:"kind"`
			DueAt        string `json:"dueAt"`
			ExporterName string `json:"exporterName"`
		} `json:"cases"`
		Total int `json:"total"`
	}
	w := s.do(http.MethodGet, "/v1/credit/cases", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &open))
	require.Equal(t, 1, open.Total, "the fixtures hold one open objection")
	assert.Equal(t, "武汉江城汽车出口服务有限公司", open.Cases[0].ExporterName)
	assert.Equal(t, "OBJECTION", open.Cases[0].Kind)
	assert.NotEmpty(t, open.Cases[0].DueAt)

	w = s.do(http.MethodGet, "/v1/credit/cases?status=DECIDED&kind=OBJECTION", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &open))
	assert.Equal(t, 2, open.Total, "two decided objections")
	w = s.do(http.MethodGet, "/v1/credit/cases?overdue=true", nil)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &open))
	assert.Zero(t, open.Total, "filed today: not overdue")

	for q, param := range map[string]string{"?status=LATE": "status", "?kind=APPEAL": "kind", "?overdue=maybe": "overdue",
		"?limit=0": "limit", "?status=DECIDED&overdue=true": "overdue", "?sort=dueAt": "sort", "?kind=REPAIR&kind=OBJECTION": "kind"} {
		w := s.do(http.MethodGet, "/v1/credit/cases"+q, nil)
		assert.Equal(t, http.StatusBadRequest, w.Code, q)
		assert.Equal(t, "EINVALID", errCode(t, w), q)
		assert.Contains(t, w.Body.String(), `"pointer":"`+param+`"`, q)
	}
}
