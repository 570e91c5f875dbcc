package gateway

import (
	"context"
	"time"
)

// WebhookSubscription is an agency's subscription to the credit change feed (issue 6 §6): the
// gateway POSTs each change whose kind it asks for to URL, signed with Secret.
type WebhookSubscription struct {
	ID  string `json:"id"`
	Org string `json:"org"` // commerce, customs or police
	URL string `json:"url"`
	// Kinds are the change kinds delivered (Change*); none: every kind.
	Kinds []string `json:"kinds,omitempty"`
	// After is the feed cursor when the subscription was created: it receives the changes
	// with a greater Seq (older ones are in the feed, GET /v1/credit/changes?after=).
	After     uint64    `json:"after"`
	CreatedAt time.Time `json:"createdAt"`
	// Secret is the HMAC-SHA256 key of the signatures: shown once, when created.
	Secret string `json:"-"`
}

// Wants reports whether the subscription asks for changes of kind.
func (s *WebhookSubscription) Wants(kind string) bool {
	if len(s.Kinds) == 0 {
		return true
	}
	for _, k := range s.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// WebhookDelivery is one change on its way to one subscription, or a dead letter.
type WebhookDelivery struct {
	SubscriptionID string `json:"subscriptionId"`
	// EventID is the same on every attempt of a change to any subscription: receivers
	// de-duplicate on it (delivery is at least once).
	EventID    string       `json:"eventId"`
	Change     CreditChange `json:"change"`
	EnqueuedAt time.Time    `json:"enqueuedAt"`
	// Attempts counts the attempts that failed (a deliverer that died mid-attempt counts none).
	Attempts      int       `json:"attempts"`
	LastError     string    `json:"lastError,omitempty"`
	LastAttemptAt time.Time `json:"lastAttemptAt,omitzero"`
	// DeadAt is when the delivery gave up: set on dead letters only.
	DeadAt time.Time `json:"deadAt,omitzero"`
	// Token is the queue's handle of a claimed delivery (for Ack, Retry, DeadLetter).
	Token string `json:"-"`
}

// WebhookQueue keeps the subscriptions, the pump's cursor over the credit change feed, each
// subscription's queue of deliveries and its dead letters, durably. Implementations:
// embedded (a bbolt file) and rediscache (Redis Streams), both held to
// gatewaytest.TestWebhookQueue. Errors: ENOTFOUND, ECONFLICT, EINVALID as named;
// EUNAVAILABLE when the backing store fails.
type WebhookQueue interface {
	// CreateSubscription stores s and sets s.After to the cursor; ECONFLICT when s.ID exists.
	CreateSubscription(ctx context.Context, s *WebhookSubscription) error
	// Subscription returns a subscription (with its secret); ENOTFOUND when absent.
	Subscription(ctx context.Context, id string) (*WebhookSubscription, error)
	// Subscriptions returns every subscription (with secrets), ordered by ID.
	Subscriptions(ctx context.Context) ([]WebhookSubscription, error)
	// DeleteSubscription removes a subscription with its queue and dead letters; ENOTFOUND
	// when absent.
	DeleteSubscription(ctx context.Context, id string) error

	// Cursor returns the Seq of the last change enqueued (0 before the first).
	Cursor(ctx context.Context) (uint64, error)
	// Enqueue queues each delivery (SubscriptionID empty) for every subscription that wants
	// its change's kind and moves the cursor to the last change's Seq, in one atomic write:
	// a crash re-reads the batch, never skips it. ECONFLICT, writing nothing, when the cursor
	// is no longer after (another pump moved it); EINVALID when the changes' Seqs are not
	// increasing from after + 1 on. It returns how many deliveries it queued.
	Enqueue(ctx context.Context, after uint64, batch []WebhookDelivery) (int, error)

	// Claim leases up to max deliveries of a subscription that are due at now and not leased,
	// new ones first, each with its Token. A lease lasts the queue's lease time; a delivery
	// neither acknowledged, retried nor dead-lettered by then (its deliverer died) is claimed
	// again. An unknown subscription has nothing to claim.
	Claim(ctx context.Context, subscriptionID string, now time.Time, max int) ([]WebhookDelivery, error)
	// Ack removes a delivered delivery.
	Ack(ctx context.Context, d WebhookDelivery) error
	// Retry puts d back (as given: the caller counts Attempts and sets LastError), due at due.
	// Nothing happens when d is no longer queued (another deliverer settled it, or the
	// subscription is gone).
	Retry(ctx context.Context, d WebhookDelivery, due time.Time) error
	// DeadLetter moves d (as given) to the subscription's dead letters, keyed by EventID;
	// nothing happens when d is no longer queued.
	DeadLetter(ctx context.Context, d WebhookDelivery) error
	// DeadLetters returns a subscription's dead letters by change Seq; ENOTFOUND when the
	// subscription is absent.
	DeadLetters(ctx context.Context, subscriptionID string) ([]WebhookDelivery, error)
	// Redeliver queues a dead letter again, due now, with its attempts reset; ENOTFOUND when
	// the subscription or the dead letter is absent.
	Redeliver(ctx context.Context, subscriptionID, eventID string) error
}
