package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ucx-export/ucx/gateway"
)

// WebhookFile is the name of the webhook queue's file inside the data directory: its own
// file, so that deliveries never wait on the filing store's write lock.
const WebhookFile = "webhooks.db"

var (
	bucketWHMeta   = []byte("meta")          // "cursor" → 8-byte big-endian Seq
	bucketWHSubs   = []byte("subscriptions") // ID → WebhookSubscription JSON (with its secret)
	bucketWHQueues = []byte("queues")        // ID → bucket: due (8) + Seq (8) → WebhookDelivery JSON
	bucketWHDead   = []byte("dead-letters")  // ID → bucket: event ID → WebhookDelivery JSON
	keyWHCursor    = []byte("cursor")
)

// WebhookQueue is the embedded gateway.WebhookQueue: one bbolt file, every write fsync'd
// before it returns. A subscription's queue is ordered by due time (0 for a new delivery),
// then Seq. Leases are kept in memory: the file lock admits one process, so a restarted
// process claims at once what its predecessor had leased. Safe for concurrent use.
type WebhookQueue struct {
	db    *bolt.DB
	lease time.Duration

	mu     sync.Mutex
	leased map[string]time.Time // subscription ID \x00 queue key → lease expiry
}

var _ gateway.WebhookQueue = (*WebhookQueue)(nil)

// OpenWebhookQueue opens (creating when absent) the webhook queue in dataDir; a claimed
// delivery stays leased for lease.
func OpenWebhookQueue(dataDir string, lease time.Duration) (*WebhookQueue, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dataDir, WebhookFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketWHMeta, bucketWHSubs, bucketWHQueues, bucketWHDead} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init webhook buckets: %w", err)
	}
	return &WebhookQueue{db: db, lease: lease, leased: map[string]time.Time{}}, nil
}

// Close closes the file.
func (q *WebhookQueue) Close() error { return q.db.Close() }

func seqBytes(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// queueKey orders a queue by due time, then Seq; a new delivery is due at 0.
func queueKey(due time.Time, seq uint64) []byte {
	var ms uint64
	if !due.IsZero() && due.UnixMilli() > 0 {
		ms = uint64(due.UnixMilli())
	}
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, ms), seq)
}

func cursorOf(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bucketWHMeta).Get(keyWHCursor); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func subNotFound(id string) error {
	return gateway.Errorf(gateway.ENOTFOUND, "no webhook subscription %s", "未找到推送订阅 %s", id)
}

// CreateSubscription implements gateway.WebhookQueue.
func (q *WebhookQueue) CreateSubscription(ctx context.Context, s *gateway.WebhookSubscription) error {
	return q.db.Update(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketWHSubs)
		if subs.Get([]byte(s.ID)) != nil {
			return gateway.Errorf(gateway.ECONFLICT, "webhook subscription %s exists", "推送订阅 %s 已存在", s.ID)
		}
		s.After = cursorOf(tx)
		if err := putSubscription(subs, s); err != nil {
			return err
		}
		if _, err := tx.Bucket(bucketWHQueues).CreateBucket([]byte(s.ID)); err != nil {
			return err
		}
		_, err := tx.Bucket(bucketWHDead).CreateBucket([]byte(s.ID))
		return err
	})
}

// storedSubscription keeps the secret, which the subscription's JSON never shows.
type storedSubscription struct {
	gateway.WebhookSubscription
	Secret string `json:"secret"`
}

func putSubscription(b *bolt.Bucket, s *gateway.WebhookSubscription) error {
	data, err := json.Marshal(storedSubscription{WebhookSubscription: *s, Secret: s.Secret})
	if err != nil {
		return err
	}
	return b.Put([]byte(s.ID), data)
}

func decodeSubscription(v []byte) (gateway.WebhookSubscription, error) {
	var st storedSubscription
	if err := json.Unmarshal(v, &st); err != nil {
		return gateway.WebhookSubscription{}, fmt.Errorf("decode webhook subscription: %w", err)
	}
	st.WebhookSubscription.Secret = st.Secret
	return st.WebhookSubscription, nil
}

