package rediscache_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
	"github.com/ucx-export/ucx/gateway/rediscache"
)

func TestStoreConformance(t *testing.T) {
	rdb := newClient(t)
	gatewaytest.TestStore(t, func(t *testing.T) gateway.Store {
		return rediscache.NewStore(rdb, rediscache.WithPrefix(newPrefix(t, rdb)))
	})
}

func filingRecord(id, vin string) *gateway.FilingRecord {
	return &gateway.FilingRecord{
		FilingID: id, VIN: vin, ExporterUSCC: "91350100M000100Y43", Decision: gateway.Accepted,
		RulesetVersion: "2026-01-01", DocHash: "sha256:" + id, CreatedAt: time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC),
	}
}

func TestStoreIdempotencyKeysExpire(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t)
	prefix := newPrefix(t, rdb)

	t.Run("after 24 h by default", func(t *testing.T) {
		s := rediscache.NewStore(rdb, rediscache.WithPrefix(prefix+"default:"))
		require.NoError(t, s.SaveFiling(ctx, filingRecord("F1", "LSJA24U62JG269225"), []byte(`{}`), &gateway.Idempotency{Key: "k", RequestHash: "h"}))
		ttl, err := rdb.PTTL(ctx, prefix+"default:idem:k").Result()
		require.NoError(t, err)
		assert.InDelta(t, (24 * time.Hour).Seconds(), ttl.Seconds(), 60)
		assert.Equal(t, time.Duration(-1), rdb.PTTL(ctx, prefix+"default:filing:F1").Val(), "filings never expire")
	})

	t.Run("after the configured TTL, and the key is free again", func(t *testing.T) {
		s := rediscache.NewStore(rdb, rediscache.WithPrefix(prefix+"short:"), rediscache.WithIdempotencyTTL(100*time.Millisecond))
		require.NoError(t, s.SaveFiling(ctx, filingRecord("F1", "LSJA24U62JG269225"), []byte(`{}`), &gateway.Idempotency{Key: "k", RequestHash: "h"}))
		_, err := s.Idempotent(ctx, "k")
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			_, err := s.Idempotent(ctx, "k")
			return gateway.ErrorCode(err) == gateway.ENOTFOUND
		}, 5*time.Second, 20*time.Millisecond)
		require.NoError(t, s.SaveFiling(ctx, filingRecord("F2", "LSJA24U62JG269225"), []byte(`{}`), &gateway.Idempotency{Key: "k", RequestHash: "h2"}))
		resp, err := s.Idempotent(ctx, "k")
		require.NoError(t, err)
		assert.Equal(t, "F2", resp.FilingID)
	})

	t.Run("zero keeps them", func(t *testing.T) {
		s := rediscache.NewStore(rdb, rediscache.WithPrefix(prefix+"forever:"), rediscache.WithIdempotencyTTL(0))
		require.NoError(t, s.SaveFiling(ctx, filingRecord("F1", "LSJA24U62JG269225"), []byte(`{}`), &gateway.Idempotency{Key: "k", RequestHash: "h"}))
		assert.Equal(t, time.Duration(-1), rdb.PTTL(ctx, prefix+"forever:idem:k").Val())
	})
}

