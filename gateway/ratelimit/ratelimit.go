// Package ratelimit limits how often a caller may call the gateway (issue 7 §4): a token
// bucket per caller and route class. Memory is the in-process limiter of the embedded mode;
// rediscache.RateLimiter is the same bucket as a Lua script in Redis, shared by every replica
// (production mode). Both pass gatewaytest.TestLimiter.
//
// A bucket holds at most Burst tokens and refills at Limit tokens per second; a request takes
// one token, or is refused with the time until the next token. Route classes:
//
//	public  routes anyone may call without a token (health, OpenAPI, verification), per client IP
//	read    GET and HEAD of the other routes, per caller (the token's org and subject)
//	write   every other method (filings, events, decisions …), per caller
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Class is a route class: routes of one class share a caller's bucket.
type Class string

// The route classes.
const (
	Public Class = "public"
	Read   Class = "read"
	Write  Class = "write"
)

// Classes lists the route classes in a fixed order.
var Classes = []Class{Public, Read, Write}

// Limiter decides whether a caller may make one more request of a class.
type Limiter interface {
	// Allow takes a token from the bucket of key and class. When there is none it answers
	// false and how long until there is one. A class without a rate is not limited. Errors:
	// EUNAVAILABLE when the limiter's store cannot be reached (the caller decides what then).
	Allow(ctx context.Context, key string, class Class) (allowed bool, retryAfter time.Duration, err error)
}

// Rate is a token bucket's shape: Limit tokens per second, at most Burst at once. The zero
// Rate is "off": not limited.
type Rate struct {
	Limit float64 `json:"limit"`
	Burst int     `json:"burst"`
}

// Off reports whether r does not limit.
func (r Rate) Off() bool { return r.Limit <= 0 || r.Burst <= 0 }

// String formats r as ParseRate reads it.
func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	return strconv.FormatFloat(r.Limit, 'f', -1, 64) + "/s:" + strconv.Itoa(r.Burst)
}

// ParseRate reads a rate: "off", or N/UNIT[:BURST] with UNIT s, m or h — N requests per
// second, minute or hour, in bursts of up to BURST (default N, at least 1): "10/s:20",
// "600/m" (10 per second, bursts of 600), "off".
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Rate{}, nil
	}
	spec, burstStr, hasBurst := strings.Cut(s, ":")
	nStr, unit, ok := strings.Cut(spec, "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/s, N/m or N/h (optionally :BURST), or off", s)
	}
	n, err := strconv.ParseFloat(nStr, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return Rate{}, fmt.Errorf("rate %q: N must be a positive number", s)
	}
	per := map[string]float64{"s": 1, "m": 60, "h": 3600}[unit]
	if per == 0 {
		return Rate{}, fmt.Errorf("rate %q: the unit must be s, m or h", s)
	}
	r := Rate{Limit: n / per, Burst: max(1, int(math.Ceil(n)))}
	if hasBurst {
		b, err := strconv.Atoi(burstStr)
		if err != nil || b < 1 {
			return Rate{}, fmt.Errorf("rate %q: the burst must be a positive integer", s)
		}
		r.Burst = b
	}
	return r, nil
}

// Rates are the rates of the route classes; a class not listed is not limited.
type Rates map[Class]Rate

// DefaultRates are the rates exportgw starts with. ASSUMPTION: an exporter files at most a
// few vehicles a second (a batch of up to 1,000 counts once); an agency system reads faster.
func DefaultRates() Rates {
	return Rates{
		Public: {Limit: 10, Burst: 20},
		Read:   {Limit: 50, Burst: 100},
		Write:  {Limit: 10, Burst: 20},
	}
}

// take is the token bucket both implementations compute (the Lua script in rediscache is
// its transcription): tokens held at last, now elapsed seconds later, refilled and capped,
// one taken if there is one. It returns the new count and, when refused, the wait.
func take(r Rate, tokens, elapsed float64) (left float64, allowed bool, wait time.Duration) {
	tokens = math.Min(float64(r.Burst), tokens+math.Max(0, elapsed)*r.Limit)
	if tokens >= 1 {
		return tokens - 1, true, 0
	}
	return tokens, false, time.Duration(math.Ceil((1 - tokens) / r.Limit * float64(time.Second)))
}

// Memory is the in-process Limiter: a bucket per key and class in a map. Buckets that have
// refilled completely are dropped once a minute (the same as a full bucket), so the map
// holds only the callers of the last moments.
type Memory struct {
	rates Rates
	now   func() time.Time

	mu      sync.Mutex
	buckets map[bucketKey]*bucket
	swept   time.Time
}

type bucketKey struct {
	class Class
	key   string
}

type bucket struct {
	tokens float64
	at     time.Time
}

var _ Limiter = (*Memory)(nil)

// Option configures NewMemory.
type Option func(*Memory)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(m *Memory) { m.now = now } }

// NewMemory returns an in-process limiter with the given rates.
func NewMemory(rates Rates, opts ...Option) *Memory {
	m := &Memory{rates: rates, now: time.Now, buckets: map[bucketKey]*bucket{}}
	for _, o := range opts {
		o(m)
	}
	m.swept = m.now()
	return m
}

// sweepEvery is how often Memory drops its full buckets.
const sweepEvery = time.Minute

// Allow implements Limiter; it never fails.
func (m *Memory) Allow(_ context.Context, key string, class Class) (bool, time.Duration, error) {
	r := m.rates[class]
	if r.Off() {
		return true, 0, nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.swept) >= sweepEvery {
		m.sweep(now)
	}
	k := bucketKey{class, key}
	b := m.buckets[k]
	if b == nil {
		b = &bucket{tokens: float64(r.Burst), at: now}
		m.buckets[k] = b
	}
	left, ok, wait := take(r, b.tokens, now.Sub(b.at).Seconds())
	b.tokens = left
	if now.After(b.at) {
		b.at = now
	}
	return ok, wait, nil
}

// sweep drops the buckets that are full again (forgetting them changes nothing).
func (m *Memory) sweep(now time.Time) {
	for k, b := range m.buckets {
		r := m.rates[k.class]
		if r.Off() || b.tokens+now.Sub(b.at).Seconds()*r.Limit >= float64(r.Burst) {
			delete(m.buckets, k)
		}
	}
	m.swept = now
}

// Fallback returns a Limiter that asks primary and, when primary fails, secondary: for
// Redis, the replica's own in-process buckets while Redis is down (each replica then limits
// on its own, so N replicas let N times the rate through). After a failure primary is left
// alone for backoff, so that a dead Redis costs one failed call per backoff, not one per
// request. onError, when set, is told of each failure.
func Fallback(primary, secondary Limiter, backoff time.Duration, onError func(error)) Limiter {
	return &fallback{primary: primary, secondary: secondary, backoff: backoff, onError: onError, now: time.Now}
}

type fallback struct {
	primary, secondary Limiter
	backoff            time.Duration
	onError            func(error)
	now                func() time.Time

	mu    sync.Mutex
	until time.Time
}

func (f *fallback) Allow(ctx context.Context, key string, class Class) (bool, time.Duration, error) {
	f.mu.Lock()
	skip := f.now().Before(f.until)
	f.mu.Unlock()
	if !skip {
		ok, wait, err := f.primary.Allow(ctx, key, class)
		if err == nil {
			return ok, wait, nil
		}
		if f.onError != nil {
			f.onError(err)
		}
		f.mu.Lock()
		f.until = f.now().Add(f.backoff)
		f.mu.Unlock()
	}
	return f.secondary.Allow(ctx, key, class)
}
