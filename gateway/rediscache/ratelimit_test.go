package rediscache_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
	"github.com/ucx-export/ucx/gateway/ratelimit"
	"github.com/ucx-export/ucx/gateway/rediscache"
)

// TestRateLimiterConformance runs the Limiter suite against the Lua token bucket on a real
// Redis (UCX_REDIS_URL).
func TestRateLimiterConformance(t *testing.T) {
	rdb := newClient(t)
	gatewaytest.TestLimiter(t, func(t *testing.T, rates ratelimit.Rates, now func() time.Time) ratelimit.Limiter {
		opts := []rediscache.Option{rediscache.WithPrefix(newPrefix(t, rdb))}
		if now != nil {
			opts = append(opts, rediscache.WithClock(now))
		}
		return rediscache.NewRateLimiter(rdb, rates, opts...)
	})
}

// TestRateLimiterSharedAndExpiring: two replicas (two clients) take from one bucket, and an
// idle bucket's key expires once it would be full again.
func TestRateLimiterSharedAndExpiring(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t)
	prefix := newPrefix(t, rdb)
	rates := ratelimit.Rates{ratelimit.Write: {Limit: 2, Burst: 4}}
	other, err := rediscache.NewClient(redisURL(t))
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	a := rediscache.NewRateLimiter(rdb, rates, rediscache.WithPrefix(prefix))
	b := rediscache.NewRateLimiter(other, rates, rediscache.WithPrefix(prefix))
	n := 0
	for i := range 8 {
		l := a
		if i%2 == 1 {
			l = b
		}
		ok, _, err := l.Allow(ctx, "91440300MA5GK7R3DQ|clerk", ratelimit.Write)
		require.NoError(t, err)
		if ok {
			n++
		}
	}
	assert.Equal(t, 4, n, "one burst between both replicas")
	ttl, err := rdb.PTTL(ctx, prefix+"rl:write:91440300MA5GK7R3DQ|clerk").Result()
	require.NoError(t, err)
	assert.Positive(t, ttl, "the bucket expires")
	assert.LessOrEqual(t, ttl, 3*time.Second, "once full again (4 tokens at 2/s) and a second")
}

// TestRateLimiterRedisDown: with Redis unreachable the limiter answers EUNAVAILABLE within
// its timeout, and behind ratelimit.Fallback the replica's own buckets limit instead.
func TestRateLimiterRedisDown(t *testing.T) {
	rdb, err := rediscache.NewClient("redis://" + closedAddr(t) + "/0")
	require.NoError(t, err)
	t.Cleanup(func() { rdb.Close() })
	rates := ratelimit.Rates{ratelimit.Write: {Limit: 1.0 / 3600, Burst: 1}}
	l := rediscache.NewRateLimiter(rdb, rates)
	_, _, err = l.Allow(context.Background(), "k", ratelimit.Write)
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))

	var failures int
	f := ratelimit.Fallback(l, ratelimit.NewMemory(rates), time.Minute, func(error) { failures++ })
	first, _, err := f.Allow(context.Background(), "k", ratelimit.Write)
	require.NoError(t, err)
	second, _, err := f.Allow(context.Background(), "k", ratelimit.Write)
	require.NoError(t, err)
	assert.True(t, first)
	assert.False(t, second, "still limited while Redis is down")
	assert.Equal(t, 1, failures)
}
