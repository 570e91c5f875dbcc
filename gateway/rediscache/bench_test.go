package rediscache_test

import (
	"context"
	"testing"
	"time"

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

// BenchmarkLookupCachedDecode is BenchmarkLookupCached decoding every entry each time: the
// cost of the first read of an answer in a process (the memo saves it on later reads).
func BenchmarkLookupCachedDecode(b *testing.B) {
	ctx := context.Background()
	rdb := newClient(b)
	l := rediscache.NewLookups(rdb, sources(b), rediscache.WithPrefix(newPrefix(b, rdb)))
	rediscache.DisableMemo(l)
	l.Lookup(ctx, fullRequest)
	for b.Loop() {
		if r := l.Lookup(ctx, fullRequest); r.Police == nil || len(r.Maintenance) != 5 {
			b.Fatal("incomplete answer")
		}
	}
}

// BenchmarkLookupPerGet alternates a cached look-up and a plain GET in one loop and reports
// their ratio (lookup/get, target ≤ 1.3) and each one's mean: measured side by side, the ratio
// holds on a busy machine, where two separate benchmarks drift apart. "warm" is the steady
// state (entries decoded before, the memo's case); "decode" decodes every entry each time,
// as the first read of an answer in a process does.
func BenchmarkLookupPerGet(b *testing.B) {
	for _, memo := range []bool{true, false} {
		name := "warm"
		if !memo {
			name = "decode"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			rdb := newClient(b)
			prefix := newPrefix(b, rdb)
			l := rediscache.NewLookups(rdb, sources(b), rediscache.WithPrefix(prefix))
			if !memo {
				rediscache.DisableMemo(l)
			}
			require.NoError(b, rdb.Set(ctx, prefix+"k", "ACCEPTED", 0).Err())
			l.Lookup(ctx, fullRequest)
			var lookup, get time.Duration
			for b.Loop() {
				start := time.Now()
				l.Lookup(ctx, fullRequest)
				mid := time.Now()
				if err := rdb.Get(ctx, prefix+"k").Err(); err != nil {
					b.Fatal(err)
				}
				lookup, get = lookup+mid.Sub(start), get+time.Since(mid)
			}
			b.ReportMetric(float64(lookup)/float64(get), "lookup/get")
			b.ReportMetric(float64(lookup.Nanoseconds())/float64(b.N), "lookup-ns")
			b.ReportMetric(float64(get.Nanoseconds())/float64(b.N), "get-ns")
			if st := l.Stats(); st.Fetches != 1 || st.RedisErrors != 0 {
				b.Fatalf("not all from the cache: %+v", st)
			}
		})
	}
}
