package webhooks_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
	"github.com/ucx-export/ucx/gateway/webhooks"
)

func TestPumpEnqueuesEachChangeOnceForEachSubscription(t *testing.T) {
	ctx := context.Background()
	q := newQueue(t)
	all := subscribe(t, q, "https://customs.example/all")
	cases := subscribe(t, q, "https://customs.example/cases", gateway.ChangeCaseDecided)
	feed := &gatewaytest.CreditFeed{}
	for i := range 5 {
		feed.Append(gatewaytest.Change(gateway.ChangeEventRecorded, i))
	}
	feed.Append(gatewaytest.Change(gateway.ChangeCaseDecided, 5))
	woken := 0
	p := webhooks.NewPump(feed, q, webhooks.WithBatch(4), webhooks.WithLogger(testLog()), webhooks.WithWake(func() { woken++ }))

	n, err := p.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	n, err = p.Step(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	n, err = p.Step(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "up to date")
	assert.Equal(t, 2, woken)
	cur, err := q.Cursor(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(6), cur)

	ds, err := q.Claim(ctx, all.ID, time.Now(), 100)
	require.NoError(t, err)
	require.Len(t, ds, 6)
	for i, d := range ds {
		assert.Equal(t, uint64(i+1), d.Change.Seq)
		assert.Equal(t, webhooks.EventID(d.Change.Seq), d.EventID)
		assert.False(t, d.EnqueuedAt.IsZero())
	}
	ds, err = q.Claim(ctx, cases.ID, time.Now(), 100)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, "credit-change-6", ds[0].EventID)
}

// disorderedFeed answers its changes whatever it is asked.
type disorderedFeed []gateway.CreditChange

func (f disorderedFeed) CreditChanges(context.Context, uint64, int) ([]gateway.CreditChange, error) {
	return f, nil
}

func TestPumpRefusesAFeedOutOfOrder(t *testing.T) {
	ctx := context.Background()
	q := newQueue(t)
	s := subscribe(t, q, "https://customs.example/all")
	for name, feed := range map[string]disorderedFeed{
		"not after the cursor": {{Seq: 0, Kind: gateway.ChangeCaseDecided}},
		"backwards":            {{Seq: 2, Kind: gateway.ChangeCaseDecided}, {Seq: 1, Kind: gateway.ChangeCaseDecided}},
		"repeated":             {{Seq: 1, Kind: gateway.ChangeCaseDecided}, {Seq: 1, Kind: gateway.ChangeCaseDecided}},
	} {
		_, err := webhooks.NewPump(feed, q, webhooks.WithLogger(testLog())).Step(ctx)
		assert.Error(t, err, name)
	}
	cur, err := q.Cursor(ctx)
	require.NoError(t, err)
	assert.Zero(t, cur)
	ds, err := q.Claim(ctx, s.ID, time.Now(), 100)
	require.NoError(t, err)
	assert.Empty(t, ds, "nothing enqueued")
}

// racingQueue lets another pump move the cursor between Cursor and Enqueue.
type racingQueue struct {
	gateway.WebhookQueue
	before func()
}

func (r racingQueue) Enqueue(ctx context.Context, after uint64, batch []gateway.WebhookDelivery) (int, error) {
	r.before()
	return r.WebhookQueue.Enqueue(ctx, after, batch)
}

func TestTwoPumpsEnqueueABatchOnce(t *testing.T) {
	ctx := context.Background()
	q := newQueue(t)
	s := subscribe(t, q, "https://customs.example/all")
	feed := &gatewaytest.CreditFeed{}
	feed.Append(gatewaytest.Change(gateway.ChangeEventRecorded, 1), gatewaytest.Change(gateway.ChangeEventRecorded, 2))
	other := webhooks.NewPump(feed, q, webhooks.WithLogger(testLog()))
	first := true
	slow := webhooks.NewPump(feed, racingQueue{WebhookQueue: q, before: func() {
		if first {
			first = false
			n, err := other.Step(ctx)
			require.NoError(t, err)
			require.Equal(t, 2, n)
		}
	}}, webhooks.WithLogger(testLog()))
	n, err := slow.Step(ctx)
	require.NoError(t, err, "losing the race is not an error")
	assert.Zero(t, n)
	ds, err := q.Claim(ctx, s.ID, time.Now(), 100)
	require.NoError(t, err)
	assert.Len(t, ds, 2, "each change once")
}
