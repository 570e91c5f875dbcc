package httpapi_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
)

// expectation is fixtures/filings/<name>.expect.json: the decision and every FAIL/HOLD code.
type expectation struct {
	Decision string   `json:"decision"`
	Codes    []string `json:"codes"`
}

// TestGoldenFilings files every fixture filing through the HTTP API and compares the decision
// and the set of FAIL/HOLD codes with its .expect.json.
func TestGoldenFilings(t *testing.T) {
	golden(t, newTestServer(t))
}

// TestGoldenFilingsLedgerLicences runs the same filings with the licences read from the
// licence registry on the ledger (seeded from the fixtures): the same decisions.
func TestGoldenFilingsLedgerLicences(t *testing.T) {
	golden(t, openTestServerWith(t, t.TempDir(), true))
}

func golden(t *testing.T, srv *testServer) {
	names, err := fs.Glob(fixtures.FS, "filings/*.json")
	require.NoError(t, err)
	count := 0
	for _, path := range names {
		if strings.HasSuffix(path, ".expect.json") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(path, "filings/"), ".json")
		count++
		t.Run(name, func(t *testing.T) {
			raw, err := fs.ReadFile(fixtures.FS, "filings/"+name+".expect.json")
			require.NoError(t, err, "every fixture filing needs an .expect.json")
			var want expectation
			require.NoError(t, json.Unmarshal(raw, &want))

			w := srv.post("/v1/filings", fixture(t, name))
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			var rec gateway.FilingRecord
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &rec))
			var got []string
			for _, r := range rec.Results {
				if r.Severity == gateway.SeverityFail || r.Severity == gateway.SeverityHold {
					got = append(got, r.Code)
				}
			}
			got = dedupe(got)
			assert.Equal(t, want.Decision, rec.Decision, "results: %s", w.Body.String())
			assert.Equal(t, dedupe(want.Codes), got, "results: %s", w.Body.String())
			require.NotNil(t, rec.Receipt)
			if contract.Anchorable(rec.VIN, rec.ExporterUSCC) {
				assert.Equal(t, gateway.ReceiptCommitted, rec.Receipt.Status, "every decision is anchored")
			} else {
				assert.Equal(t, gateway.ReceiptNotAnchored, rec.Receipt.Status, "a malformed VIN or USCC names nothing to anchor")
			}
		})
	}
	require.GreaterOrEqual(t, count, 1)
	pending, err := srv.store.PendingAnchors(context.Background(), 10)
	require.NoError(t, err)
	assert.Empty(t, pending, "nothing is left in the anchoring queue")
}

func dedupe(codes []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, c := range codes {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}
