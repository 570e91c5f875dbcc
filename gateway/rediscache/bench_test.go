package rediscache_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway/rediscache"
)

// BenchmarkRedisGet is one plain GET of a small value: the unit a cached look-up is measured
// in (make bench reports BenchmarkLookupCached ÷ BenchmarkRedisGet, target ≤ 1.3).
func BenchmarkRedisGet(b *testing.B) {
	ctx := context.Background()
	rdb := newClient(b)
	key := newPrefix(b, rdb) + "k"
	require.NoError(b, rdb.Set(ctx, key, "ACCEPTED", 0).Err())
	for b.Loop() {
		if err := rdb.Get(ctx, key).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupCached is a filing's five look-ups on a warm cache (the fixture filing
// clean-m1-kz: a police record, five repairs, a licence, an exporter, a destination): one
// MGET and five entries decoded.
func BenchmarkLookupCached(b *testing.B) {
	ctx := context.Background()
	rdb := newClient(b)
	l := rediscache.NewLookups(rdb, sources(b), rediscache.WithPrefix(newPrefix(b, rdb)))
	l.Lookup(ctx, fullRequest)
	for b.Loop() {
		if r := l.Lookup(ctx, fullRequest); r.Police == nil || len(r.Maintenance) != 5 {
			b.Fatal("incomplete answer")
		}
	}
	if st := l.Stats(); st.Fetches != 1 || st.RedisErrors != 0 {
		b.Fatalf("not all from the cache: %+v", st)
	}
}
