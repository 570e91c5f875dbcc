package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
	"github.com/ucx-export/ucx/gateway/webhooks"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// pumped fills a feed with changes of kinds and pumps them into q.
func pumped(t *testing.T, q gateway.WebhookQueue, kinds ...string) []gateway.CreditChange {
	t.Helper()
	feed := &gatewaytest.CreditFeed{}
	var out []gateway.CreditChange
	for i, k := range kinds {
		out = append(out, feed.Append(gatewaytest.Change(k, i))...)
	}
	_, err := webhooks.NewPump(feed, q, webhooks.WithLogger(testLog())).Step(context.Background())
	require.NoError(t, err)
	return out
}

func TestDeliveriesAreSignedAndAcknowledged(t *testing.T) {
	ctx := context.Background()
	q := newQueue(t)
	rc := newReceiver(t, nil)
	s := subscribe(t, q, rc.URL+"/hook")
	changes := pumped(t, q, gateway.ChangeEventRecorded, gateway.ChangeExporterSuspended, gateway.ChangeCaseDecided)
	d := webhooks.NewDeliverer(q, webhooks.WithLogger(testLog()))

	n, err := d.DeliverDue(ctx, *s)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	got := rc.requests()
	require.Len(t, got, 3)
	for i, r := range got {
		assert.NoError(t, webhooks.Verify(s.Secret, r.Header, r.Body, time.Now(), time.Minute), "signature of request %d", i)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, webhooks.EventID(changes[i].Seq), r.Event.ID)
		assert.Equal(t, r.Event.ID, r.Header.Get(webhooks.HeaderEventID))
		assert.Equal(t, s.ID, r.Header.Get(webhooks.HeaderSubscriptionID))
		assert.Equal(t, "1", r.Header.Get(webhooks.HeaderAttempt))
		assert.Equal(t, webhooks.Event{ID: r.Event.ID, Type: "credit.change", Kind: changes[i].Kind, SubscriptionID: s.ID, Attempt: 1,
			DeliveredAt: r.Event.DeliveredAt, Change: changes[i]}, r.Event)
		assert.False(t, r.Event.DeliveredAt.IsZero())
	}
	left, err := q.Claim(ctx, s.ID, time.Now().Add(48*time.Hour), 100)
	require.NoError(t, err)
	assert.Empty(t, left, "acknowledged deliveries leave the queue")
}

func TestFailedDeliveriesBackOffThenDeadLetter(t *testing.T) {
	ctx := context.Background()
	q := newQueue(t)
	var mu sync.Mutex
	status := http.StatusInternalServerError
	rc := newReceiver(t, func(received, int) int { mu.Lock(); defer mu.Unlock(); return status })
	s := subscribe(t, q, rc.URL)
	pumped(t, q, gateway.ChangeExporterSuspended)
	clk := &clock{t: time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)}
	d := webhooks.NewDeliverer(q, webhooks.WithLogger(testLog()), webhooks.WithClock(clk.now), webhooks.WithMaxAttempts(3),
		webhooks.WithBackoff(time.Minute, time.Hour), webhooks.WithJitter(func(d time.Duration) time.Duration { return d }))

	deliver := func() int {
		n, err := d.DeliverDue(ctx, *s)
		require.NoError(t, err)
		return n
	}
	assert.Equal(t, 1, deliver(), "attempt 1")
	clk.add(59 * time.Second)
	assert.Zero(t, deliver(), "the first retry waits a minute")
	clk.add(time.Second)
	assert.Equal(t, 1, deliver(), "attempt 2")
	clk.add(119 * time.Second)
	assert.Zero(t, deliver(), "the second retry waits two minutes")
	clk.add(time.Second)
	assert.Equal(t, 1, deliver(), "attempt 3, the last")
	clk.add(24 * time.Hour)
	assert.Zero(t, deliver(), "a dead letter is not retried")

	got := rc.requests()
	require.Len(t, got, 3)
	for i, r := range got {
		assert.Equal(t, "credit-change-1", r.Event.ID, "the same event ID on every attempt")
		assert.Equal(t, strconv.Itoa(i+1), r.Header.Get(webhooks.HeaderAttempt))
		assert.Equal(t, i+1, r.Event.Attempt)
	}
	dead, err := q.DeadLetters(ctx, s.ID)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, 3, dead[0].Attempts)
	assert.Equal(t, "HTTP 500", dead[0].LastError)
	assert.Equal(t, clk.now().Add(-24*time.Hour), dead[0].DeadAt)

	// The agency is back: the dead letter is redelivered, counted from attempt 1.
	mu.Lock()
	status = http.StatusAccepted
	mu.Unlock()
	require.NoError(t, webhooks.NewService(q).Redeliver(ctx, s.ID, "credit-change-1"))
	assert.Equal(t, 1, deliver())
	got = rc.requests()
	require.Len(t, got, 4)
	assert.Equal(t, "1", got[3].Header.Get(webhooks.HeaderAttempt))
	dead, err = q.DeadLetters(ctx, s.ID)
	require.NoError(t, err)
	assert.Empty(t, dead)
	assert.Zero(t, deliver(), "a 202 acknowledged it")
}

