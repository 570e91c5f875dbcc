package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/httpapi"
	"github.com/ucx-export/ucx/gateway/webhooks"
)

// checked sends a request and validates the answer against the spec's status and schema.
func (s *testServer) checked(v *specValidator, method, target, specPath string, body []byte, want int, headers ...string) *httptest.ResponseRecorder {
	s.t.Helper()
	w := s.do(method, target, body, headers...)
	require.Equal(s.t, want, w.Code, "%s %s: %s", method, target, w.Body.String())
	v.response(method, specPath, w.Code, w.Header(), w.Body.Bytes())
	return w
}

// recordCredit records credit events against the filed exporter through the API and returns
// their IDs.
func recordCredit(t *testing.T, srv *testServer, days ...string) []string {
	t.Helper()
	var ids []string
	for _, day := range days {
		w := srv.post("/v1/exporters/"+filedExporter+"/credit-events", creditEvent("commerce", "E12", day))
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		var ev gateway.CreditEvent
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ev))
		ids = append(ids, ev.ID)
	}
	return ids
}

// TestCreditChangesFeed reads the embedded ledger's credit change feed through the API.
func TestCreditChangesFeed(t *testing.T) {
	srv := newTestServer(t)
	v := newSpecValidator(t)
	ids := recordCredit(t, srv, "2026-10-01", "2026-10-02", "2026-10-03")
	const spec = "/v1/credit/changes"
	type page struct {
		Changes []gateway.CreditChange `json:"changes"`
		Next    uint64                 `json:"next"`
	}
	read := func(target string) (out page) {
		w := srv.checked(v, "GET", target, spec, nil, http.StatusOK)
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
		return out
	}
	// Each recorded event is a change; so is each grade it changes (none → C after the first
	// talk, C → D after the third), published by the credit service.
	p := read("/v1/credit/changes?limit=2")
	require.Len(t, p.Changes, 2)
	assert.Equal(t, uint64(2), p.Next)
	for i, c := range p.Changes {
		assert.Equal(t, uint64(i+1), c.Seq)
		assert.Equal(t, filedExporter, c.ExporterUSCC)
		assert.NotEmpty(t, c.TxID)
	}
	assert.Equal(t, gateway.ChangeEventRecorded, p.Changes[0].Kind)
	assert.Equal(t, ids[0], p.Changes[0].Ref)
	assert.Equal(t, gateway.ChangeGradeChanged, p.Changes[1].Kind)
	assert.Equal(t, filedExporter, p.Changes[1].Ref)
	rest := read("/v1/credit/changes?after=2")
	require.Len(t, rest.Changes, 3)
	assert.Equal(t, []string{ids[1], ids[2], filedExporter}, []string{rest.Changes[0].Ref, rest.Changes[1].Ref, rest.Changes[2].Ref})
	assert.Equal(t, gateway.ChangeGradeChanged, rest.Changes[2].Kind)
	assert.Equal(t, uint64(5), rest.Next)
	p = read("/v1/credit/changes?after=5&limit=1000")
	assert.Empty(t, p.Changes)
	assert.NotNil(t, p.Changes, "an empty page is [], not null")
	assert.Equal(t, uint64(5), p.Next, "nothing new: the same cursor")
	all := read("/v1/credit/changes")
	assert.Len(t, all.Changes, 5, "from the start, 100 at most")
	assert.Equal(t, rest.Changes[2], all.Changes[4], "the same after answers the same changes")
	c := creditOf(t, srv, filedExporter)
	assert.Equal(t, "D", c["grade"], "the grade published last is the grade")

	for target, pointer := range map[string]string{
		"?after=-1": "after", "?after=x": "after", "?after=1.5": "after", "?after=": "after", "?after=18446744073709551616": "after",
		"?limit=0": "limit", "?limit=1001": "limit", "?limit=x": "limit", "?limit=": "limit",
	} {
		w := srv.checked(v, "GET", "/v1/credit/changes"+target, spec, nil, http.StatusBadRequest)
		code, details := errorOf(t, w.Body.Bytes())
		assert.Equal(t, gateway.EINVALID, code, target)
		if assert.Len(t, details, 1, target) {
			assert.Equal(t, pointer, details[0].Pointer, target)
		}
	}
}

func TestWebhooksOffOrWithoutAFeedAreUnavailable(t *testing.T) {
	api := httpapi.New(httpapi.Config{Logger: slog.New(slog.NewTextHandler(testLogOutput(), nil))})
	srv := &testServer{t: t, api: api}
	v := newSpecValidator(t)
	srv.checked(v, "GET", "/v1/credit/changes", "/v1/credit/changes", nil, http.StatusServiceUnavailable)
	srv.checked(v, "GET", "/v1/webhooks/subscriptions", "/v1/webhooks/subscriptions", nil, http.StatusServiceUnavailable)
	srv.checked(v, "POST", "/v1/webhooks/subscriptions", "/v1/webhooks/subscriptions", []byte(`{"org":"police","url":"https://p.example/"}`), http.StatusServiceUnavailable)
	// Bad input is still refused first where it is checked before the dependency.
	srv.checked(v, "GET", "/v1/credit/changes?limit=0", "/v1/credit/changes", nil, http.StatusBadRequest)
}

