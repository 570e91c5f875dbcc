package rediscache_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/rediscache"
)

// fullRequest is the fixture filing clean-m1-kz: every agency knows it, five repairs.
var fullRequest = gateway.LookupRequest{VIN: "LGXCE4CB8N4107254", LicenceNo: "26-XJ-002218", ExporterUSCC: "91654004MA78HK2T5H", Country: "KZ"}

// unknownVIN has no police record (ENOTFOUND) and no repairs.
const unknownVIN = "LSJA24U62JG269225"

// newLookups returns a cache over the fixture sources with a prefix of the test's own, the
// counting wrapper it calls and the direct answers to compare with.
func newLookups(t *testing.T, rdb *redis.Client, opts ...rediscache.Option) (*rediscache.Lookups, *counting) {
	t.Helper()
	inner := &counting{next: sources(t)}
	opts = append([]rediscache.Option{rediscache.WithPrefix(newPrefix(t, rdb))}, opts...)
	return rediscache.NewLookups(rdb, inner, opts...), inner
}

func TestLookupsHitsAndMisses(t *testing.T) {
	ctx := context.Background()
	l, inner := newLookups(t, newClient(t))
	direct := sources(t).Lookup(ctx, fullRequest)
	require.NotNil(t, direct.Police)
	require.Len(t, direct.Maintenance, 5)

	cold := l.Lookup(ctx, fullRequest)
	assert.Equal(t, direct, cold)
	assert.Equal(t, rediscache.Stats{Misses: 5, Fetches: 1}, l.Stats())

	warm := l.Lookup(ctx, fullRequest)
	assert.Equal(t, direct, warm, "a cached answer is the source's answer")
	assert.Equal(t, rediscache.Stats{Hits: 5, Misses: 5, Fetches: 1}, l.Stats())
	assert.Equal(t, []gateway.LookupRequest{fullRequest}, inner.Calls())

	assert.Equal(t, &gateway.LookupResult{}, l.Lookup(ctx, gateway.LookupRequest{}), "nothing asked, nothing done")
}

func TestLookupsOneRoundTripPerFiling(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t)
	hook := &commands{}
	rdb.AddHook(hook)
	l, _ := newLookups(t, rdb)
	// Open a connection in each of go-redis's pools (commands, pipelines) first: a new
	// connection's handshake (HELLO, CLIENT SETINFO) is a pipeline too.
	require.NoError(t, rdb.Ping(ctx).Err())
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); return nil })
	require.NoError(t, err)
	hook.reset()

	l.Lookup(ctx, fullRequest)
	trips, names := hook.reset()
	assert.Equal(t, int64(2), trips, "cold: one read, one write-back pipeline")
	assert.Equal(t, []string{"mget", "set", "set", "set", "set", "set"}, names)

	for range 3 {
		l.Lookup(ctx, fullRequest)
		trips, names = hook.reset()
		assert.Equal(t, int64(1), trips, "warm: one round trip")
		assert.Equal(t, []string{"mget"}, names)
	}
}

func TestLookupsFetchOnlyWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	l, inner := newLookups(t, newClient(t))
	l.Lookup(ctx, fullRequest)

	other := fullRequest
	other.VIN = unknownVIN
	r := l.Lookup(ctx, other)
	assert.Equal(t, []gateway.LookupRequest{fullRequest, {VIN: unknownVIN}}, inner.Calls(), "licence, exporter and destination came from the cache")
	assert.Equal(t, sources(t).Lookup(ctx, other), r)
	assert.Equal(t, int64(3), l.Stats().Hits)
}

