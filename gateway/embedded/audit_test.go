package embedded_test

import (
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
)

func TestAuditLogConformance(t *testing.T) {
	dirs := map[gateway.AuditLog]string{}
	open := func(t *testing.T, dir string) *embedded.AuditLog {
		a, err := embedded.OpenAuditLog(dir)
		require.NoError(t, err)
		t.Cleanup(func() { a.Close() })
		dirs[a] = dir
		return a
	}
	gatewaytest.TestAuditLog(t, func(t *testing.T) gateway.AuditLog {
		return open(t, t.TempDir())
	}, func(t *testing.T, log gateway.AuditLog, seq uint64) gateway.AuditLog {
		// Edit the file with bbolt itself, the gateway's log closed, as an operator could.
		dir := dirs[log]
		require.NoError(t, log.(*embedded.AuditLog).Close())
		TamperAuditEntry(t, filepath.Join(dir, embedded.AuditFile), seq)
		return open(t, dir)
	})
}

// TamperAuditEntry rewrites the subject of entry seq in an audit file, keeping its hash.
func TamperAuditEntry(t testing.TB, path string, seq uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		key := binary.BigEndian.AppendUint64(nil, seq)
		var e map[string]any
		require.NoError(t, json.Unmarshal(b.Get(key), &e))
		e["subject"] = "tampered"
		data, err := json.Marshal(e)
		require.NoError(t, err)
		return b.Put(key, data)
	}))
}
