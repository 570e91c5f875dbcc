package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ucx-export/ucx/gateway"
)

// WebhookQueue is a gateway.WebhookQueue on Redis Streams, shared by every gateway replica.
// Key layout, under the prefix:
//
//	ucx:wh:cursor       string  Seq of the last credit change enqueued
//	ucx:wh:subs         hash  subscription ID → subscription JSON (with its secret)
//	ucx:wh:after        hash  subscription ID → the cursor when it was created
//	ucx:wh:q:{id}       stream  the subscription's deliveries (field d: delivery JSON),
//	                    consumer group "deliverers"
//	ucx:wh:retry:{id}   sorted set  deliveries waiting to be retried, scored by due time (ms)
//	ucx:wh:dead:{id}    hash  event ID → dead letter JSON
//
// Enqueue is one Lua script: it checks the cursor, XADDs each change to the stream of every
// subscription that wants it and moves the cursor, so a crash re-reads a batch and never
// skips one. Each Queue is a consumer of its own (host, process, random suffix): Claim reads
// new entries with XREADGROUP, and takes over with XAUTOCLAIM the entries another consumer
// has held longer than the lease (it died mid-delivery). Ack is XACK + XDEL in one MULTI;
// Retry and DeadLetter move an entry out of the stream only if XACK finds it pending, so a
// delivery settled by another consumer is not settled twice. Retry parks the delivery in the
// retry set; Claim first moves the due ones back onto the stream. Like the Store, the scripts
// reach keys by name: one Redis (or a prefix with a hash tag on Cluster).
type WebhookQueue struct {
	rdb      webhookClient
	prefix   string
	lease    time.Duration
	consumer string
}

var _ gateway.WebhookQueue = (*WebhookQueue)(nil)

// webhookClient is the part of go-redis the webhook queue uses.
type webhookClient interface {
	redis.Scripter
	Get(ctx context.Context, key string) *redis.StringCmd
	HGet(ctx context.Context, key, field string) *redis.StringCmd
	HGetAll(ctx context.Context, key string) *redis.MapStringStringCmd
	HExists(ctx context.Context, key, field string) *redis.BoolCmd
	XAutoClaim(ctx context.Context, a *redis.XAutoClaimArgs) *redis.XAutoClaimCmd
	XReadGroup(ctx context.Context, a *redis.XReadGroupArgs) *redis.XStreamSliceCmd
	TxPipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
}

// webhookGroup is the consumer group of every subscription's stream.
const webhookGroup = "deliverers"

// DefaultLease is how long a claimed delivery stays leased (WithLease).
const DefaultLease = time.Minute

// WithLease sets how long a claimed delivery stays leased to its consumer (WebhookQueue;
// default 1 min): past it another consumer claims it. Keep it above the delivery timeout.
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// NewWebhookQueue returns the webhook queue over rdb (see NewClient). Options: WithPrefix,
// WithLease.
func NewWebhookQueue(rdb redis.UniversalClient, opts ...Option) *WebhookQueue {
	c := newConfig(opts)
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &WebhookQueue{rdb: rdb, prefix: c.prefix, lease: c.lease,
		consumer: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))}
}

func (q *WebhookQueue) key(parts ...string) string {
	return q.prefix + "wh:" + strings.Join(parts, ":")
}
func (q *WebhookQueue) cursorKey() string          { return q.key("cursor") }
func (q *WebhookQueue) subsKey() string            { return q.key("subs") }
func (q *WebhookQueue) afterKey() string           { return q.key("after") }
func (q *WebhookQueue) streamKey(id string) string { return q.key("q", id) }
func (q *WebhookQueue) retryKey(id string) string  { return q.key("retry", id) }
func (q *WebhookQueue) deadKey(id string) string   { return q.key("dead", id) }

// createScript: KEYS 1 subs, 2 after, 3 cursor, 4 stream, 5 retry set, 6 dead letters; ARGV
// 1 ID, 2 subscription JSON. Returns -1 when the ID is taken, else the cursor (a string).
var createScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return -1 end
local cur = redis.call('GET', KEYS[3]) or '0'
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
redis.call('XGROUP', 'CREATE', KEYS[4], 'deliverers', '$', 'MKSTREAM')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], cur)
return cur
`)

// deleteScript: KEYS as createScript's; ARGV 1 ID. Returns 0 when absent.
var deleteScript = redis.NewScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
return 1
`)