func TestLookupsNegativeCaching(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t)
	ttls := rediscache.DefaultTTLs()
	ttls.NotFound = 200 * time.Millisecond
	l, inner := newLookups(t, rdb, rediscache.WithTTLs(ttls))
	req := gateway.LookupRequest{VIN: unknownVIN, LicenceNo: "99-XX-000000", ExporterUSCC: fullRequest.ExporterUSCC, Country: "ZZ"}
	direct := sources(t).Lookup(ctx, req)
	require.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(direct.PoliceErr))
	require.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(direct.LicenceErr))
	require.Nil(t, direct.Destination, "an unknown destination is no answer, not an error")

	l.Lookup(ctx, req)
	cached := l.Lookup(ctx, req)
	assert.Equal(t, direct, cached, "not-found answers, messages included, come from the cache")
	assert.Len(t, inner.Calls(), 1)
	assert.Equal(t, int64(5), l.Stats().Hits)

	// The negative entries live NotFound; the exporter's, a real record, its own TTL.
	// (Keys is fine here: the test's server holds a few hundred keys at most.)
	keyOf := func(pattern string) string {
		keys := rdb.Keys(ctx, pattern).Val()
		require.Len(t, keys, 1, pattern)
		return keys[0]
	}
	policeKey := keyOf("ucxtest:" + t.Name() + ":*:lk:police:" + unknownVIN)
	exporterKey := keyOf("ucxtest:" + t.Name() + ":*:lk:exporter:" + fullRequest.ExporterUSCC)
	require.NotEmpty(t, policeKey)
	require.NotEmpty(t, exporterKey)
	assert.LessOrEqual(t, rdb.PTTL(ctx, policeKey).Val(), ttls.NotFound)
	assert.Greater(t, rdb.PTTL(ctx, exporterKey).Val(), time.Minute)

	require.Eventually(t, func() bool { return rdb.Exists(ctx, policeKey).Val() == 0 }, 5*time.Second, 20*time.Millisecond)
	l.Lookup(ctx, req)
	assert.Equal(t, []gateway.LookupRequest{req, {VIN: unknownVIN, LicenceNo: req.LicenceNo, Country: "ZZ"}}, inner.Calls(), "negative answers expired; the exporter did not")
}

func TestLookupsTTL(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t)

	t.Run("redis expires entries", func(t *testing.T) {
		ttls := rediscache.DefaultTTLs()
		ttls.Police = 150 * time.Millisecond
		l, inner := newLookups(t, rdb, rediscache.WithTTLs(ttls))
		l.Lookup(ctx, fullRequest)
		l.Lookup(ctx, fullRequest)
		require.Len(t, inner.Calls(), 1)
		time.Sleep(300 * time.Millisecond)
		r := l.Lookup(ctx, fullRequest)
		assert.Equal(t, []gateway.LookupRequest{fullRequest, {VIN: fullRequest.VIN}}, inner.Calls(), "police expired, the rest did not")
		assert.NotNil(t, r.Police)
	})

	// Redis still holds the entry (its clock, or a writer with a longer TTL), but the entry's
	// fetch time says it is too old: it is not used.
	t.Run("the fetch time is checked on read", func(t *testing.T) {
		var skew atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		l, inner := newLookups(t, rdb, rediscache.WithClock(clock))
		l.Lookup(ctx, fullRequest)

		skew.Store(int64(rediscache.DefaultPoliceTTL - time.Second))
		l.Lookup(ctx, fullRequest)
		require.Len(t, inner.Calls(), 1, "younger than every TTL")

		skew.Store(int64(rediscache.DefaultPoliceTTL + time.Second))
		l.Lookup(ctx, fullRequest)
		assert.Equal(t, gateway.LookupRequest{VIN: fullRequest.VIN}, inner.Calls()[1], "police too old, licence and exporter (10 min) not yet")

		skew.Store(int64(rediscache.DefaultExporterTTL + time.Second))
		l.Lookup(ctx, fullRequest)
		assert.Equal(t, gateway.LookupRequest{VIN: fullRequest.VIN, LicenceNo: fullRequest.LicenceNo, ExporterUSCC: fullRequest.ExporterUSCC}, inner.Calls()[2],
			"licence and exporter too old now, police (fetched 5 min ago) too; maintenance (6 h) and destination (24 h) not")
	})

	t.Run("a reader with a shorter TTL than the writer's uses its own", func(t *testing.T) {
		prefix := newPrefix(t, rdb)
		writer := rediscache.NewLookups(rdb, sources(t), rediscache.WithPrefix(prefix))
		writer.Lookup(ctx, fullRequest)
		ttls := rediscache.DefaultTTLs()
		ttls.Destination = 50 * time.Millisecond
		inner := &counting{next: sources(t)}
		reader := rediscache.NewLookups(rdb, inner, rediscache.WithPrefix(prefix), rediscache.WithTTLs(ttls))
		time.Sleep(100 * time.Millisecond)
		reader.Lookup(ctx, fullRequest)
		assert.Equal(t, []gateway.LookupRequest{{Country: "KZ"}}, inner.Calls())
	})

	t.Run("a zero TTL disables caching of a source", func(t *testing.T) {
		ttls := rediscache.DefaultTTLs()
		ttls.Maintenance = 0
		l, inner := newLookups(t, rdb, rediscache.WithTTLs(ttls))
		l.Lookup(ctx, fullRequest)
		r := l.Lookup(ctx, fullRequest)
		assert.Equal(t, gateway.LookupRequest{VIN: fullRequest.VIN}, inner.Calls()[1])
		assert.Len(t, r.Maintenance, 5)
	})
}