func TestWebhookSubscriptionsLifecycle(t *testing.T) {
	ctx := context.Background()
	srv := newTestServer(t)
	v := newSpecValidator(t)
	const subs = "/v1/webhooks/subscriptions"
	recordCredit(t, srv, "2026-10-01", "2026-10-02")
	_, err := webhooks.NewPump(srv.watch, srv.webhooks).Step(ctx)
	require.NoError(t, err)

	// Refused requests store nothing.
	for name, c := range map[string]struct {
		body    string
		headers []string
		status  int
		code    string
	}{
		"bad org":       {`{"org":"army","url":"https://a.example/"}`, nil, 400, gateway.EINVALID},
		"bad url":       {`{"org":"police","url":"ftp://p.example/"}`, nil, 400, gateway.EINVALID},
		"bad kind":      {`{"org":"police","url":"https://p.example/","kinds":["GRADE"]}`, nil, 400, gateway.EINVALID},
		"unknown field": {`{"org":"police","url":"https://p.example/","secret":"mine"}`, nil, 400, gateway.EUNKNOWNFIELD},
		"kinds type":    {`{"org":"police","url":"https://p.example/","kinds":"ALL"}`, nil, 400, gateway.ETYPEMISMATCH},
		"not json":      {`{"org":`, nil, 400, gateway.EINVALIDJSON},
		"media":         {`{"org":"police","url":"https://p.example/"}`, []string{"Content-Type", "text/plain"}, 415, gateway.EUNSUPPORTEDMEDIA},
	} {
		w := srv.checked(v, "POST", subs, subs, []byte(c.body), c.status, c.headers...)
		code, _ := errorOf(t, w.Body.Bytes())
		assert.Equal(t, c.code, code, name)
	}
	w := srv.checked(v, "GET", subs, subs, nil, http.StatusOK)
	assert.JSONEq(t, `{"subscriptions":[]}`, w.Body.String())

	w = srv.checked(v, "POST", subs, subs, []byte(`{"org":"customs","url":"https://customs.example/ucx","kinds":["EVENT_RECORDED"]}`), http.StatusCreated)
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
		After  uint64 `json:"after"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &created))
	assert.True(t, strings.HasPrefix(created.Secret, "whsec_"))
	assert.Equal(t, uint64(3), created.After, "it receives the changes after the cursor (two events and the grade C they made)")
	srv.checked(v, "POST", subs, subs, []byte(`{"org":"police","url":"http://10.1.2.3:9000/hook"}`), http.StatusCreated)

	w = srv.checked(v, "GET", subs+"?org=customs", subs, nil, http.StatusOK)
	assert.NotContains(t, w.Body.String(), "whsec_", "a listing never shows a secret")
	assert.Contains(t, w.Body.String(), created.ID)
	assert.NotContains(t, w.Body.String(), "10.1.2.3")
	srv.checked(v, "GET", subs+"?org=army", subs, nil, http.StatusBadRequest)
	w = srv.checked(v, "GET", subs+"/"+created.ID, subs+"/{id}", nil, http.StatusOK)
	assert.NotContains(t, w.Body.String(), "whsec_")
	srv.checked(v, "GET", subs+"/wh_nope", subs+"/{id}", nil, http.StatusNotFound)

	// A change that gave up is listed, and redelivered on request.
	const dead, redo = subs + "/{id}/dead-letters", subs + "/{id}/dead-letters/{eventId}/redelivery"
	recordCredit(t, srv, "2026-10-03")
	_, err = webhooks.NewPump(srv.watch, srv.webhooks).Step(ctx)
	require.NoError(t, err)
	ds, err := srv.webhooks.Claim(ctx, created.ID, time.Now(), 10)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	ds[0].Attempts, ds[0].LastError, ds[0].LastAttemptAt, ds[0].DeadAt = 10, "HTTP 503", time.Now(), time.Now()
	require.NoError(t, srv.webhooks.DeadLetter(ctx, ds[0]))
	w = srv.checked(v, "GET", subs+"/"+created.ID+"/dead-letters", dead, nil, http.StatusOK)
	var listed struct {
		DeadLetters []gateway.WebhookDelivery `json:"deadLetters"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &listed))
	require.Len(t, listed.DeadLetters, 1)
	assert.Equal(t, "credit-change-4", listed.DeadLetters[0].EventID)
	assert.Equal(t, "HTTP 503", listed.DeadLetters[0].LastError)
	srv.checked(v, "GET", subs+"/wh_nope/dead-letters", dead, nil, http.StatusNotFound)
	srv.checked(v, "POST", subs+"/"+created.ID+"/dead-letters/credit-change-9/redelivery", redo, nil, http.StatusNotFound)
	srv.checked(v, "POST", subs+"/"+created.ID+"/dead-letters/credit-change-4/redelivery", redo, nil, http.StatusAccepted)
	srv.checked(v, "POST", subs+"/"+created.ID+"/dead-letters/credit-change-4/redelivery", redo, nil, http.StatusNotFound)
	w = srv.checked(v, "GET", subs+"/"+created.ID+"/dead-letters", dead, nil, http.StatusOK)
	assert.JSONEq(t, `{"deadLetters":[]}`, w.Body.String())
	ds, err = srv.webhooks.Claim(ctx, created.ID, time.Now(), 10)
	require.NoError(t, err)
	require.Len(t, ds, 1, "queued again")
	assert.Zero(t, ds[0].Attempts)

	w = srv.checked(v, "DELETE", subs+"/"+created.ID, subs+"/{id}", nil, http.StatusOK)
	assert.Contains(t, w.Body.String(), created.ID)
	srv.checked(v, "DELETE", subs+"/"+created.ID, subs+"/{id}", nil, http.StatusNotFound)
	srv.checked(v, "GET", subs+"/"+created.ID, subs+"/{id}", nil, http.StatusNotFound)
	w = srv.checked(v, "GET", subs, subs, nil, http.StatusOK)
	assert.NotContains(t, w.Body.String(), created.ID)
}
