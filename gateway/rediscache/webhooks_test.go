package rediscache_test

import (
	"testing"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
	"github.com/ucx-export/ucx/gateway/rediscache"
)

// TestWebhookQueueConformance runs the suite on a real redis-server (UCX_REDIS_URL): the
// same name opens the same keys with a new consumer, as a restarted replica would.
func TestWebhookQueueConformance(t *testing.T) {
	rdb := newClient(t)
	prefixes := map[string]string{}
	gatewaytest.TestWebhookQueue(t, func(t *testing.T, name string, lease time.Duration) (gateway.WebhookQueue, func()) {
		prefix, ok := prefixes[name]
		if !ok {
			prefix = newPrefix(t, rdb)
			prefixes[name] = prefix
		}
		return rediscache.NewWebhookQueue(rdb, rediscache.WithPrefix(prefix), rediscache.WithLease(lease)), func() {}
	})
}
