// Package webhooks shares the ledger's credit changes with commerce, customs and police
// (issue 6 §6): subscriptions per agency, a pump from the credit change feed into a durable
// queue, and a deliverer that POSTs each change, signed, until the agency answers 2xx.
//
// The pieces:
//
//   - Service: subscriptions (create with a generated secret shown once, list, read,
//     delete), each subscription's dead letters, and redelivering one. Input is checked
//     before anything is written (EINVALID with a JSON pointer).
//   - Pump: reads gateway.CreditFeed after the queue's cursor and enqueues every change for
//     each subscription that wants its kind, moving the cursor in the same atomic write
//     (gateway.WebhookQueue.Enqueue): a crash re-reads a batch, never skips one. Two pumps
//     (gateway replicas on one Redis) cannot both enqueue a batch: the loser gets ECONFLICT.
//   - Deliverer: one worker per subscription claims due deliveries (leased), POSTs each and
//     acknowledges it only after a 2xx. Any other answer, a redirect, a network error or a
//     timeout is retried with exponential backoff and jitter; after MaxAttempts failed
//     attempts the delivery becomes a dead letter. Delivery is at least once: a deliverer
//     that dies mid-delivery leaves the delivery leased, and it is claimed again when the
//     lease ends (at once by a restarted embedded gateway, whose leases live in memory).
//
// The queue backends are gateway.WebhookQueue implementations: embedded.WebhookQueue (a bbolt
// file, webhooks.db in the data directory, fsync'd on every write) and rediscache.WebhookQueue
// (a Redis Stream per subscription with a consumer group), chosen by the gateway's store mode.
//
// # What an agency receives
//
// A POST with Content-Type application/json and the body
//
//	{"id":"credit-change-42","type":"credit.change","kind":"EXPORTER_SUSPENDED",
//	 "subscriptionId":"wh_…","attempt":1,"deliveredAt":"2026-03-10T08:00:00Z",
//	 "change":{"seq":42,"exporterUscc":"…","kind":"EXPORTER_SUSPENDED","ref":"…","txId":"…","timestamp":"…"}}
//
// id is the event ID, the same on every attempt: de-duplicate on it. Headers:
//
//	X-UCX-Event-Id:        the event ID
//	X-UCX-Timestamp:       Unix seconds when this attempt was signed
//	X-UCX-Signature:       sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//	X-UCX-Subscription-Id: the subscription
//	X-UCX-Attempt:         1 on the first attempt
//
// The HMAC key is the subscription's secret exactly as the gateway returned it (the whole
// "whsec_…" string, as bytes); the message is the X-UCX-Timestamp value, a full stop and the
// raw request body. Verify checks all of it, in constant time, and refuses a timestamp
// outside a tolerance (replays). Changes may arrive out of order (a retry waits while later
// changes go through): order them by change.seq, and read any gap from GET
// /v1/credit/changes?after=.
package webhooks
