package rediscache_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/filings"
	"github.com/ucx-export/ucx/gateway/rediscache"
)

// redisURL returns UCX_REDIS_URL. Unset, the test is skipped, or fails under UCX_INTEGRATION=1
// (CI), where a missing Redis is a failure. scripts/redis.sh start prints a URL.
func redisURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("UCX_REDIS_URL")
	if url == "" {
		if os.Getenv("UCX_INTEGRATION") == "1" {
			tb.Fatal("UCX_INTEGRATION=1 but UCX_REDIS_URL is unset (scripts/redis.sh start prints one)")
		}
		tb.Skip("UCX_REDIS_URL is unset: start a server with scripts/redis.sh start")
	}
	return url
}

// newClient connects to the test Redis (see redisURL), checks that it answers and closes the
// client at the end of the test.
func newClient(tb testing.TB) *redis.Client {
	tb.Helper()
	rdb, err := rediscache.NewClient(redisURL(tb))
	require.NoError(tb, err)
	tb.Cleanup(func() { rdb.Close() })
	require.NoError(tb, rdb.Ping(context.Background()).Err(), "redis at UCX_REDIS_URL does not answer")
	return rdb
}

// newPrefix returns a key prefix of the test's own and deletes its keys at the end, so that
// tests (and packages run in parallel) share one server without seeing each other.
func newPrefix(tb testing.TB, rdb *redis.Client) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "ucxtest:" + strings.NewReplacer("/", ".", " ", "_").Replace(tb.Name()) + ":" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return prefix
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	addr := ln.Addr().String()
	require.NoError(tb, ln.Close())
	return addr
}

// sources are the fixture agencies answered directly: what the cache wraps in these tests.
func sources(tb testing.TB) filings.Sources {
	tb.Helper()
	a, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(tb, err)
	return filings.Sources{Police: a, Maintenance: a, Licences: a, Exporters: a, Destinations: a}
}

// counting wraps a Lookups and records every call; Fn, when set, runs after the wrapped
// look-up and may change the result (inject errors) or block.
type counting struct {
	next gateway.Lookups
	Fn   func(ctx context.Context, req gateway.LookupRequest, r *gateway.LookupResult)

	mu   sync.Mutex
	reqs []gateway.LookupRequest
}

func (c *counting) Lookup(ctx context.Context, req gateway.LookupRequest) *gateway.LookupResult {
	c.mu.Lock()
	c.reqs = append(c.reqs, req)
	c.mu.Unlock()
	r := c.next.Lookup(ctx, req)
	if c.Fn != nil {
		c.Fn(ctx, req, r)
	}
	return r
}

// Calls returns the requests received so far.
func (c *counting) Calls() []gateway.LookupRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]gateway.LookupRequest(nil), c.reqs...)
}

// commands is a go-redis hook that counts round trips (a command, or a whole pipeline) and
// records the names of the commands sent.
type commands struct {
	trips atomic.Int64
	mu    sync.Mutex
	names []string
}

func (h *commands) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *commands) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.record(cmd)
		return next(ctx, cmd)
	}
}

func (h *commands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.record(cmds...)
		return next(ctx, cmds)
	}
}

func (h *commands) record(cmds ...redis.Cmder) {
	h.trips.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range cmds {
		h.names = append(h.names, c.Name())
	}
}

// reset forgets what was counted and returns the round trips and command names until then.
func (h *commands) reset() (int64, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := h.names
	h.names = nil
	return h.trips.Swap(0), names
}
