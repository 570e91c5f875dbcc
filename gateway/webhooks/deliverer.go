package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ucx-export/ucx/gateway"
)

// EventType is the type of every delivery's body.
const EventType = "credit.change"

// Event is the body of a delivery.
type Event struct {
	// ID is the event ID: the same on every attempt, to de-duplicate on.
	ID             string               `json:"id"`
	Type           string               `json:"type"`
	Kind           string               `json:"kind"`
	SubscriptionID string               `json:"subscriptionId"`
	Attempt        int                  `json:"attempt"`
	DeliveredAt    time.Time            `json:"deliveredAt"`
	Change         gateway.CreditChange `json:"change"`
}

// Deliverer POSTs the queued deliveries to their subscriptions: one worker per subscription,
// so that a slow or failing agency delays only its own.
type Deliverer struct {
	q   gateway.WebhookQueue
	cfg config

	mu   sync.Mutex
	woke chan struct{} // closed by Wake
}

// NewDeliverer returns a deliverer of q's deliveries. Options: WithMaxAttempts, WithBackoff,
// WithTimeout, WithPoll, WithHTTPClient, WithLogger, WithClock.
func NewDeliverer(q gateway.WebhookQueue, opts ...Option) *Deliverer {
	return &Deliverer{q: q, cfg: newConfig(opts), woke: make(chan struct{})}
}

// Wake makes idle workers look at their queues now.
func (d *Deliverer) Wake() {
	d.mu.Lock()
	close(d.woke)
	d.woke = make(chan struct{})
	d.mu.Unlock()
}

func (d *Deliverer) wakeChan() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.woke
}

// Run delivers until ctx ends, keeping one worker per subscription (subscriptions created or
// deleted are seen within a poll). On return every worker has stopped; an attempt under way
// when ctx ended is finished (bounded by the timeout) and settled, so that a graceful stop
// neither loses nor repeats it.
func (d *Deliverer) Run(ctx context.Context) {
	type worker struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	workers := map[string]worker{}
	defer func() {
		for _, w := range workers {
			w.cancel()
		}
		for _, w := range workers {
			<-w.done
		}
	}()
	for {
		subs, err := d.q.Subscriptions(ctx)
		if err != nil && ctx.Err() == nil {
			d.cfg.log.Warn("webhook subscriptions not read; will retry", "err", err)
		}
		if err == nil {
			live := map[string]bool{}
			for _, s := range subs {
				live[s.ID] = true
				if _, ok := workers[s.ID]; !ok {
					wctx, cancel := context.WithCancel(ctx)
					w := worker{cancel: cancel, done: make(chan struct{})}
					workers[s.ID] = w
					go func(s gateway.WebhookSubscription) {
						defer close(w.done)
						d.work(wctx, s)
					}(s)
				}
			}
			for id, w := range workers {
				if !live[id] {
					w.cancel()
					<-w.done
					delete(workers, id)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.cfg.poll):
		}
	}
}

// work delivers one subscription's queue until ctx ends.
func (d *Deliverer) work(ctx context.Context, s gateway.WebhookSubscription) {
	for ctx.Err() == nil {
		woke := d.wakeChan()
		n, err := d.DeliverDue(ctx, s)
		if err != nil && ctx.Err() == nil {
			d.cfg.log.Warn("webhook deliveries not claimed; will retry", "subscription", s.ID, "err", err)
		}
		if err == nil && n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-woke:
		case <-time.After(d.cfg.poll):
		}
	}
}

// DeliverDue claims the subscription's due deliveries once and attempts each; it returns how
// many it claimed. It stops early, leaving the rest leased, when ctx ends.
func (d *Deliverer) DeliverDue(ctx context.Context, s gateway.WebhookSubscription) (int, error) {
	ds, err := d.q.Claim(ctx, s.ID, d.cfg.now(), claimBatch)
	if err != nil {
		return 0, err
	}
	for _, dl := range ds {
		if ctx.Err() != nil {
			break
		}
		d.attempt(ctx, s, dl)
	}
	return len(ds), nil
}

// attempt POSTs one delivery and settles it: acknowledged after a 2xx, else retried after
// the backoff or, after the last attempt, dead-lettered. A settle that fails is logged: the
// delivery stays leased and is claimed again when the lease ends.
func (d *Deliverer) attempt(ctx context.Context, s gateway.WebhookSubscription, dl gateway.WebhookDelivery) {
	now := d.cfg.now().UTC()
	failure := d.post(ctx, s, dl, now)
	log := d.cfg.log.With("subscription", s.ID, "event", dl.EventID)
	// Settling must outlive a shutdown that began during the POST.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.timeout)
	defer cancel()
	var err error
	switch {
	case failure == "":
		err = d.q.Ack(sctx, dl)
	default:
		dl.Attempts++
		dl.LastError, dl.LastAttemptAt = failure, now
		if dl.Attempts >= d.cfg.maxAttempts {
			dl.DeadAt = now
			log.Warn("webhook delivery gave up: dead letter", "attempts", dl.Attempts, "lastError", failure)
			err = d.q.DeadLetter(sctx, dl)
		} else {
			wait := d.cfg.backoff(dl.Attempts)
			log.Info("webhook delivery failed; will retry", "attempts", dl.Attempts, "in", wait.String(), "lastError", failure)
			err = d.q.Retry(sctx, dl, now.Add(wait))
		}
	}
	if err != nil {
		log.Error("webhook delivery not settled; it is retried when its lease ends", "err", err)
	}
}

// maxError bounds the error text kept with a delivery.
const maxError = 300

// post makes one attempt and returns "" on a 2xx, else what went wrong.
func (d *Deliverer) post(ctx context.Context, s gateway.WebhookSubscription, dl gateway.WebhookDelivery, now time.Time) string {
	body, err := json.Marshal(Event{ID: dl.EventID, Type: EventType, Kind: dl.Change.Kind, SubscriptionID: s.ID,
		Attempt: dl.Attempts + 1, DeliveredAt: now, Change: dl.Change})
	if err != nil {
		return "encode: " + err.Error()
	}
	// An attempt under way finishes even when the deliverer is stopping: its answer is
	// settled, not lost.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return clip("request: " + err.Error())
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ucx-webhooks/1")
	req.Header.Set(HeaderEventID, dl.EventID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(s.Secret, ts, body))
	req.Header.Set(HeaderSubscriptionID, s.ID)
	req.Header.Set(HeaderAttempt, strconv.Itoa(dl.Attempts+1))
	resp, err := d.cfg.client.Do(req)
	if err != nil {
		return clip(err.Error())
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return ""
}

func clip(s string) string {
	if len(s) > maxError {
		return strings.ToValidUTF8(s[:maxError], "")
	}
	return s
}
