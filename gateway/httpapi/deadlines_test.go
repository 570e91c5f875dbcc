package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeadlines: a transfer opens the temporary-plate deadline (60 days), an issued licence
// its validity until the declaration, an exit the deregistration (2 months); they are listed
// by state and agency, met by the events that close them, and a passed one puts
// DEADLINE_PASSED on the vehicle's trace once.
func TestDeadlines(t *testing.T) {
	s := newTestServer(t)
	vin := "LSJA24U62JG269225"
	post := func(org, typ string) {
		w := s.post("/v1/vehicles/"+vin+"/events", []byte(`{"org":"`+org+`","type":"`+typ+`","evidenceHash":"`+hashOf(4)+`","actor":"`+org+`-1"}`))
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	}
	list := func(query string) []any {
		w := s.do(http.MethodGet, "/v1/deadlines"+query, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		return decodeBody(t, w)["deadlines"].([]any)
	}

	post("police", "TRANSFERRED_PENDING_EXPORT")
	open := list("?agency=police")
	require.Len(t, open, 1)
	d := open[0].(map[string]any)
	assert.Equal(t, "TEMP_PLATE", d["kind"])
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	due, err := time.Parse(time.DateOnly, d["due"].(string))
	require.NoError(t, err)
	start, _ := time.Parse(time.DateOnly, today)
	assert.Equal(t, 60, int(due.Sub(start).Hours()/24), "60 days from the transfer")
	assert.Empty(t, list("?agency=commerce"))

	// A licence that expired before the (test) clock's today is overdue at once.
	lic := `{"licenceNo":"26-AB-000977","status":"ISSUED","exporterUscc":"91350100M000100Y43","destinationCountry":"KZ",
		"issueDate":"2026-03-01","expiryDate":"2026-08-31","lines":[{"vin":"` + vin + `","brand":"荣威","model":"RX5","registrationDate":"2018-06-01","hsCode":"8703231990"}]}`
	require.Equal(t, http.StatusCreated, s.post("/v1/licences", []byte(lic)).Code)
	overdue := list("?status=overdue")
	require.Len(t, overdue, 1)
	assert.Equal(t, "LICENCE_VALIDITY", overdue[0].(map[string]any)["kind"])

	n, err := s.watch.RecordPassed(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = s.watch.RecordPassed(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n, "recorded once")
	tr := decodeBody(t, s.do(http.MethodGet, "/v1/vehicles/"+vin+"/trace", nil))["events"].([]any)
	assert.Equal(t, "DEADLINE_PASSED", tr[len(tr)-1].(map[string]any)["type"])

	assert.Equal(t, http.StatusBadRequest, s.do(http.MethodGet, "/v1/deadlines?status=soon", nil).Code)
	assert.Equal(t, http.StatusBadRequest, s.do(http.MethodGet, "/v1/deadlines?agency=exporter", nil).Code)
}