// enqueueScript: KEYS 1 cursor, 2 subs; ARGV 1 expected cursor, 2 new cursor, 3 stream key
// prefix, then pairs of (change kind, delivery JSON). Returns -1 when the cursor moved, else
// how many entries it added.
var enqueueScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1]) or '0'
if cur ~= ARGV[1] then return -1 end
local subs = redis.call('HGETALL', KEYS[2])
local n = 0
for i = 1, #subs, 2 do
  local s = cjson.decode(subs[i + 1])
  local want = nil
  if type(s.kinds) == 'table' and #s.kinds > 0 then
    want = {}
    for _, k in ipairs(s.kinds) do want[k] = true end
  end
  for j = 4, #ARGV, 2 do
    if want == nil or want[ARGV[j]] then
      redis.call('XADD', ARGV[3] .. subs[i], '*', 'd', ARGV[j + 1])
      n = n + 1
    end
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return n
`)

// promoteScript moves due retries back onto the stream. KEYS 1 subs, 2 retry set, 3 stream;
// ARGV 1 ID, 2 now (ms), 3 max.
var promoteScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
for _, m in ipairs(due) do
  redis.call('XADD', KEYS[3], '*', 'd', m)
  redis.call('ZREM', KEYS[2], m)
end
return #due
`)

// settleScript takes a pending entry off the stream into the retry set (ARGV 5 "retry") or
// the dead letters ("dead"). KEYS 1 subs, 2 stream, 3 retry set or dead letters; ARGV 1 ID,
// 2 entry ID, 3 due (ms) or event ID, 4 delivery JSON, 5 where. Returns 0 when the entry was
// not pending (settled already, or the subscription is gone).
var settleScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('XACK', KEYS[2], 'deliverers', ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[2], ARGV[2])
if ARGV[5] == 'retry' then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
else
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
end
return 1
`)

// redeliverScript: KEYS 1 subs, 2 dead letters, 3 stream; ARGV 1 ID, 2 event ID, 3 delivery
// JSON. Returns 0 when the dead letter is gone.
var redeliverScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('XADD', KEYS[3], '*', 'd', ARGV[3])
return 1
`)

func (q *WebhookQueue) subKeys(id string) []string {
	return []string{q.subsKey(), q.afterKey(), q.cursorKey(), q.streamKey(id), q.retryKey(id), q.deadKey(id)}
}

// storedWebhookSubscription keeps the secret, which the subscription's JSON never shows.
type storedWebhookSubscription struct {
	gateway.WebhookSubscription
	Secret string `json:"secret"`
}

func decodeWebhookSubscription(data, after string) (gateway.WebhookSubscription, error) {
	var st storedWebhookSubscription
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		return gateway.WebhookSubscription{}, fmt.Errorf("decode webhook subscription: %w", err)
	}
	st.WebhookSubscription.Secret = st.Secret
	st.After, _ = strconv.ParseUint(after, 10, 64)
	return st.WebhookSubscription, nil
}

func webhookNotFound(id string) error {
	return gateway.Errorf(gateway.ENOTFOUND, "no webhook subscription %s", "未找到推送订阅 %s", id)
}

// CreateSubscription implements gateway.WebhookQueue: one script stores the subscription,
// notes the cursor and creates the stream with its consumer group.
func (q *WebhookQueue) CreateSubscription(ctx context.Context, s *gateway.WebhookSubscription) error {
	st := storedWebhookSubscription{WebhookSubscription: *s, Secret: s.Secret}
	st.After = 0
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	res, err := createScript.Run(ctx, q.rdb, q.subKeys(s.ID), s.ID, data).Result()
	if err != nil {
		return translate(err, nil)
	}
	if n, ok := res.(int64); ok && n == -1 {
		return gateway.Errorf(gateway.ECONFLICT, "webhook subscription %s exists", "推送订阅 %s 已存在", s.ID)
	}
	cur, _ := res.(string)
	s.After, err = strconv.ParseUint(cur, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook cursor %q: %w", cur, err)
	}
	return nil
}