func TestLookupsSingleFlight(t *testing.T) {
	ctx := context.Background()
	const n = 16
	release := make(chan struct{})
	l, inner := newLookups(t, newClient(t))
	inner.Fn = func(context.Context, gateway.LookupRequest, *gateway.LookupResult) { <-release }

	results := make([]*gateway.LookupResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = l.Lookup(ctx, fullRequest) })
	}
	// Every look-up has missed in Redis (and then joins the flight at once); hold the fetch a
	// little longer so that the last of them has joined.
	require.Eventually(t, func() bool { return l.Stats().Misses == n*5 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()

	assert.Len(t, inner.Calls(), 1, "%d concurrent misses, one call to the sources", n)
	direct := sources(t).Lookup(ctx, fullRequest)
	for i, r := range results {
		assert.Equal(t, direct, r, "look-up %d", i)
	}
	assert.NotSame(t, results[0].Police, results[1].Police, "each look-up gets its own copy")
}

// Look-ups sharing only some keys share those flights and fetch the rest themselves.
func TestLookupsSingleFlightPerKey(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	l, inner := newLookups(t, newClient(t))
	inner.Fn = func(_ context.Context, req gateway.LookupRequest, _ *gateway.LookupResult) {
		if req.VIN == fullRequest.VIN {
			<-release
		}
	}
	var first *gateway.LookupResult
	done := make(chan struct{})
	go func() { first = l.Lookup(ctx, fullRequest); close(done) }()
	require.Eventually(t, func() bool { return len(inner.Calls()) == 1 }, 5*time.Second, time.Millisecond)

	other := fullRequest
	other.VIN = unknownVIN
	secondDone := make(chan *gateway.LookupResult)
	go func() { secondDone <- l.Lookup(ctx, other) }()
	require.Eventually(t, func() bool { return len(inner.Calls()) == 2 }, 5*time.Second, time.Millisecond)
	close(release)
	second := <-secondDone
	<-done

	assert.Equal(t, gateway.LookupRequest{VIN: unknownVIN}, inner.Calls()[1], "licence, exporter and destination: joined the first look-up's flights")
	assert.Equal(t, sources(t).Lookup(ctx, fullRequest), first)
	assert.Equal(t, sources(t).Lookup(ctx, other), second)
}

func TestLookupsRedisDown(t *testing.T) {
	ctx := context.Background()
	direct := sources(t).Lookup(ctx, fullRequest)

	t.Run("closed port", func(t *testing.T) {
		rdb, err := rediscache.NewClient("redis://" + closedAddr(t) + "/0")
		require.NoError(t, err)
		defer rdb.Close()
		inner := &counting{next: sources(t)}
		l := rediscache.NewLookups(rdb, inner, rediscache.WithCacheBackoff(200*time.Millisecond))
		for range 3 {
			assert.Equal(t, direct, l.Lookup(ctx, fullRequest), "answers come from the sources")
		}
		assert.Len(t, inner.Calls(), 3)
		assert.Equal(t, rediscache.Stats{RedisErrors: 1, Bypassed: 2, Fetches: 3}, l.Stats(),
			"one failed read, no write attempted, then Redis is skipped for the backoff")
		time.Sleep(250 * time.Millisecond)
		assert.Equal(t, direct, l.Lookup(ctx, fullRequest))
		assert.Equal(t, int64(2), l.Stats().RedisErrors, "tried again after the backoff")
	})

	// A Redis that accepts connections and never answers costs a look-up its cache timeout,
	// not the client's read timeout (3 s).
	t.Run("hung", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		rdb, err := rediscache.NewClient("redis://" + ln.Addr().String() + "/0")
		require.NoError(t, err)
		defer rdb.Close()
		l := rediscache.NewLookups(rdb, sources(t), rediscache.WithCacheTimeout(50*time.Millisecond))
		start := time.Now()
		assert.Equal(t, direct, l.Lookup(ctx, fullRequest))
		assert.Less(t, time.Since(start), 2*time.Second, "bounded by the cache timeout")
		assert.Equal(t, int64(1), l.Stats().RedisErrors)
	})
}

