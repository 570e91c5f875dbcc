package embedded_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
)

func TestWebhookQueueConformance(t *testing.T) {
	dirs := map[string]string{}
	gatewaytest.TestWebhookQueue(t, func(t *testing.T, name string, lease time.Duration) (gateway.WebhookQueue, func()) {
		dir, ok := dirs[name]
		if !ok {
			dir = t.TempDir()
			dirs[name] = dir
		}
		q, err := embedded.OpenWebhookQueue(dir, lease)
		require.NoError(t, err)
		var once sync.Once
		closeQ := func() { once.Do(func() { q.Close() }) }
		t.Cleanup(closeQ)
		return q, closeQ
	})
}
