package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// storeDigest hashes every key and value of the gateway's bbolt store, and the ledger height:
// what a refused request must leave as it was.
func storeDigest(t *testing.T, s *testServer) [32]byte {
	t.Helper()
	h := sha256.New()
	require.NoError(t, s.store.DB().View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			h.Write(name)
			return b.ForEach(func(k, v []byte) error {
				h.Write(k)
				h.Write(v)
				return nil
			})
		})
	}))
	height, err := s.ledger.Height()
	require.NoError(t, err)
	h.Write([]byte{byte(height), byte(height >> 8), byte(height >> 16)})
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// TestAbuseBodies sends hostile bodies to every route that takes one: deeply nested JSON,
// huge arrays, invalid UTF-8, duplicate keys, numbers out of range, oversized bodies, the
// wrong media type. Each gets a coded 4xx answer and changes nothing.
func TestAbuseBodies(t *testing.T) {
	s := newTestServer(t)
	bodies := map[string][]byte{
		"nested arrays":    []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)),
		"nested objects":   []byte(strings.Repeat(`{"a":`, 50000) + "1" + strings.Repeat("}", 50000)),
		"huge array":       []byte(`{"vehicle":{"seats":[` + strings.TrimSuffix(strings.Repeat("1,", 200000), ",") + `]}}`),
		"invalid UTF-8":    []byte("{\"applicationDate\":\"\xff\xfe\",\"org\":\"police\",\"reason\":\"\xc3\x28\"}"),
		"duplicate keys":   []byte(`{"org":"police","org":"commerce","kind":"OBJECTION","kind":"REPAIR"}`),
		"number too large": []byte(`{"vehicle":{"seats":1e400},"points":1e400,"limit":99999999999999999999999999}`),
		"negative zero":    []byte(`{"points":-0,"seats":-1e-400}`),
		"oversized":        append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), 33<<20)...), '"', '}'),
		"not an object":    []byte(`"just a string"`),
		"null":             []byte(`null`),
	}
	routes := []string{
		"/v1/filings", "/v1/filing-batches", "/v1/vehicles/LSJA24U62JG269225/events", "/v1/inspection-reports",
		"/v1/customs/clearances", "/v1/licences", "/v1/licences/26-AB-000001/revocation",
		"/v1/exporters/" + filedExporter + "/credit-events", "/v1/exporters/" + filedExporter + "/credit-cases",
		"/v1/credit/cases/" + filedExporter + "-C000000/decision", "/v1/credit/cases/" + filedExporter + "-C000000/extension",
		"/v1/exporters/" + filedExporter + "/suspension", "/v1/webhooks/subscriptions",
	}
	before := storeDigest(t, s)
	for _, route := range routes {
		for name, body := range bodies {
			w := s.post(route, body)
			assert.True(t, w.Code >= 400 && w.Code < 500, "%s %s: %d %.200s", route, name, w.Code, w.Body.String())
			var env struct {
				Error struct {
					Code      string `json:"code"`
					Message   string `json:"message"`
					MessageZh string `json:"messageZh"`
				} `json:"error"`
			}
			if assert.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), "%s %s: %.200s", route, name, w.Body.String()) {
				assert.NotEmpty(t, env.Error.Code, "%s %s", route, name)
				assert.NotEmpty(t, env.Error.MessageZh, "%s %s", route, name)
			}
		}
		w := s.post(route, []byte(`{}`), "Content-Type", "text/plain")
		assert.Equal(t, http.StatusUnsupportedMediaType, w.Code, route)
	}
	assert.Equal(t, before, storeDigest(t, s), "nothing changed")
}
