package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ucx-export/ucx/gateway"
)

// AuditFile is the name of the audit log's file inside the data directory: a file of its own,
// so that whoever can edit the filings store cannot also rewrite the log in the same place,
// and so that the log can be copied or shipped elsewhere on its own.
const AuditFile = "audit.db"

var (
	bucketAudit     = []byte("audit")      // seq (8 bytes big-endian) → AuditEntry JSON
	bucketAuditHead = []byte("audit-head") // "head" → AuditHead JSON
	keyAuditHead    = []byte("head")
)

// AuditLog is the embedded gateway.AuditLog: one bbolt file, every append an fsync'd
// transaction (concurrent appends share one). Entries are only ever added; the chain of hashes
// shows an entry edited or removed behind the gateway's back (Verify). Safe for concurrent use.
type AuditLog struct {
	db  *bolt.DB
	now func() time.Time
}

var _ gateway.AuditLog = (*AuditLog)(nil)

// OpenAuditLog opens (creating when absent) the audit log in dataDir.
func OpenAuditLog(dataDir string) (*AuditLog, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dataDir, AuditFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAudit, bucketAuditHead} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init audit buckets: %w", err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond
	return &AuditLog{db: db, now: time.Now}, nil
}

// Close closes the file.
func (a *AuditLog) Close() error { return a.db.Close() }

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func auditUnavailable(err error) error {
	return gateway.Wrap(err, gateway.EUNAVAILABLE, "the audit log is unavailable", "审计日志不可用")
}

// Append implements gateway.AuditLog: one fsync'd transaction, group-committed with
// concurrent appends.
func (a *AuditLog) Append(ctx context.Context, entries ...*gateway.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return auditUnavailable(err)
	}
	now := a.now()
	// Batch may run the function twice: it derives everything from the transaction's state.
	err := a.db.Batch(func(tx *bolt.Tx) error {
		var head gateway.AuditHead
		if raw := tx.Bucket(bucketAuditHead).Get(keyAuditHead); raw != nil {
			if err := json.Unmarshal(raw, &head); err != nil {
				return fmt.Errorf("decode audit head: %w", err)
			}
		}
		head = gateway.ChainAudit(head, entries, now)
		b := tx.Bucket(bucketAudit)
		for _, e := range entries {
			data, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if b.Get(seqKey(e.Seq)) != nil {
				return fmt.Errorf("audit entry %d exists", e.Seq)
			}
			if err := b.Put(seqKey(e.Seq), data); err != nil {
				return err
			}
		}
		data, err := json.Marshal(head)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketAuditHead).Put(keyAuditHead, data)
	})
	if err != nil {
		return auditUnavailable(err)
	}
	return nil
}

// Entries implements gateway.AuditLog.
func (a *AuditLog) Entries(ctx context.Context, q gateway.AuditQuery) (*gateway.AuditPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, auditUnavailable(err)
	}
	page := &gateway.AuditPage{Entries: []*gateway.AuditEntry{}}
	limit := q.PageLimit()
	err := a.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Seek(seqKey(q.After + 1)); k != nil; k, v = c.Next() {
			if len(page.Entries) == limit {
				page.Next = page.Entries[limit-1].Seq
				return nil
			}
			var e gateway.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode audit entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if q.Matches(&e) {
				page.Entries = append(page.Entries, &e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, auditUnavailable(err)
	}
	return page, nil
}

// Verify implements gateway.AuditLog: one read transaction over the whole log.
func (a *AuditLog) Verify(ctx context.Context) (*gateway.AuditVerification, error) {
	if err := ctx.Err(); err != nil {
		return nil, auditUnavailable(err)
	}
	var out *gateway.AuditVerification
	err := a.db.View(func(tx *bolt.Tx) error {
		v := gateway.NewAuditVerifier()
		c := tx.Bucket(bucketAudit).Cursor()
		for k, raw := c.First(); k != nil && !v.Broken(); k, raw = c.Next() {
			var e gateway.AuditEntry
			ep := &e
			if len(k) != 8 || json.Unmarshal(raw, &e) != nil {
				ep = nil
			}
			seq := uint64(0)
			if len(k) == 8 {
				seq = binary.BigEndian.Uint64(k)
			}
			v.Next(seq, ep)
		}
		var head gateway.AuditHead
		if raw := tx.Bucket(bucketAuditHead).Get(keyAuditHead); raw != nil && json.Unmarshal(raw, &head) != nil {
			head = gateway.AuditHead{Seq: ^uint64(0)} // unreadable: matches no chain
		}
		out = v.Finish(head)
		return nil
	})
	if err != nil {
		return nil, auditUnavailable(err)
	}
	return out, nil
}
