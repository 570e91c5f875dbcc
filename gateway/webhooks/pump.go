package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ucx-export/ucx/gateway"
)

// Pump moves the credit change feed into the webhook queue.
type Pump struct {
	feed  gateway.CreditFeed
	q     gateway.WebhookQueue
	batch int
	poll  time.Duration
	now   func() time.Time
	log   *slog.Logger
	wake  func()
}

// NewPump returns a pump from feed into q. Options: WithBatch, WithPoll, WithWake,
// WithLogger, WithClock.
func NewPump(feed gateway.CreditFeed, q gateway.WebhookQueue, opts ...Option) *Pump {
	c := newConfig(opts)
	return &Pump{feed: feed, q: q, batch: c.batch, poll: c.poll, now: c.now, log: c.log, wake: c.wake}
}

// Step reads one batch after the queue's cursor and enqueues it; it returns how many changes
// it read. A batch another pump enqueued first is not an error (0 is returned). A feed that
// answers changes out of order is an error and nothing is enqueued.
func (p *Pump) Step(ctx context.Context) (int, error) {
	cur, err := p.q.Cursor(ctx)
	if err != nil {
		return 0, err
	}
	changes, err := p.feed.CreditChanges(ctx, cur, p.batch)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	at := p.now().UTC()
	batch := make([]gateway.WebhookDelivery, len(changes))
	prev := cur
	for i, c := range changes {
		if c.Seq <= prev {
			return 0, fmt.Errorf("credit feed answered seq %d after %d (asked for changes after %d)", c.Seq, prev, cur)
		}
		if c.Seq != prev+1 {
			p.log.Warn("credit feed skips changes", "after", prev, "next", c.Seq)
		}
		prev = c.Seq
		batch[i] = gateway.WebhookDelivery{EventID: EventID(c.Seq), Change: c, EnqueuedAt: at}
	}
	n, err := p.q.Enqueue(ctx, cur, batch)
	if gateway.ErrorCode(err) == gateway.ECONFLICT {
		return 0, nil // another replica's pump took the batch
	}
	if err != nil {
		return 0, err
	}
	p.log.Debug("credit changes queued for webhooks", "changes", len(changes), "deliveries", n, "cursor", prev)
	if n > 0 && p.wake != nil {
		p.wake()
	}
	return len(changes), nil
}

// Run pumps until ctx ends: at once while the feed has full batches, else every poll.
func (p *Pump) Run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := p.Step(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.Warn("webhook pump failed; will retry", "err", err)
		}
		if err == nil && n == p.batch {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(p.poll):
		}
	}
}
