package rediscache_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
	"github.com/ucx-export/ucx/gateway/rediscache"
)

// TestAuditLogConformance runs the suite on a real redis-server (UCX_REDIS_URL); tampering
// rewrites an entry of the sorted set with redis commands, as anyone with access to Redis could.
func TestAuditLogConformance(t *testing.T) {
	rdb := newClient(t)
	prefixes := map[gateway.AuditLog]string{}
	gatewaytest.TestAuditLog(t, func(t *testing.T) gateway.AuditLog {
		prefix := newPrefix(t, rdb)
		a := rediscache.NewAuditLog(rdb, rediscache.WithPrefix(prefix))
		prefixes[a] = prefix
		return a
	}, func(t *testing.T, log gateway.AuditLog, seq uint64) gateway.AuditLog {
		ctx := context.Background()
		key := prefixes[log] + "audit:log"
		score := strconv.FormatUint(seq, 10)
		members, err := rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: key, ByScore: true, Start: score, Stop: score}).Result()
		require.NoError(t, err)
		require.Len(t, members, 1)
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(members[0]), &e))
		e["subject"] = "tampered"
		data, err := json.Marshal(e)
		require.NoError(t, err)
		_, err = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.ZRem(ctx, key, members[0])
			p.ZAdd(ctx, key, redis.Z{Score: float64(seq), Member: string(data)})
			return nil
		})
		require.NoError(t, err)
		return log
	})
}

// TestAuditLogReplicas: replicas sharing one Redis append at once; the losers of each race
// re-read the head and retry, and the log stays one chain without gaps or duplicates.
func TestAuditLogReplicas(t *testing.T) {
	ctx := context.Background()
	rdb := newClient(t)
	prefix := newPrefix(t, rdb)
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		replica := rediscache.NewAuditLog(rdb, rediscache.WithPrefix(prefix)) // a replica of its own
		wg.Go(func() {
			for i := 0; i < 25; i++ {
				assert.NoError(t, replica.Append(ctx, &gateway.AuditEntry{Subject: fmt.Sprintf("r%d", r), Action: gateway.AuditReadCredit,
					Resource: "exporter:91350100M000100Y43"}, &gateway.AuditEntry{Subject: fmt.Sprintf("r%d", r), Action: gateway.AuditReadCredit,
					Resource: "exporter:91440300192317458F"}))
			}
		})
	}
	wg.Wait()
	log := rediscache.NewAuditLog(rdb, rediscache.WithPrefix(prefix))
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	assert.Equal(t, &gateway.AuditVerification{Verified: true, Entries: 200, Head: v.Head}, v)
	page, err := log.Entries(ctx, gateway.AuditQuery{Limit: gateway.MaxAuditLimit})
	require.NoError(t, err)
	require.Len(t, page.Entries, 200)
	for i := 0; i < 200; i += 2 {
		// The two entries of one append stay together.
		assert.Equal(t, page.Entries[i].Subject, page.Entries[i+1].Subject)
		assert.Equal(t, "exporter:91350100M000100Y43", page.Entries[i].Resource)
	}
}

// TestAuditLogDown: Redis unreachable is EUNAVAILABLE, for the gateway to refuse the read.
func TestAuditLogDown(t *testing.T) {
	rdb, err := rediscache.NewClient("redis://" + closedAddr(t) + "/0")
	require.NoError(t, err)
	t.Cleanup(func() { rdb.Close() })
	log := rediscache.NewAuditLog(rdb)
	err = log.Append(context.Background(), &gateway.AuditEntry{Action: gateway.AuditReadCredit})
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
	_, err = log.Verify(context.Background())
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
}
