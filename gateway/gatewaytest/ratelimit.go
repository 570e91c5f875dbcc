package gatewaytest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway/ratelimit"
)

// NewLimiter returns the limiter under test with the given rates, reading the time from now;
// a nil now means the implementation's own clock (Redis: the server's TIME).
type NewLimiter func(t *testing.T, rates ratelimit.Rates, now func() time.Time) ratelimit.Limiter

// Clock is a manual clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestLimiter runs the Limiter conformance suite: the token bucket's burst, refill, cap,
// per-key and per-class buckets, "off" classes, and atomicity under concurrent callers.
func TestLimiter(t *testing.T, newLimiter NewLimiter) {
	ctx := context.Background()
	// Write: 1 a second, bursts of 3. Read: 10 a second, bursts of 2. Public: off.
	rates := ratelimit.Rates{ratelimit.Write: {Limit: 1, Burst: 3}, ratelimit.Read: {Limit: 10, Burst: 2}}
	var seq atomic.Int64
	key := func() string { return fmt.Sprintf("caller-%d-%d", time.Now().UnixNano(), seq.Add(1)) }
	allow := func(t *testing.T, l ratelimit.Limiter, k string, c ratelimit.Class) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := l.Allow(ctx, k, c)
		require.NoError(t, err)
		if ok {
			assert.Zero(t, wait, "no wait when allowed")
		} else {
			assert.Positive(t, wait, "a refusal says how long to wait")
		}
		return ok, wait
	}
	// within is true when got is want give or take the millisecond Redis rounds to.
	within := func(t *testing.T, want, got time.Duration) {
		t.Helper()
		assert.InDelta(t, float64(want), float64(got), float64(time.Millisecond), "wait %v, want %v", got, want)
	}

	t.Run("a burst, then refused until a token is back", func(t *testing.T) {
		clk := NewClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		l, k := newLimiter(t, rates, clk.Now), key()
		for i := range 3 {
			ok, _ := allow(t, l, k, ratelimit.Write)
			assert.True(t, ok, "request %d of the burst", i+1)
		}
		ok, wait := allow(t, l, k, ratelimit.Write)
		assert.False(t, ok, "the burst is used up")
		within(t, time.Second, wait)
		clk.Advance(400 * time.Millisecond)
		ok, wait = allow(t, l, k, ratelimit.Write)
		assert.False(t, ok, "0.4 tokens is not a token")
		within(t, 600*time.Millisecond, wait)
		clk.Advance(600 * time.Millisecond)
		ok, _ = allow(t, l, k, ratelimit.Write)
		assert.True(t, ok, "a token is back after a second")
		ok, _ = allow(t, l, k, ratelimit.Write)
		assert.False(t, ok, "and only one")
	})

	t.Run("refill stops at the burst", func(t *testing.T) {
		clk := NewClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		l, k := newLimiter(t, rates, clk.Now), key()
		allow(t, l, k, ratelimit.Write)
		clk.Advance(time.Hour)
		n := 0
		for range 10 {
			if ok, _ := allow(t, l, k, ratelimit.Write); ok {
				n++
			}
		}
		assert.Equal(t, 3, n, "an idle hour saves up the burst, not 3600 requests")
	})

	t.Run("each caller and each class has its own bucket", func(t *testing.T) {
		clk := NewClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		l, a, b := newLimiter(t, rates, clk.Now), key(), key()
		for range 3 {
			allow(t, l, a, ratelimit.Write)
		}
		ok, _ := allow(t, l, a, ratelimit.Write)
		require.False(t, ok)
		ok, _ = allow(t, l, b, ratelimit.Write)
		assert.True(t, ok, "another caller is not slowed down")
		ok, _ = allow(t, l, a, ratelimit.Read)
		assert.True(t, ok, "reads are not slowed down by writes")
		ok, _ = allow(t, l, a, ratelimit.Read)
		assert.True(t, ok)
		ok, wait := allow(t, l, a, ratelimit.Read)
		assert.False(t, ok, "the read burst is 2")
		within(t, 100*time.Millisecond, wait)
	})

	t.Run("a class without a rate is not limited", func(t *testing.T) {
		clk := NewClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		l, k := newLimiter(t, rates, clk.Now), key()
		for i := range 50 {
			ok, _ := allow(t, l, k, ratelimit.Public)
			require.True(t, ok, "request %d", i)
		}
	})

	t.Run("concurrent callers share the burst exactly", func(t *testing.T) {
		slow := ratelimit.Rates{ratelimit.Write: {Limit: 1.0 / 3600, Burst: 10}}
		clk := NewClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
		l, k := newLimiter(t, slow, clk.Now), key()
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				ok, _, err := l.Allow(ctx, k, ratelimit.Write)
				assert.NoError(t, err)
				if ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		assert.EqualValues(t, 10, allowed.Load(), "no request got a token another one took")
	})

	t.Run("on the implementation's own clock", func(t *testing.T) {
		slow := ratelimit.Rates{ratelimit.Write: {Limit: 1.0 / 3600, Burst: 2}} // one an hour: no refill during the test
		l, k := newLimiter(t, slow, nil), key()
		for range 2 {
			ok, _ := allow(t, l, k, ratelimit.Write)
			require.True(t, ok)
		}
		ok, wait := allow(t, l, k, ratelimit.Write)
		assert.False(t, ok)
		assert.Greater(t, wait, 59*time.Minute, "the next token comes in about an hour")
		assert.LessOrEqual(t, wait, time.Hour+time.Second, "an hour at most (Redis rounds the wait up to the millisecond)")
	})
}