func TestLookupsErrorsAreNotCached(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t)
	l, inner := newLookups(t, rdb)
	var outage atomic.Bool
	outage.Store(true)
	inner.Fn = func(_ context.Context, _ gateway.LookupRequest, r *gateway.LookupResult) {
		if outage.Load() {
			r.Police, r.PoliceErr = nil, gateway.Errorf(gateway.EUNAVAILABLE, "police system unavailable", "公安系统不可用")
		}
	}

	r := l.Lookup(ctx, fullRequest)
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(r.PoliceErr))
	assert.Len(t, r.Maintenance, 5, "the other answers are unaffected")

	r = l.Lookup(ctx, fullRequest)
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(r.PoliceErr), "asked again, still down")
	outage.Store(false)
	r = l.Lookup(ctx, fullRequest)
	assert.NoError(t, r.PoliceErr)
	assert.NotNil(t, r.Police)
	assert.Equal(t, []gateway.LookupRequest{fullRequest, {VIN: fullRequest.VIN}, {VIN: fullRequest.VIN}}, inner.Calls(),
		"the outage was never cached; the VIN's maintenance comes along with its police look-up")
}

// A cancelled look-up that leads a flight does not fail the look-ups waiting for it.
func TestLookupsLeaderCancelled(t *testing.T) {
	release := make(chan struct{})
	l, inner := newLookups(t, newClient(t))
	inner.Fn = func(ctx context.Context, _ gateway.LookupRequest, _ *gateway.LookupResult) {
		<-release
		assert.NoError(t, ctx.Err(), "the fetch does not inherit the leader's cancellation")
	}
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderDone := make(chan struct{})
	go func() { l.Lookup(leaderCtx, fullRequest); close(leaderDone) }()
	require.Eventually(t, func() bool { return len(inner.Calls()) == 1 }, 5*time.Second, time.Millisecond)

	follower := make(chan *gateway.LookupResult)
	go func() { follower <- l.Lookup(context.Background(), fullRequest) }()
	require.Eventually(t, func() bool { return l.Stats().Misses == 10 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	cancel()
	close(release)
	<-leaderDone
	assert.Equal(t, sources(t).Lookup(context.Background(), fullRequest), <-follower)
	assert.Len(t, inner.Calls(), 1)
}

// A caller that gives up is not a Redis failure: the cache is not skipped for the others.
func TestLookupsCallerCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l, _ := newLookups(t, newClient(t))
	r := l.Lookup(ctx, fullRequest)
	assert.Equal(t, sources(t).Lookup(context.Background(), fullRequest), r, "the fetch does not inherit the cancellation")
	assert.Equal(t, rediscache.Stats{Fetches: 1}, l.Stats())
	l.Lookup(context.Background(), fullRequest)
	assert.Equal(t, rediscache.Stats{Hits: 5, Fetches: 1}, l.Stats(), "written back, and Redis not skipped")
}
