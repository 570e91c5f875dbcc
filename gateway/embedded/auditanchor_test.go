package embedded_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
	"github.com/ucx-export/ucx/gateway/embedded"
)

// rewriteAuditFile rewrites an audit file as someone with access to the storage could, so
// that the chain alone still verifies: from entry `from` on the entries get another subject
// and are chained again, and the log is cut to `keep` entries (0: all kept).
func rewriteAuditFile(t *testing.T, path string, from, keep uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		var all []*gateway.AuditEntry
		require.NoError(t, b.ForEach(func(_, v []byte) error {
			var e gateway.AuditEntry
			require.NoError(t, json.Unmarshal(v, &e))
			all = append(all, &e)
			return nil
		}))
		if keep > 0 {
			for _, e := range all[keep:] {
				require.NoError(t, b.Delete(binary.BigEndian.AppendUint64(nil, e.Seq)))
			}
			all = all[:keep]
		}
		tail := all[from-1:]
		for _, e := range tail {
			e.Subject = "someone-else"
		}
		prev := all[from-2]
		head := gateway.ChainAudit(gateway.AuditHead{Seq: prev.Seq, Hash: prev.Hash}, tail, prev.Time)
		for _, e := range tail {
			data, err := json.Marshal(e)
			require.NoError(t, err)
			require.NoError(t, b.Put(binary.BigEndian.AppendUint64(nil, e.Seq), data))
		}
		data, err := json.Marshal(head)
		require.NoError(t, err)
		return tx.Bucket([]byte("audit-head")).Put([]byte("head"), data)
	}))
}

// TestAuditAnchor: the audit log's head anchored on the (embedded) ledger catches what the
// chain alone cannot: a log rewritten consistently from an entry up to its head, and a cut
// tail. A broken chain is not anchored.
func TestAuditAnchor(t *testing.T) {
	ctx := context.Background()
	cc, err := chaincode.New()
	require.NoError(t, err)
	chain, err := embedded.OpenLedger(t.TempDir(), cc)
	require.NoError(t, err)
	t.Cleanup(func() { chain.Close() })
	ledger := contract.New(chain)

	for name, tc := range map[string]struct{ from, keep uint64 }{"rewritten": {3, 0}, "tail cut": {5, 4}} {
		dir := t.TempDir()
		log, err := embedded.OpenAuditLog(dir)
		require.NoError(t, err)
		for i := range 5 {
			require.NoError(t, log.Append(ctx, &gateway.AuditEntry{Subject: "police-1", Role: gateway.RolePolice, Org: "police",
				Action: "READ_PERSONAL_DATA", Resource: fmt.Sprintf("filing:F%d", i)}))
		}
		chainID := "audit-" + name[:4]
		a, err := gateway.AnchorAudit(ctx, log, ledger, chainID)
		require.NoError(t, err, name)
		assert.EqualValues(t, 5, a.Seq, name)
		v, err := log.Verify(ctx)
		require.NoError(t, err)
		_, err = gateway.CheckAuditAnchor(ctx, log, ledger, chainID, v)
		require.NoError(t, err)
		assert.True(t, v.Verified, "%s: untouched", name)

		require.NoError(t, log.Close())
		rewriteAuditFile(t, filepath.Join(dir, embedded.AuditFile), tc.from, tc.keep)
		log, err = embedded.OpenAuditLog(dir)
		require.NoError(t, err)
		t.Cleanup(func() { log.Close() })
		v, err = log.Verify(ctx)
		require.NoError(t, err)
		assert.True(t, v.Verified, "%s: the chain alone cannot tell", name)
		got, err := gateway.CheckAuditAnchor(ctx, log, ledger, chainID, v)
		require.NoError(t, err)
		require.NotNil(t, got)
		assert.False(t, v.Verified, "%s: the anchor tells", name)
		assert.NotEmpty(t, v.Problem, name)
		assert.NotEmpty(t, v.ProblemZh, name)
		_, err = gateway.AnchorAudit(ctx, log, ledger, chainID)
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err), "%s: the ledger refuses to anchor the rewritten head", name)
	}

	// A broken chain is not anchored; a log never anchored has no anchor.
	dir := t.TempDir()
	log, err := embedded.OpenAuditLog(dir)
	require.NoError(t, err)
	require.NoError(t, log.Append(ctx, &gateway.AuditEntry{Subject: "s", Role: gateway.RoleCommerce, Org: "commerce", Action: "READ_CREDIT", Resource: "exporter:x"},
		&gateway.AuditEntry{Subject: "s", Role: gateway.RoleCommerce, Org: "commerce", Action: "READ_CREDIT", Resource: "exporter:y"}))
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	none, err := gateway.CheckAuditAnchor(ctx, log, ledger, "audit-never", v)
	require.NoError(t, err)
	assert.Nil(t, none)
	require.NoError(t, log.Close())
	TamperAuditEntry(t, filepath.Join(dir, embedded.AuditFile), 1)
	log, err = embedded.OpenAuditLog(dir)
	require.NoError(t, err)
	t.Cleanup(func() { log.Close() })
	_, err = gateway.AnchorAudit(ctx, log, ledger, "audit-broken")
	assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err))
}

// TestAuditAnchorMovesForward: anchoring again after more entries anchors the new head (it
// reads only the entries since the last anchor); nothing new anchors nothing.
func TestAuditAnchorMovesForward(t *testing.T) {
	ctx := context.Background()
	cc, err := chaincode.New()
	require.NoError(t, err)
	chain, err := embedded.OpenLedger(t.TempDir(), cc)
	require.NoError(t, err)
	t.Cleanup(func() { chain.Close() })
	ledger := contract.New(chain)
	log, err := embedded.OpenAuditLog(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { log.Close() })
	appendN := func(n int) {
		for range n {
			require.NoError(t, log.Append(ctx, &gateway.AuditEntry{Subject: "c", Role: gateway.RoleCommerce, Org: "commerce", Action: "READ_CREDIT", Resource: "exporter:x"}))
		}
	}
	none, err := gateway.AnchorAudit(ctx, log, ledger, "audit-fwd")
	require.NoError(t, err)
	assert.Nil(t, none, "an empty log anchors nothing")
	appendN(3)
	a, err := gateway.AnchorAudit(ctx, log, ledger, "audit-fwd")
	require.NoError(t, err)
	assert.EqualValues(t, 3, a.Seq)
	same, err := gateway.AnchorAudit(ctx, log, ledger, "audit-fwd")
	require.NoError(t, err)
	assert.Equal(t, a.TxID, same.TxID, "nothing new: no new transaction")
	appendN(1200) // more than one page
	b, err := gateway.AnchorAudit(ctx, log, ledger, "audit-fwd")
	require.NoError(t, err)
	assert.EqualValues(t, 1203, b.Seq)
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	assert.Equal(t, v.Head, b.Hash)
}
