package rediscache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ucx-export/ucx/gateway"
)

// AuditLog is a gateway.AuditLog in Redis, shared by every gateway replica:
//
//	ucx:audit:head  hash  seq, hash of the last entry
//	ucx:audit:log   sorted set  AuditEntry JSON scored by its seq
//
// An append reads the head, chains the entries after it (gateway.ChainAudit) and runs one Lua
// script that appends them only if the head is still the one read; a replica that lost the
// race to another reads the new head and tries again. Durability is the server's
// (appendfsync always in deploy/redis/redis.conf). Safe for concurrent use.
type AuditLog struct {
	rdb    client
	prefix string
	now    func() time.Time
}

var _ gateway.AuditLog = (*AuditLog)(nil)

// NewAuditLog returns the audit log over rdb (see NewClient). Options: WithPrefix.
func NewAuditLog(rdb redis.UniversalClient, opts ...Option) *AuditLog {
	c := newConfig(opts)
	return &AuditLog{rdb: rdb, prefix: c.prefix, now: time.Now}
}

func (a *AuditLog) headKey() string { return a.prefix + "audit:head" }
func (a *AuditLog) logKey() string  { return a.prefix + "audit:log" }

// auditAppendAttempts bounds the appends lost to other replicas before giving up
// (EUNAVAILABLE): each loss means another append succeeded, so the log is moving.
const auditAppendAttempts = 32

// appendScript appends chained entries if the head is still the one they were chained to.
//
// KEYS: 1 head hash, 2 log sorted set. ARGV: 1 expected head seq ("0" for an empty log),
// 2 expected head hash ("" for an empty log), 3 new head seq, 4 new head hash, then a score
// and an entry JSON per entry. Returns 1 when appended, 0 when the head moved.
//
// go-redis resends a command whose connection broke before the reply: when the head has
// moved but the entry after the expected head is this call's first entry, this call is the
// one that moved it, and the answer is 1 again (no entry is ever appended twice).
var appendScript = redis.NewScript(`
local head = redis.call('HMGET', KEYS[1], 'seq', 'hash')
if (head[1] or '0') ~= ARGV[1] or (head[2] or '') ~= ARGV[2] then
  local next = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[5], ARGV[5])
  if next[1] == ARGV[6] then return 1 end
  return 0
end
for i = 5, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], 'NX', ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'seq', ARGV[3], 'hash', ARGV[4])
return 1
`)

func (a *AuditLog) head(ctx context.Context) (gateway.AuditHead, error) {
	vals, err := a.rdb.HMGet(ctx, a.headKey(), "seq", "hash").Result()
	if err != nil {
		return gateway.AuditHead{}, auditUnavailable(err)
	}
	var h gateway.AuditHead
	if s, ok := vals[0].(string); ok {
		if h.Seq, err = strconv.ParseUint(s, 10, 64); err != nil {
			return gateway.AuditHead{}, auditUnavailable(fmt.Errorf("audit head seq %q: %w", s, err))
		}
	}
	h.Hash, _ = vals[1].(string)
	return h, nil
}

func auditUnavailable(err error) error {
	return gateway.Wrap(err, gateway.EUNAVAILABLE, "the audit log is unavailable", "审计日志不可用")
}

// Append implements gateway.AuditLog.
func (a *AuditLog) Append(ctx context.Context, entries ...*gateway.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	now := a.now()
	for attempt := 0; attempt < auditAppendAttempts; attempt++ {
		head, err := a.head(ctx)
		if err != nil {
			return err
		}
		next := gateway.ChainAudit(head, entries, now)
		args := make([]any, 0, 4+2*len(entries))
		args = append(args, strconv.FormatUint(head.Seq, 10), head.Hash, strconv.FormatUint(next.Seq, 10), next.Hash)
		for _, e := range entries {
			data, err := json.Marshal(e)
			if err != nil {
				return auditUnavailable(err)
			}
			args = append(args, strconv.FormatUint(e.Seq, 10), data)
		}
		ok, err := appendScript.Run(ctx, a.rdb, []string{a.headKey(), a.logKey()}, args...).Int()
		if err != nil {
			return auditUnavailable(err)
		}
		if ok == 1 {
			return nil
		}
	}
	return auditUnavailable(errors.New("audit append lost the race to other replicas too often"))
}

// auditChunk is how many entries one Redis call reads.
const auditChunk = 500

// scan calls fn for the entries with after < seq ≤ upTo, in seq order, a chunk per call,
// until fn returns false. Entries that do not decode are passed as nil with their score.
func (a *AuditLog) scan(ctx context.Context, after, upTo uint64, fn func(seq uint64, e *gateway.AuditEntry) bool) error {
	for after < upTo {
		zs, err := a.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: a.logKey(), ByScore: true,
			Start: "(" + strconv.FormatUint(after, 10), Stop: strconv.FormatUint(upTo, 10), Count: auditChunk}).Result()
		if err != nil {
			return auditUnavailable(err)
		}
		if len(zs) == 0 {
			return nil
		}
		for _, z := range zs {
			seq := uint64(z.Score)
			var e gateway.AuditEntry
			ep := &e
			member, _ := z.Member.(string)
			if json.Unmarshal([]byte(member), &e) != nil {
				ep = nil
			}
			if !fn(seq, ep) {
				return nil
			}
			after = seq
		}
	}
	return nil
}

// Entries implements gateway.AuditLog: reads chunks of the sorted set after the cursor up to
// the head read first, filtering in the gateway.
func (a *AuditLog) Entries(ctx context.Context, q gateway.AuditQuery) (*gateway.AuditPage, error) {
	head, err := a.head(ctx)
	if err != nil {
		return nil, err
	}
	page := &gateway.AuditPage{Entries: []*gateway.AuditEntry{}}
	limit := q.PageLimit()
	var bad error
	err = a.scan(ctx, q.After, head.Seq, func(seq uint64, e *gateway.AuditEntry) bool {
		if len(page.Entries) == limit {
			page.Next = page.Entries[limit-1].Seq
			return false
		}
		if e == nil {
			bad = fmt.Errorf("audit entry %d cannot be decoded", seq)
			return false
		}
		if q.Matches(e) {
			page.Entries = append(page.Entries, e)
		}
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, auditUnavailable(err)
	}
	return page, nil
}

// Verify implements gateway.AuditLog: the chain up to the head read first (entries appended
// meanwhile are checked next time).
func (a *AuditLog) Verify(ctx context.Context) (*gateway.AuditVerification, error) {
	head, err := a.head(ctx)
	if err != nil {
		return nil, err
	}
	v := gateway.NewAuditVerifier()
	if err := a.scan(ctx, 0, head.Seq, func(seq uint64, e *gateway.AuditEntry) bool {
		v.Next(seq, e)
		return !v.Broken()
	}); err != nil {
		return nil, err
	}
	return v.Finish(head), nil
}