// Subscription implements gateway.WebhookQueue.
func (q *WebhookQueue) Subscription(ctx context.Context, id string) (*gateway.WebhookSubscription, error) {
	var data, after *redis.StringCmd
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		data = p.HGet(ctx, q.subsKey(), id)
		after = p.HGet(ctx, q.afterKey(), id)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, translate(err, nil)
	}
	if data.Err() != nil {
		return nil, translate(data.Err(), webhookNotFound(id).(*gateway.Error))
	}
	s, err := decodeWebhookSubscription(data.Val(), after.Val())
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// Subscriptions implements gateway.WebhookQueue.
func (q *WebhookQueue) Subscriptions(ctx context.Context) ([]gateway.WebhookSubscription, error) {
	var subs, after *redis.MapStringStringCmd
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		subs = p.HGetAll(ctx, q.subsKey())
		after = p.HGetAll(ctx, q.afterKey())
		return nil
	})
	if err != nil {
		return nil, translate(err, nil)
	}
	out := []gateway.WebhookSubscription{}
	for id, data := range subs.Val() {
		s, err := decodeWebhookSubscription(data, after.Val()[id])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DeleteSubscription implements gateway.WebhookQueue.
func (q *WebhookQueue) DeleteSubscription(ctx context.Context, id string) error {
	n, err := deleteScript.Run(ctx, q.rdb, q.subKeys(id), id).Int64()
	if err != nil {
		return translate(err, nil)
	}
	if n == 0 {
		return webhookNotFound(id)
	}
	return nil
}

// Cursor implements gateway.WebhookQueue.
func (q *WebhookQueue) Cursor(ctx context.Context) (uint64, error) {
	v, err := q.rdb.Get(ctx, q.cursorKey()).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, translate(err, nil)
	}
	return strconv.ParseUint(v, 10, 64)
}

// Enqueue implements gateway.WebhookQueue: one script (enqueueScript).
func (q *WebhookQueue) Enqueue(ctx context.Context, after uint64, batch []gateway.WebhookDelivery) (int, error) {
	prev := after
	for i, d := range batch {
		if d.Change.Seq <= prev {
			return 0, gateway.Errorf(gateway.EINVALID, "change %d of the batch has seq %d, not after %d", "批次第 %d 条变更序号 %d 未大于 %d", i, d.Change.Seq, prev)
		}
		prev = d.Change.Seq
	}
	if len(batch) == 0 {
		return 0, nil
	}
	args := []any{strconv.FormatUint(after, 10), strconv.FormatUint(prev, 10), q.key("q", "")}
	for _, d := range batch {
		d.SubscriptionID, d.Token = "", ""
		data, err := json.Marshal(d)
		if err != nil {
			return 0, err
		}
		args = append(args, d.Change.Kind, data)
	}
	n, err := enqueueScript.Run(ctx, q.rdb, []string{q.cursorKey(), q.subsKey()}, args...).Int64()
	if err != nil {
		return 0, translate(err, nil)
	}
	if n < 0 {
		return 0, gateway.Errorf(gateway.ECONFLICT, "the webhook cursor is no longer at %d", "推送游标已不在 %d", after)
	}
	return int(n), nil
}

// Claim implements gateway.WebhookQueue: the due retries onto the stream, then the entries
// other consumers held past the lease (XAUTOCLAIM), then new entries (XREADGROUP).
func (q *WebhookQueue) Claim(ctx context.Context, id string, now time.Time, max int) ([]gateway.WebhookDelivery, error) {
	out := []gateway.WebhookDelivery{}
	if max <= 0 {
		return out, nil
	}
	stream := q.streamKey(id)
	if err := promoteScript.Run(ctx, q.rdb, []string{q.subsKey(), q.retryKey(id), stream}, id, now.UnixMilli(), max).Err(); err != nil {
		return nil, translate(err, nil)
	}
	add := func(msgs []redis.XMessage) error {
		for _, m := range msgs {
			data, _ := m.Values["d"].(string)
			var d gateway.WebhookDelivery
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				return fmt.Errorf("decode webhook delivery %s: %w", m.ID, err)
			}
			d.SubscriptionID, d.Token = id, m.ID
			out = append(out, d)
		}
		return nil
	}
	start := "0-0"
	for range 10 { // XAUTOCLAIM scans up to 10 × COUNT pending entries per call
		msgs, next, err := q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: stream, Group: webhookGroup, Consumer: q.consumer,
			MinIdle: q.lease, Start: start, Count: int64(max - len(out))}).Result()
		if noGroup(err) {
			return out, nil // no such subscription
		}
		if err != nil {
			return nil, translate(err, nil)
		}
		if err := add(msgs); err != nil {
			return nil, err
		}
		if next == "0-0" || len(out) >= max {
			break
		}
		start = next
	}
	if len(out) >= max {
		return out, nil
	}
	streams, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: webhookGroup, Consumer: q.consumer,
		Streams: []string{stream, ">"}, Count: int64(max - len(out)), Block: -1}).Result()
	switch {
	case errors.Is(err, redis.Nil) || noGroup(err):
		return out, nil
	case err != nil:
		return nil, translate(err, nil)
	}
	for _, s := range streams {
		if err := add(s.Messages); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// noGroup reports the error of a stream or consumer group that does not exist.
func noGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOGROUP") }

// Ack implements gateway.WebhookQueue: XACK and XDEL in one MULTI.
func (q *WebhookQueue) Ack(ctx context.Context, d gateway.WebhookDelivery) error {
	stream := q.streamKey(d.SubscriptionID)
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, stream, webhookGroup, d.Token)
		p.XDel(ctx, stream, d.Token)
		return nil
	})
	if noGroup(err) {
		return nil
	}
	return translate(err, nil)
}

