package gatewaytest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
)

// CreditFeed is an in-memory gateway.CreditFeed for tests, until the ledger serves one.
type CreditFeed struct {
	mu      sync.Mutex
	changes []gateway.CreditChange
}

var _ gateway.CreditFeed = (*CreditFeed)(nil)

// Append adds changes to the feed, numbering them from the next Seq on, and returns them.
func (f *CreditFeed) Append(changes ...gateway.CreditChange) []gateway.CreditChange {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range changes {
		changes[i].Seq = uint64(len(f.changes) + 1)
		f.changes = append(f.changes, changes[i])
	}
	return changes
}

// CreditChanges implements gateway.CreditFeed.
func (f *CreditFeed) CreditChanges(ctx context.Context, after uint64, limit int) ([]gateway.CreditChange, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []gateway.CreditChange{}
	for _, c := range f.changes {
		if c.Seq > after && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

// Change returns a credit change of kind about an exporter (Seq 0: Append numbers it).
func Change(kind string, i int) gateway.CreditChange {
	return gateway.CreditChange{ExporterUSCC: "91350100M000100Y43", Kind: kind, Ref: fmt.Sprintf("ref-%d", i),
		TxID: fmt.Sprintf("tx-%d", i), Timestamp: time.Date(2026, 3, 10, 8, 0, i, 0, time.UTC).Format(time.RFC3339)}
}

// OpenWebhookQueue opens the queue under test: the same name opens the same durable queue
// again (after close, as a restarted process would); a claimed delivery stays leased for
// lease. close may be called more than once.
type OpenWebhookQueue func(t *testing.T, name string, lease time.Duration) (q gateway.WebhookQueue, close func())

// TestWebhookQueue runs the WebhookQueue conformance suite.
func TestWebhookQueue(t *testing.T, open OpenWebhookQueue) {
	ctx := context.Background()
	const lease = 30 * time.Second
	now := time.Now()
	newQueue := func(t *testing.T) gateway.WebhookQueue {
		q, _ := open(t, t.Name(), lease)
		return q
	}
	subscribe := func(t *testing.T, q gateway.WebhookQueue, id string, kinds ...string) *gateway.WebhookSubscription {
		t.Helper()
		s := &gateway.WebhookSubscription{ID: id, Org: gateway.OrgCustoms, URL: "https://customs.example/hook", Kinds: kinds,
			CreatedAt: now.UTC().Truncate(time.Second), Secret: "whsec_" + id}
		require.NoError(t, q.CreateSubscription(ctx, s))
		return s
	}
	// batch numbers kinds from first on, as the pump would.
	batch := func(first uint64, kinds ...string) []gateway.WebhookDelivery {
		var out []gateway.WebhookDelivery
		for i, k := range kinds {
			c := Change(k, int(first)+i)
			c.Seq = first + uint64(i)
			out = append(out, gateway.WebhookDelivery{EventID: fmt.Sprintf("credit-change-%d", c.Seq), Change: c, EnqueuedAt: now.UTC().Truncate(time.Millisecond)})
		}
		return out
	}
	seqs := func(ds []gateway.WebhookDelivery) []uint64 {
		out := []uint64{}
		for _, d := range ds {
			out = append(out, d.Change.Seq)
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	claimAll := func(t *testing.T, q gateway.WebhookQueue, id string, at time.Time) []gateway.WebhookDelivery {
		t.Helper()
		ds, err := q.Claim(ctx, id, at, 100)
		require.NoError(t, err)
		return ds
	}

	t.Run("subscriptions are stored, listed and deleted", func(t *testing.T) {
		q := newQueue(t)
		b := subscribe(t, q, "wh-b", gateway.ChangeExporterSuspended)
		a := subscribe(t, q, "wh-a")
		assert.Zero(t, a.After)
		err := q.CreateSubscription(ctx, &gateway.WebhookSubscription{ID: "wh-a", Org: gateway.OrgPolice, URL: "https://x.example/"})
		assert.Equal(t, gateway.ECONFLICT, gateway.ErrorCode(err))

		got, err := q.Subscription(ctx, "wh-b")
		require.NoError(t, err)
		assert.Equal(t, b, got, "read back with its secret")
		all, err := q.Subscriptions(ctx)
		require.NoError(t, err)
		assert.Equal(t, []gateway.WebhookSubscription{*a, *b}, all, "ordered by ID, the refused duplicate changed nothing")

		require.NoError(t, q.DeleteSubscription(ctx, "wh-a"))
		_, err = q.Subscription(ctx, "wh-a")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(q.DeleteSubscription(ctx, "wh-a")))
		_, err = q.DeadLetters(ctx, "wh-a")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(q.Redeliver(ctx, "wh-a", "credit-change-1")))
		all, err = q.Subscriptions(ctx)
		require.NoError(t, err)
		assert.Equal(t, []gateway.WebhookSubscription{*b}, all)
	})

	t.Run("enqueue fans out by kind and moves the cursor", func(t *testing.T) {
		q := newQueue(t)
		c, err := q.Cursor(ctx)
		require.NoError(t, err)
		assert.Zero(t, c)
		subscribe(t, q, "all")
		subscribe(t, q, "suspensions", gateway.ChangeExporterSuspended, gateway.ChangeExporterReinstate)
		n, err := q.Enqueue(ctx, 0, batch(1, gateway.ChangeEventRecorded, gateway.ChangeExporterSuspended, gateway.ChangeCaseDecided))
		require.NoError(t, err)
		assert.Equal(t, 4, n)
		c, err = q.Cursor(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(3), c)

		late := subscribe(t, q, "late")
		assert.Equal(t, uint64(3), late.After, "a new subscription starts after the cursor")
		n, err = q.Enqueue(ctx, 3, batch(4, gateway.ChangeExporterReinstate))
		require.NoError(t, err)
		assert.Equal(t, 3, n)

		all := claimAll(t, q, "all", now)
		assert.Equal(t, []uint64{1, 2, 3, 4}, seqs(all))
		for _, d := range all {
			assert.Equal(t, "all", d.SubscriptionID)
			assert.Equal(t, fmt.Sprintf("credit-change-%d", d.Change.Seq), d.EventID)
			assert.NotEmpty(t, d.Token)
			assert.Zero(t, d.Attempts)
		}
		want := batch(1, gateway.ChangeEventRecorded)[0]
		want.SubscriptionID, want.Token = "all", all[0].Token
		assert.Equal(t, want, all[0], "a delivery is stored as enqueued")
		assert.Equal(t, []uint64{2, 4}, seqs(claimAll(t, q, "suspensions", now)))
		assert.Equal(t, []uint64{4}, seqs(claimAll(t, q, "late", now)))
		assert.Empty(t, claimAll(t, q, "nobody", now), "an unknown subscription has nothing to claim")
	})

	t.Run("a stale or malformed batch writes nothing", func(t *testing.T) {
		q := newQueue(t)
		subscribe(t, q, "s")
		_, err := q.Enqueue(ctx, 0, batch(1, gateway.ChangeEventRecorded, gateway.ChangeEventRecorded))
		require.NoError(t, err)
		for name, try := range map[string]func() (int, error){
			"stale cursor": func() (int, error) { return q.Enqueue(ctx, 0, batch(1, gateway.ChangeCaseDecided)) },
			"ahead":        func() (int, error) { return q.Enqueue(ctx, 1, batch(2, gateway.ChangeCaseDecided)) },
			"not after":    func() (int, error) { return q.Enqueue(ctx, 2, batch(2, gateway.ChangeCaseDecided)) },
			"not increasing": func() (int, error) {
				return q.Enqueue(ctx, 2, append(batch(3, gateway.ChangeCaseDecided), batch(3, gateway.ChangeCaseDecided)...))
			},
		} {
			n, err := try()
			assert.Error(t, err, name)
			assert.Zero(t, n, name)
			code := gateway.ErrorCode(err)
			assert.Contains(t, []string{gateway.ECONFLICT, gateway.EINVALID}, code, name)
		}
		n, err := q.Enqueue(ctx, 2, nil)
		require.NoError(t, err)
		assert.Zero(t, n)
		c, err := q.Cursor(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(2), c)
		assert.Equal(t, []uint64{1, 2}, seqs(claimAll(t, q, "s", now)))

		// A gap in the feed is not the queue's to refuse.
		n, err = q.Enqueue(ctx, 2, batch(5, gateway.ChangeCaseDecided))
		require.NoError(t, err)
		assert.Equal(t, 1, n)
	})

	t.Run("a claimed delivery is leased; ack removes it", func(t *testing.T) {
		q := newQueue(t)
		subscribe(t, q, "s")
		_, err := q.Enqueue(ctx, 0, batch(1, gateway.ChangeEventRecorded, gateway.ChangeCaseDecided))
		require.NoError(t, err)
		first, err := q.Claim(ctx, "s", now, 1)
		require.NoError(t, err)
		require.Len(t, first, 1)
		second := claimAll(t, q, "s", now)
		require.Len(t, second, 1)
		assert.NotEqual(t, first[0].Change.Seq, second[0].Change.Seq, "a leased delivery is not claimed again")
		assert.Empty(t, claimAll(t, q, "s", now))
		require.NoError(t, q.Ack(ctx, first[0]))
		require.NoError(t, q.Ack(ctx, second[0]))
		require.NoError(t, q.Ack(ctx, second[0]), "a second ack changes nothing")
		assert.Empty(t, claimAll(t, q, "s", now.Add(48*time.Hour)))
	})

	t.Run("a retry waits until due and keeps its attempts", func(t *testing.T) {
		q := newQueue(t)
		subscribe(t, q, "s")
		_, err := q.Enqueue(ctx, 0, batch(1, gateway.ChangeEventRecorded))
		require.NoError(t, err)
		d := claimAll(t, q, "s", now)[0]
		d.Attempts, d.LastError, d.LastAttemptAt = 1, "HTTP 500", now.UTC().Truncate(time.Millisecond)
		require.NoError(t, q.Retry(ctx, d, now.Add(time.Hour)))
		assert.Empty(t, claimAll(t, q, "s", now), "not due yet")
		assert.Empty(t, claimAll(t, q, "s", now.Add(59*time.Minute)), "not due yet")
		again := claimAll(t, q, "s", now.Add(2*time.Hour))
		require.Len(t, again, 1)
		want := d
		want.Token = again[0].Token
		assert.Equal(t, want, again[0])
		require.NoError(t, q.Retry(ctx, again[0], now.Add(-time.Minute)))
		assert.Len(t, claimAll(t, q, "s", now), 1, "due in the past: claimable now")
	})

	t.Run("dead letters are listed and redelivered", func(t *testing.T) {
		q := newQueue(t)
		subscribe(t, q, "s")
		_, err := q.Enqueue(ctx, 0, batch(1, gateway.ChangeEventRecorded, gateway.ChangeCaseDecided))
		require.NoError(t, err)
		ds := claimAll(t, q, "s", now)
		require.Len(t, ds, 2)
		sort.Slice(ds, func(i, j int) bool { return ds[i].Change.Seq > ds[j].Change.Seq })
		for i := range ds {
			ds[i].Attempts, ds[i].LastError, ds[i].DeadAt = 8, "HTTP 503", now.UTC().Truncate(time.Millisecond)
			require.NoError(t, q.DeadLetter(ctx, ds[i]))
		}
		assert.Empty(t, claimAll(t, q, "s", now.Add(48*time.Hour)), "a dead letter is not delivered")
		dead, err := q.DeadLetters(ctx, "s")
		require.NoError(t, err)
		require.Len(t, dead, 2)
		assert.Equal(t, []uint64{1, 2}, []uint64{dead[0].Change.Seq, dead[1].Change.Seq}, "by seq")
		want := ds[1]
		want.Token = ""
		assert.Equal(t, want, dead[0])

		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(q.Redeliver(ctx, "s", "credit-change-9")))
		require.NoError(t, q.Redeliver(ctx, "s", "credit-change-2"))
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(q.Redeliver(ctx, "s", "credit-change-2")), "redelivered once")
		dead, err = q.DeadLetters(ctx, "s")
		require.NoError(t, err)
		assert.Equal(t, []uint64{1}, seqs(dead))
		again := claimAll(t, q, "s", now)
		require.Len(t, again, 1)
		assert.Equal(t, "credit-change-2", again[0].EventID)
		assert.Zero(t, again[0].Attempts, "attempts start again")
		assert.True(t, again[0].DeadAt.IsZero())
		assert.Equal(t, "HTTP 503", again[0].LastError, "the last error is kept")
	})

	t.Run("settling a settled delivery, or one of a deleted subscription, changes nothing", func(t *testing.T) {
		q := newQueue(t)
		subscribe(t, q, "s")
		_, err := q.Enqueue(ctx, 0, batch(1, gateway.ChangeEventRecorded, gateway.ChangeCaseDecided))
		require.NoError(t, err)
		ds := claimAll(t, q, "s", now)
		require.Len(t, ds, 2)
		require.NoError(t, q.Ack(ctx, ds[0]))
		require.NoError(t, q.Retry(ctx, ds[0], now))
		require.NoError(t, q.DeadLetter(ctx, ds[0]))
		assert.Empty(t, claimAll(t, q, "s", now.Add(48*time.Hour)), "an acknowledged delivery stays delivered")
		dead, err := q.DeadLetters(ctx, "s")
		require.NoError(t, err)
		assert.Empty(t, dead)

		require.NoError(t, q.DeleteSubscription(ctx, "s"))
		require.NoError(t, q.Retry(ctx, ds[1], now))
		require.NoError(t, q.DeadLetter(ctx, ds[1]))
		require.NoError(t, q.Ack(ctx, ds[1]))
		assert.Empty(t, claimAll(t, q, "s", now.Add(48*time.Hour)))
		subscribe(t, q, "s")
		assert.Empty(t, claimAll(t, q, "s", now.Add(48*time.Hour)), "a new subscription of the same ID starts empty")
		dead, err = q.DeadLetters(ctx, "s")
		require.NoError(t, err)
		assert.Empty(t, dead)
	})

	t.Run("concurrent claimers never share a delivery", func(t *testing.T) {
		q := newQueue(t)
		subscribe(t, q, "s")
		kinds := make([]string, 60)
		for i := range kinds {
			kinds[i] = gateway.ChangeEventRecorded
		}
		_, err := q.Enqueue(ctx, 0, batch(1, kinds...))
		require.NoError(t, err)
		var mu sync.Mutex
		seen := map[uint64]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ds, err := q.Claim(ctx, "s", now, 7)
					if !assert.NoError(t, err) || len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						seen[d.Change.Seq]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		assert.Len(t, seen, 60)
		for seq, n := range seen {
			assert.Equal(t, 1, n, "seq %d claimed %d times", seq, n)
		}
	})

	t.Run("everything survives a restart; a dead deliverer's lease runs out", func(t *testing.T) {
		const short = 300 * time.Millisecond
		q, closeQ := open(t, t.Name(), short)
		s := subscribe(t, q, "s")
		_, err := q.Enqueue(ctx, 0, batch(1, gateway.ChangeEventRecorded, gateway.ChangeCaseDecided, gateway.ChangeCaseExtended))
		require.NoError(t, err)
		ds := claimAll(t, q, "s", now)
		require.Len(t, ds, 3)
		sort.Slice(ds, func(i, j int) bool { return ds[i].Change.Seq < ds[j].Change.Seq })
		require.NoError(t, q.Ack(ctx, ds[0]))
		ds[1].Attempts = 8
		require.NoError(t, q.DeadLetter(ctx, ds[1]))
		closeQ() // the deliverer dies holding ds[2]

		q2, _ := open(t, t.Name(), short)
		got, err := q2.Subscription(ctx, "s")
		require.NoError(t, err)
		assert.Equal(t, s, got)
		c, err := q2.Cursor(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(3), c)
		dead, err := q2.DeadLetters(ctx, "s")
		require.NoError(t, err)
		assert.Equal(t, []uint64{2}, seqs(dead))
		var again []gateway.WebhookDelivery
		require.Eventually(t, func() bool {
			again = claimAll(t, q2, "s", time.Now())
			return len(again) > 0
		}, 20*time.Second, 50*time.Millisecond, "the dead deliverer's delivery is claimed again")
		assert.Equal(t, []uint64{3}, seqs(again))
	})
}