func TestRedirectsTimeoutsAndRefusedConnectionsAreFailures(t *testing.T) {
	ctx := context.Background()
	target := newReceiver(t, nil)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for name, c := range map[string]struct {
		url  string
		want string
	}{
		"redirect": {redirect.URL, "HTTP 307"},
		"timeout":  {hang.URL, "context deadline exceeded"},
		"refused":  {closedURL, "connection refused"},
	} {
		t.Run(name, func(t *testing.T) {
			q := newQueue(t)
			s := subscribe(t, q, c.url)
			pumped(t, q, gateway.ChangeCaseDecided)
			d := webhooks.NewDeliverer(q, webhooks.WithLogger(testLog()), webhooks.WithTimeout(300*time.Millisecond), webhooks.WithMaxAttempts(1))
			n, err := d.DeliverDue(ctx, *s)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			dead, err := q.DeadLetters(ctx, s.ID)
			require.NoError(t, err)
			require.Len(t, dead, 1)
			assert.Contains(t, dead[0].LastError, c.want)
		})
	}
	assert.Empty(t, target.requests(), "a redirect is not followed")
}

func TestRunDeliversAsChangesArriveAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q := newQueue(t)
	rc := newReceiver(t, func(r received, n int) int {
		if n%3 == 0 {
			return http.StatusServiceUnavailable // every third request fails once more
		}
		return http.StatusOK
	})
	first := subscribe(t, q, rc.URL+"/first")
	feed := &gatewaytest.CreditFeed{}
	d := webhooks.NewDeliverer(q, webhooks.WithLogger(testLog()), webhooks.WithPoll(20*time.Millisecond), webhooks.WithBackoff(time.Millisecond, 10*time.Millisecond))
	p := webhooks.NewPump(feed, q, webhooks.WithLogger(testLog()), webhooks.WithPoll(20*time.Millisecond), webhooks.WithBatch(7), webhooks.WithWake(d.Wake))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.Run(ctx) }()
	go func() { defer wg.Done(); d.Run(ctx) }()

	for i := range 20 {
		feed.Append(gatewaytest.Change(gateway.ChangeEventRecorded, i))
	}
	delivered := func(sub string, want int) func() bool {
		return func() bool {
			ids := map[string]bool{}
			for _, r := range rc.requests() {
				if r.Event.SubscriptionID == sub && r.Status == http.StatusOK {
					ids[r.Event.ID] = true
				}
			}
			return len(ids) == want
		}
	}
	require.Eventually(t, delivered(first.ID, 20), 20*time.Second, 10*time.Millisecond)
	second := subscribe(t, q, rc.URL+"/second")
	assert.Equal(t, uint64(20), second.After)
	for i := range 5 {
		feed.Append(gatewaytest.Change(gateway.ChangeCaseDecided, 20+i))
	}
	require.Eventually(t, delivered(first.ID, 25), 20*time.Second, 10*time.Millisecond)
	require.Eventually(t, delivered(second.ID, 5), 20*time.Second, 10*time.Millisecond, "a subscription created while running")

	cancel()
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("pump and deliverer did not stop")
	}
	for _, id := range []string{first.ID, second.ID} {
		left, err := q.Claim(context.Background(), id, time.Now().Add(time.Hour), 100)
		require.NoError(t, err)
		assert.Empty(t, left, "every delivery acknowledged")
	}
}