// Retry implements gateway.WebhookQueue.
func (q *WebhookQueue) Retry(ctx context.Context, d gateway.WebhookDelivery, due time.Time) error {
	return q.settle(ctx, d, q.retryKey(d.SubscriptionID), strconv.FormatInt(due.UnixMilli(), 10), "retry")
}

// DeadLetter implements gateway.WebhookQueue.
func (q *WebhookQueue) DeadLetter(ctx context.Context, d gateway.WebhookDelivery) error {
	return q.settle(ctx, d, q.deadKey(d.SubscriptionID), d.EventID, "dead")
}

func (q *WebhookQueue) settle(ctx context.Context, d gateway.WebhookDelivery, target, arg, where string) error {
	id, entry := d.SubscriptionID, d.Token
	d.SubscriptionID, d.Token = "", ""
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	err = settleScript.Run(ctx, q.rdb, []string{q.subsKey(), q.streamKey(id), target}, id, entry, arg, data, where).Err()
	if noGroup(err) {
		return nil
	}
	return translate(err, nil)
}

// DeadLetters implements gateway.WebhookQueue.
func (q *WebhookQueue) DeadLetters(ctx context.Context, id string) ([]gateway.WebhookDelivery, error) {
	var exists *redis.BoolCmd
	var dead *redis.MapStringStringCmd
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.HExists(ctx, q.subsKey(), id)
		dead = p.HGetAll(ctx, q.deadKey(id))
		return nil
	})
	if err != nil {
		return nil, translate(err, nil)
	}
	if !exists.Val() {
		return nil, webhookNotFound(id)
	}
	out := []gateway.WebhookDelivery{}
	for _, data := range dead.Val() {
		var d gateway.WebhookDelivery
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, fmt.Errorf("decode dead letter: %w", err)
		}
		d.SubscriptionID = id
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Change.Seq < out[j].Change.Seq })
	return out, nil
}

// Redeliver implements gateway.WebhookQueue.
func (q *WebhookQueue) Redeliver(ctx context.Context, id, eventID string) error {
	notFound := gateway.Errorf(gateway.ENOTFOUND, "no dead letter %s in subscription %s", "推送订阅 %[2]s 中无死信 %[1]s", eventID, id)
	data, err := q.rdb.HGet(ctx, q.deadKey(id), eventID).Result()
	if errors.Is(err, redis.Nil) {
		if ok, err := q.rdb.HExists(ctx, q.subsKey(), id).Result(); err == nil && !ok {
			return webhookNotFound(id)
		}
		return notFound
	}
	if err != nil {
		return translate(err, nil)
	}
	var d gateway.WebhookDelivery
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return fmt.Errorf("decode dead letter: %w", err)
	}
	d.SubscriptionID, d.Attempts, d.DeadAt = "", 0, time.Time{}
	fresh, err := json.Marshal(d)
	if err != nil {
		return err
	}
	n, err := redeliverScript.Run(ctx, q.rdb, []string{q.subsKey(), q.deadKey(id), q.streamKey(id)}, id, eventID, fresh).Int64()
	if err != nil {
		return translate(err, nil)
	}
	if n == 0 {
		return notFound
	}
	return nil
}