// Subscription implements gateway.WebhookQueue.
func (q *WebhookQueue) Subscription(ctx context.Context, id string) (*gateway.WebhookSubscription, error) {
	var out gateway.WebhookSubscription
	err := q.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketWHSubs).Get([]byte(id))
		if v == nil {
			return subNotFound(id)
		}
		var err error
		out, err = decodeSubscription(v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Subscriptions implements gateway.WebhookQueue.
func (q *WebhookQueue) Subscriptions(ctx context.Context) ([]gateway.WebhookSubscription, error) {
	out := []gateway.WebhookSubscription{}
	err := q.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWHSubs).ForEach(func(_, v []byte) error {
			s, err := decodeSubscription(v)
			out = append(out, s)
			return err
		})
	})
	return out, err
}

// DeleteSubscription implements gateway.WebhookQueue.
func (q *WebhookQueue) DeleteSubscription(ctx context.Context, id string) error {
	q.mu.Lock()
	for k := range q.leased {
		if strings.HasPrefix(k, id+"\x00") {
			delete(q.leased, k)
		}
	}
	q.mu.Unlock()
	return q.db.Update(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketWHSubs)
		if subs.Get([]byte(id)) == nil {
			return subNotFound(id)
		}
		if err := subs.Delete([]byte(id)); err != nil {
			return err
		}
		for _, parent := range [][]byte{bucketWHQueues, bucketWHDead} {
			if err := tx.Bucket(parent).DeleteBucket([]byte(id)); err != nil && err != bolt.ErrBucketNotFound {
				return err
			}
		}
		return nil
	})
}

// Cursor implements gateway.WebhookQueue.
func (q *WebhookQueue) Cursor(ctx context.Context) (uint64, error) {
	var c uint64
	err := q.db.View(func(tx *bolt.Tx) error { c = cursorOf(tx); return nil })
	return c, err
}

// checkBatch refuses a batch whose Seqs do not increase from after + 1 on.
func checkBatch(after uint64, batch []gateway.WebhookDelivery) error {
	prev := after
	for i, d := range batch {
		if d.Change.Seq <= prev {
			return gateway.Errorf(gateway.EINVALID, "change %d of the batch has seq %d, not after %d", "批次第 %d 条变更序号 %d 未大于 %d", i, d.Change.Seq, prev)
		}
		prev = d.Change.Seq
	}
	return nil
}

// Enqueue implements gateway.WebhookQueue: one fsync'd transaction.
func (q *WebhookQueue) Enqueue(ctx context.Context, after uint64, batch []gateway.WebhookDelivery) (int, error) {
	if err := checkBatch(after, batch); err != nil || len(batch) == 0 {
		return 0, err
	}
	n := 0
	err := q.db.Update(func(tx *bolt.Tx) error {
		n = 0
		if c := cursorOf(tx); c != after {
			return gateway.Errorf(gateway.ECONFLICT, "the webhook cursor is at %d, not %d", "推送游标位于 %d，而非 %d", c, after)
		}
		queues := tx.Bucket(bucketWHQueues)
		err := tx.Bucket(bucketWHSubs).ForEach(func(k, v []byte) error {
			s, err := decodeSubscription(v)
			if err != nil {
				return err
			}
			b := queues.Bucket(k)
			if b == nil {
				return fmt.Errorf("webhook subscription %s has no queue", k)
			}
			for _, d := range batch {
				if !s.Wants(d.Change.Kind) {
					continue
				}
				d.SubscriptionID = s.ID
				data, err := json.Marshal(d)
				if err != nil {
					return err
				}
				if err := b.Put(queueKey(time.Time{}, d.Change.Seq), data); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketWHMeta).Put(keyWHCursor, seqBytes(batch[len(batch)-1].Change.Seq))
	})
	return n, err
}

// Claim implements gateway.WebhookQueue.
func (q *WebhookQueue) Claim(ctx context.Context, id string, now time.Time, max int) ([]gateway.WebhookDelivery, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := []gateway.WebhookDelivery{}
	wall := time.Now()
	limit := queueKey(now, ^uint64(0))
	err := q.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWHQueues).Bucket([]byte(id))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(out) < max && bytes.Compare(k, limit) <= 0; k, v = c.Next() {
			lk := id + "\x00" + string(k)
			if until, ok := q.leased[lk]; ok && wall.Before(until) {
				continue
			}
			var d gateway.WebhookDelivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode webhook delivery: %w", err)
			}
			d.Token = hex.EncodeToString(k)
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range out {
		k, _ := hex.DecodeString(d.Token)
		q.leased[id+"\x00"+string(k)] = wall.Add(q.lease)
	}
	return out, nil
}

// settle removes d's queue entry and its lease and, with put, writes in the same
// transaction; nothing happens when the entry is gone.
func (q *WebhookQueue) settle(d gateway.WebhookDelivery, put func(tx *bolt.Tx) error) error {
	k, err := hex.DecodeString(d.Token)
	if err != nil || len(k) != 16 {
		return gateway.Errorf(gateway.EINVALID, "not a claimed delivery", "不是已领取的推送")
	}
	err = q.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWHQueues).Bucket([]byte(d.SubscriptionID))
		if b == nil || b.Get(k) == nil {
			return nil
		}
		if err := b.Delete(k); err != nil {
			return err
		}
		if put == nil {
			return nil
		}
		return put(tx)
	})
	q.mu.Lock()
	delete(q.leased, d.SubscriptionID+"\x00"+string(k))
	q.mu.Unlock()
	return err
}

