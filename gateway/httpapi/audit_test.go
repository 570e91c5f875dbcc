package httpapi_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/httpapi"
)

// auditPage is the body of GET /v1/audit.
type auditPage struct {
	Entries []gateway.AuditEntry      `json:"entries"`
	Next    uint64                    `json:"next"`
	Chain   gateway.AuditVerification `json:"chain"`
	Anchor  *gateway.AuditAnchor      `json:"anchor"`
}

func readAudit(t *testing.T, s *testServer, query string) auditPage {
	t.Helper()
	w := s.doAs(principal(gateway.RoleCommerce, "commerce"), http.MethodGet, "/v1/audit"+query, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	var p auditPage
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	return p
}

// TestAuditRoute: commerce reads who read what, filtered and page by page, with the chain's
// verification; an entry edited in the file behind the gateway shows as a broken chain.
func TestAuditRoute(t *testing.T) {
	s := newTestServer(t)
	rec := fileOwner(t, s)
	police, customs := principal(gateway.RolePolice, "police"), principal(gateway.RoleCustoms, "customs")
	for _, p := range []*gateway.Principal{police, customs, police} {
		require.Equal(t, http.StatusOK, s.doAs(p, http.MethodGet, "/v1/filings/"+rec.FilingID+"/document", nil).Code)
	}
	require.Equal(t, http.StatusOK, s.doAs(principal(gateway.RoleExporter, filedExporter), http.MethodGet, "/v1/exporters/"+filedExporter+"/credit", nil).Code)

	all := readAudit(t, s, "")
	require.Len(t, all.Entries, 4)
	assert.Zero(t, all.Next)
	assert.Equal(t, gateway.AuditVerification{Verified: true, Entries: 4, Head: all.Entries[3].Hash}, all.Chain)

	seqs := func(p auditPage) []uint64 {
		var out []uint64
		for _, e := range p.Entries {
			out = append(out, e.Seq)
		}
		return out
	}
	assert.Equal(t, []uint64{1, 3}, seqs(readAudit(t, s, "?subject=police-officer-7")))
	assert.Equal(t, []uint64{2}, seqs(readAudit(t, s, "?org=customs")))
	assert.Equal(t, []uint64{4}, seqs(readAudit(t, s, "?action=READ_CREDIT")))
	assert.Equal(t, []uint64{1, 2, 3}, seqs(readAudit(t, s, "?resource=filing:"+rec.FilingID+"&action=READ_PERSONAL_DATA")))
	first := readAudit(t, s, "?limit=3")
	assert.Equal(t, []uint64{1, 2, 3}, seqs(first))
	assert.Equal(t, uint64(3), first.Next)
	assert.Equal(t, []uint64{4}, seqs(readAudit(t, s, "?limit=3&after=3")))

	for q, param := range map[string]string{"?limit=0": "limit", "?limit=x": "limit", "?after=-1": "after", "?action=READ_ALL": "action",
		"?subject=a&subject=b": "subject", "?role=police": "role"} {
		w := s.do(http.MethodGet, "/v1/audit"+q, nil)
		assert.Equal(t, http.StatusBadRequest, w.Code, q)
		assert.Equal(t, gateway.EINVALID, errCode(t, w), q)
		assert.Contains(t, w.Body.String(), `"pointer":"`+param+`"`, q)
	}

	// The head anchored on the ledger comes with the log; the chain is held to it.
	_, err := gateway.AnchorAudit(context.Background(), s.audit, s.watch, "test-audit")
	require.NoError(t, err)
	anchored := readAudit(t, s, "")
	require.NotNil(t, anchored.Anchor)
	assert.EqualValues(t, 4, anchored.Anchor.Seq)
	assert.Equal(t, all.Entries[3].Hash, anchored.Anchor.Hash)
	assert.True(t, anchored.Chain.Verified)

	// Edit entry 2 in the file, as someone with access to the disk could.
	log, _ := s.audit.current()
	require.NoError(t, log.Close())
	path := filepath.Join(s.auditDir, embedded.AuditFile)
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		k := binary.BigEndian.AppendUint64(nil, 2)
		v := b.Get(k)
		var e map[string]any
		require.NoError(t, json.Unmarshal(v, &e))
		e["subject"] = "nobody"
		data, err := json.Marshal(e)
		require.NoError(t, err)
		return b.Put(k, data)
	}))
	require.NoError(t, db.Close())
	reopened, err := embedded.OpenAuditLog(s.auditDir)
	require.NoError(t, err)
	s.audit.swap(reopened)

	after := readAudit(t, s, "")
	assert.False(t, after.Chain.Verified)
	assert.Equal(t, uint64(2), after.Chain.BrokenAt)
	assert.Equal(t, uint64(1), after.Chain.Entries)
	assert.NotEmpty(t, after.Chain.Problem)
	assert.Equal(t, "nobody", after.Entries[1].Subject, "the log shows what is stored")
}

// TestAuditRouteWithoutLog: a gateway built without an audit log answers the route 503.
func TestAuditRouteWithoutLog(t *testing.T) {
	api := httpapi.New(httpapi.Config{Logger: slog.New(slog.NewTextHandler(testLogOutput(), nil))})
	w := httptest.NewRecorder()
	api.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/audit", nil))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, gateway.EUNAVAILABLE, errCode(t, w))
}