// Two replicas, each with its own connection, share filings and idempotency keys.
func TestStoreSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	a := newClient(t)
	prefix := newPrefix(t, a)
	s1 := rediscache.NewStore(a, rediscache.WithPrefix(prefix))
	s2 := rediscache.NewStore(newClient(t), rediscache.WithPrefix(prefix))

	require.NoError(t, s1.SaveFiling(ctx, filingRecord("F1", "LSJA24U62JG269225"), []byte(`{"a":1}`), &gateway.Idempotency{Key: "k", RequestHash: "h"}))
	resp, err := s2.Idempotent(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "F1", resp.FilingID)
	err = s2.SaveFiling(ctx, filingRecord("F2", "LSJA24U62JG269225"), []byte(`{}`), &gateway.Idempotency{Key: "k", RequestHash: "h"})
	assert.Equal(t, gateway.EIDEMPOTENCYREUSED, gateway.ErrorCode(err))

	second := filingRecord("F3", "LSJA24U62JG269225")
	require.NoError(t, s2.SaveFiling(ctx, second, []byte(`{}`), nil))
	assert.Equal(t, "F1", second.Supersedes)
	first, err := s1.Filing(ctx, "F1")
	require.NoError(t, err)
	assert.Equal(t, "F3", first.SupersededBy)

	// A credit report issued through one replica is verified through the other.
	cr := &gateway.StoredCreditReport{VerificationCode: "7KQ4-M2XD-9PAB-3HTV", ReportNo: "UCX-CR-20261126-K7M2XD9P",
		ExporterUSCC: "91440300MA5GK7R3DQ", IssuedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), Report: []byte(`{"reportNo":"UCX-CR-20261126-K7M2XD9P"}`)}
	require.NoError(t, s1.SaveCreditReport(ctx, cr))
	got, err := s2.CreditReportByCode(ctx, cr.VerificationCode)
	require.NoError(t, err)
	assert.Equal(t, cr, got)
}

func TestStoreRefusedWriteLeavesNoKeys(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t)
	prefix := newPrefix(t, rdb)
	s := rediscache.NewStore(rdb, rediscache.WithPrefix(prefix))
	require.NoError(t, s.SaveFiling(ctx, filingRecord("F1", "LSJA24U62JG269225"), []byte(`{}`), &gateway.Idempotency{Key: "k", RequestHash: "h"}))
	before := keysOf(t, rdb, prefix)

	err := s.SaveFiling(ctx, filingRecord("F2", "LDC613P23A1305189"), []byte(`{"b":2}`), &gateway.Idempotency{Key: "k", RequestHash: "h2"})
	require.Equal(t, gateway.EIDEMPOTENCYREUSED, gateway.ErrorCode(err))
	err = s.SaveFiling(ctx, filingRecord("F1", "LDC613P23A1305189"), []byte(`{"b":2}`), nil)
	require.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err))
	assert.Equal(t, before, keysOf(t, rdb, prefix))
	assert.Equal(t, []string{"F1"}, rdb.ZRange(ctx, prefix+"anchors", 0, -1).Val())
}

func keysOf(t *testing.T, rdb *redis.Client, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		out[k] = rdb.Dump(ctx, k).Val()
	}
	require.NoError(t, iter.Err())
	return out
}

func TestStoreRedisDown(t *testing.T) {
	ctx := context.Background()
	rdb, err := rediscache.NewClient("redis://" + closedAddr(t) + "/0")
	require.NoError(t, err)
	defer rdb.Close()
	s := rediscache.NewStore(rdb)
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(s.Ready(ctx)))
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(s.SaveFiling(ctx, filingRecord("F1", "LSJA24U62JG269225"), []byte(`{}`), nil)))
	_, err = s.Filing(ctx, "F1")
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
}

// A save whose reply was lost is sent again by go-redis: the second run succeeds too and
// changes nothing.
func TestStoreSaveReplayed(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t)
	prefix := newPrefix(t, rdb)
	s := rediscache.NewStore(rdb, rediscache.WithPrefix(prefix))
	require.NoError(t, s.SaveFiling(ctx, filingRecord("F1", "LSJA24U62JG269225"), []byte(`{}`), nil))
	idem := &gateway.Idempotency{Key: "k", RequestHash: "h"}
	require.NoError(t, s.SaveFiling(ctx, filingRecord("F2", "LSJA24U62JG269225"), []byte(`{}`), idem))
	before := keysOf(t, rdb, prefix)

	again := filingRecord("F2", "LSJA24U62JG269225")
	require.NoError(t, s.SaveFiling(ctx, again, []byte(`{}`), idem))
	assert.Equal(t, "F1", again.Supersedes)
	assert.Equal(t, before, keysOf(t, rdb, prefix))
}