// Ack implements gateway.WebhookQueue.
func (q *WebhookQueue) Ack(ctx context.Context, d gateway.WebhookDelivery) error {
	return q.settle(d, nil)
}

// Retry implements gateway.WebhookQueue.
func (q *WebhookQueue) Retry(ctx context.Context, d gateway.WebhookDelivery, due time.Time) error {
	return q.settle(d, func(tx *bolt.Tx) error {
		d.Token = ""
		data, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketWHQueues).Bucket([]byte(d.SubscriptionID)).Put(queueKey(due, d.Change.Seq), data)
	})
}

// DeadLetter implements gateway.WebhookQueue.
func (q *WebhookQueue) DeadLetter(ctx context.Context, d gateway.WebhookDelivery) error {
	return q.settle(d, func(tx *bolt.Tx) error {
		d.Token = ""
		data, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketWHDead).Bucket([]byte(d.SubscriptionID)).Put([]byte(d.EventID), data)
	})
}

// DeadLetters implements gateway.WebhookQueue.
func (q *WebhookQueue) DeadLetters(ctx context.Context, id string) ([]gateway.WebhookDelivery, error) {
	out := []gateway.WebhookDelivery{}
	err := q.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWHDead).Bucket([]byte(id))
		if b == nil {
			return subNotFound(id)
		}
		return b.ForEach(func(_, v []byte) error {
			var d gateway.WebhookDelivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode dead letter: %w", err)
			}
			out = append(out, d)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Change.Seq < out[j].Change.Seq })
	return out, err
}

// Redeliver implements gateway.WebhookQueue.
func (q *WebhookQueue) Redeliver(ctx context.Context, id, eventID string) error {
	return q.db.Update(func(tx *bolt.Tx) error {
		dead := tx.Bucket(bucketWHDead).Bucket([]byte(id))
		if dead == nil {
			return subNotFound(id)
		}
		v := dead.Get([]byte(eventID))
		if v == nil {
			return gateway.Errorf(gateway.ENOTFOUND, "no dead letter %s in subscription %s", "推送订阅 %[2]s 中无死信 %[1]s", eventID, id)
		}
		var d gateway.WebhookDelivery
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("decode dead letter: %w", err)
		}
		d.Attempts, d.DeadAt = 0, time.Time{}
		data, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := dead.Delete([]byte(eventID)); err != nil {
			return err
		}
		return tx.Bucket(bucketWHQueues).Bucket([]byte(id)).Put(queueKey(time.Time{}, d.Change.Seq), data)
	})
}
