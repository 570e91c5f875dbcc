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
	"github.com/ucx-export/ucx/gateway/filings"
)

// expectation is fixtures/filings/<name>.expect.json: the decision and every FAIL/HOLD code.
type expectation struct {
	Decision string   `json:"decision"`
	Codes    []string `json:"codes"`
}

// TestGoldenFilings checks every fixture filing through the HTTP API and compares the decision
// and the set of FAIL/HOLD codes with its .expect.json; then it files them all and checks that
// each decision is anchored. Each fixture states a filing's outcome on its own, so all are
// checked (dry runs) before any is stored: a stored filing that breaks the 180-day rule or
// carries false licence data charges its exporter's credit (E04, E11), which then holds or
// refuses that exporter's later filings — the second phase checks those charges too.
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
	var fixturesNames []string
	for _, path := range names {
		if !strings.HasSuffix(path, ".expect.json") {
			fixturesNames = append(fixturesNames, strings.TrimSuffix(strings.TrimPrefix(path, "filings/"), ".json"))
		}
	}
	require.NotEmpty(t, fixturesNames)
	for _, name := range fixturesNames {
		t.Run(name, func(t *testing.T) {
			raw, err := fs.ReadFile(fixtures.FS, "filings/"+name+".expect.json")
			require.NoError(t, err, "every fixture filing needs an .expect.json")
			var want expectation
			require.NoError(t, json.Unmarshal(raw, &want))

			w := srv.post("/v1/filings?dryRun=true", fixture(t, name))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
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
		})
	}
	charged := map[string][]string{} // exporter → credit event codes its stored filings charge
	seen := map[string]bool{}        // exporter, code, VIN: charged once
	for _, name := range fixturesNames {
		w := srv.post("/v1/filings", fixture(t, name))
		require.Equal(t, http.StatusCreated, w.Code, "%s: %s", name, w.Body.String())
		var rec gateway.FilingRecord
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &rec))
		require.NotNil(t, rec.Receipt, name)
		if contract.Anchorable(rec.VIN, rec.ExporterUSCC) {
			assert.Equal(t, gateway.ReceiptCommitted, rec.Receipt.Status, "%s: every decision is anchored", name)
		} else {
			assert.Equal(t, gateway.ReceiptNotAnchored, rec.Receipt.Status, "%s: a malformed VIN or USCC names nothing to anchor", name)
		}
		for _, r := range rec.Results {
			if code, ok := filings.CreditCharges()[r.Code]; ok && r.Severity == gateway.SeverityFail && !seen[rec.ExporterUSCC+code+rec.VIN] {
				seen[rec.ExporterUSCC+code+rec.VIN] = true
				charged[rec.ExporterUSCC] = append(charged[rec.ExporterUSCC], code)
			}
		}
	}
	pending, err := srv.store.PendingAnchors(context.Background(), 10)
	require.NoError(t, err)
	assert.Empty(t, pending, "nothing is left in the anchoring queue")
	require.NotEmpty(t, charged, "some fixtures charge credit")
	for uscc, codes := range charged {
		file, err := srv.watch.CreditFile(context.Background(), uscc)
		require.NoError(t, err)
		var got []string
		for _, e := range file.Events {
			assert.Equal(t, gateway.CreditAutomatic, e.Source)
			got = append(got, e.Code)
		}
		assert.ElementsMatch(t, codes, got, "exporter %s is charged once per code and vehicle", uscc)
	}
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
