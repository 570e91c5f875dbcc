package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/webhooks"
)

// newQueue opens an embedded (bbolt) queue in a temporary directory.
func newQueue(t testing.TB) *embedded.WebhookQueue {
	t.Helper()
	q, err := embedded.OpenWebhookQueue(t.TempDir(), 30*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { q.Close() })
	return q
}

// testLog is where the tests' logs go: nowhere, unless UCX_TEST_LOG=1.
func testLog() *slog.Logger {
	if os.Getenv("UCX_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// received is one request a receiver got.
type received struct {
	Header http.Header
	Body   []byte
	Event  webhooks.Event
	Status int // the receiver's answer
}

// receiver is an agency's webhook endpoint: it records every request and answers with
// status(the request) (200 when nil).
type receiver struct {
	*httptest.Server
	status func(r received, n int) int

	mu  sync.Mutex
	got []received
}

func newReceiver(t testing.TB, status func(r received, n int) int) *receiver {
	t.Helper()
	rc := &receiver{status: status}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		assert.NoError(t, err)
		r := received{Header: req.Header.Clone(), Body: body}
		assert.NoError(t, json.Unmarshal(body, &r.Event), "body %s", body)
		rc.mu.Lock()
		n := len(rc.got) + 1
		rc.mu.Unlock()
		r.Status = http.StatusOK
		if rc.status != nil {
			r.Status = rc.status(r, n)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, r)
		rc.mu.Unlock()
		w.WriteHeader(r.Status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// subscribe creates a subscription to the receiver through the service.
func subscribe(t testing.TB, q gateway.WebhookQueue, url string, kinds ...string) *gateway.WebhookSubscription {
	t.Helper()
	s, err := webhooks.NewService(q).Subscribe(context.Background(), webhooks.SubscriptionRequest{Org: gateway.OrgCustoms, URL: url, Kinds: kinds})
	require.NoError(t, err)
	return s
}
