package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
	"github.com/ucx-export/ucx/gateway/ratelimit"
)

func TestMemoryConformance(t *testing.T) {
	gatewaytest.TestLimiter(t, func(t *testing.T, rates ratelimit.Rates, now func() time.Time) ratelimit.Limiter {
		if now == nil {
			return ratelimit.NewMemory(rates)
		}
		return ratelimit.NewMemory(rates, ratelimit.WithClock(now))
	})
}

// TestMemoryForgetsIdleCallers: buckets that have refilled are dropped (once a minute), so
// memory holds the recent callers only; a dropped bucket comes back full, as it was.
func TestMemoryForgetsIdleCallers(t *testing.T) {
	clk := gatewaytest.NewClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	m := ratelimit.NewMemory(ratelimit.Rates{ratelimit.Write: {Limit: 1, Burst: 5}}, ratelimit.WithClock(clk.Now))
	ctx := context.Background()
	for i := range 100 {
		_, _, _ = m.Allow(ctx, fmt.Sprint("caller-", i), ratelimit.Write)
	}
	for range 5 {
		_, _, _ = m.Allow(ctx, "busy", ratelimit.Write)
	}
	assert.Equal(t, 101, m.Buckets())
	clk.Advance(61 * time.Second) // every bucket is full again
	_, _, _ = m.Allow(ctx, "busy", ratelimit.Write)
	assert.Equal(t, 1, m.Buckets(), "only the caller of this moment is kept")
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]ratelimit.Rate{
		"10/s":     {Limit: 10, Burst: 10},
		"10/s:20":  {Limit: 10, Burst: 20},
		"600/m":    {Limit: 10, Burst: 600},
		"1/h":      {Limit: 1.0 / 3600, Burst: 1},
		"0.5/s":    {Limit: 0.5, Burst: 1},
		"off":      {},
		" 5/s:1 ":  {Limit: 5, Burst: 1},
		"2.5/s:10": {Limit: 2.5, Burst: 10},
	} {
		got, err := ratelimit.ParseRate(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		again, err := ratelimit.ParseRate(got.String())
		require.NoError(t, err)
		assert.InDelta(t, got.Limit, again.Limit, 1e-12, "String reads back: %s", got)
		assert.Equal(t, got.Burst, again.Burst)
	}
	for _, bad := range []string{"", "10", "10/d", "-1/s", "0/s", "x/s", "10/s:0", "10/s:x", "NaN/s", "Inf/s", "10/s:-2"} {
		_, err := ratelimit.ParseRate(bad)
		assert.Error(t, err, bad)
	}
	assert.True(t, ratelimit.Rate{}.Off())
	for _, c := range ratelimit.Classes {
		assert.False(t, ratelimit.DefaultRates()[c].Off(), "every class is limited by default: %s", c)
	}
}

// failing is a Limiter whose store is down.
type failing struct{ calls int }

func (f *failing) Allow(context.Context, string, ratelimit.Class) (bool, time.Duration, error) {
	f.calls++
	return false, 0, gateway.Errorf(gateway.EUNAVAILABLE, "rate limiter unavailable", "限流服务不可用")
}

// TestFallback: while the shared limiter fails, the replica's own buckets limit the callers;
// the failure is reported, and the shared limiter is left alone for the backoff.
func TestFallback(t *testing.T) {
	ctx := context.Background()
	primary := &failing{}
	local := ratelimit.NewMemory(ratelimit.Rates{ratelimit.Write: {Limit: 1.0 / 3600, Burst: 2}})
	var reported []error
	l := ratelimit.Fallback(primary, local, time.Hour, func(err error) { reported = append(reported, err) })
	var got []bool
	for range 3 {
		ok, _, err := l.Allow(ctx, "c", ratelimit.Write)
		require.NoError(t, err, "the fallback answers")
		got = append(got, ok)
	}
	assert.Equal(t, []bool{true, true, false}, got, "still limited, by the local bucket")
	assert.Equal(t, 1, primary.calls, "the failed limiter is not asked again within the backoff")
	require.Len(t, reported, 1)
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(reported[0]))

	noBackoff := ratelimit.Fallback(primary, local, 0, nil)
	_, _, _ = noBackoff.Allow(ctx, "d", ratelimit.Write)
	_, _, _ = noBackoff.Allow(ctx, "d", ratelimit.Write)
	assert.Equal(t, 3, primary.calls, "without a backoff every request tries the shared limiter first")

	ok := ratelimit.NewMemory(ratelimit.Rates{})
	healthy := ratelimit.Fallback(ok, &failing{}, time.Hour, func(err error) { t.Errorf("no failure expected: %v", err) })
	allowed, _, err := healthy.Allow(ctx, "e", ratelimit.Write)
	assert.NoError(t, err)
	assert.True(t, allowed)
}
