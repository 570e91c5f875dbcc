package rediscache

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ucx-export/ucx/gateway/ratelimit"
)

// RateLimiter is a ratelimit.Limiter in Redis, shared by every gateway replica: one token
// bucket per caller and route class, the hash {prefix}rl:{class}:{key} with fields t (tokens
// left) and ts (when, in ms), taken by one Lua script (the bucket of ratelimit.Memory,
// transcribed). Time is the Redis server's TIME, one clock for every replica. An idle bucket
// expires once it would be full again.
type RateLimiter struct {
	rdb     redis.Scripter
	rates   ratelimit.Rates
	prefix  string
	timeout time.Duration
	now     func() time.Time // nil: the server's TIME
}

var _ ratelimit.Limiter = (*RateLimiter)(nil)

// NewRateLimiter returns the Redis limiter with the given rates over rdb (see NewClient).
// Options: WithPrefix, WithCacheTimeout (bounds each call; default 250 ms), WithClock (the
// time is then sent with each call instead of read from the server: tests).
func NewRateLimiter(rdb redis.Scripter, rates ratelimit.Rates, opts ...Option) *RateLimiter {
	c := newConfig(opts)
	l := &RateLimiter{rdb: rdb, rates: rates, prefix: c.prefix, timeout: c.cacheTimeout}
	if c.clockSet {
		l.now = c.now
	}
	return l
}

// rateScript takes a token: KEYS[1] the bucket; ARGV rate (tokens per ms), burst, now (ms,
// or "" for the server's TIME), expiry (ms). It returns {allowed (1/0), wait (ms)}. The time
// kept never goes back, so replicas' clocks (WithClock) cannot refill a bucket twice.
var rateScript = redis.NewScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now
if ARGV[3] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[3])
end
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens, ts = tonumber(b[1]), tonumber(b[2])
if tokens == nil or ts == nil then
  tokens, ts = burst, now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'ts', math.max(ts, now))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {allowed, wait}
`)

var errUnexpectedReply = errors.New("rate limit script: unexpected reply")

// Allow implements ratelimit.Limiter. Errors: EUNAVAILABLE when Redis cannot be reached in
// time (wrap it in ratelimit.Fallback).
func (l *RateLimiter) Allow(ctx context.Context, key string, class ratelimit.Class) (bool, time.Duration, error) {
	r := l.rates[class]
	if r.Off() {
		return true, 0, nil
	}
	now := ""
	if l.now != nil {
		now = strconv.FormatInt(l.now().UnixMilli(), 10)
	}
	expiry := int64(math.Ceil(float64(r.Burst)/r.Limit*1000)) + 1000
	if l.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.timeout)
		defer cancel()
	}
	res, err := rateScript.Run(ctx, l.rdb, []string{l.prefix + "rl:" + string(class) + ":" + key},
		strconv.FormatFloat(r.Limit/1000, 'g', -1, 64), r.Burst, now, expiry).Int64Slice()
	if err != nil {
		return false, 0, translate(err, nil)
	}
	if len(res) != 2 {
		return false, 0, translate(errUnexpectedReply, nil)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}
