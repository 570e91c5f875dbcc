package webhooks

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"
)

// Defaults; each can be changed with an Option.
const (
	// DefaultMaxAttempts failed attempts make a dead letter (WithMaxAttempts): with the
	// default backoff, about 40 minutes after the first.
	DefaultMaxAttempts = 10
	// DefaultBackoffBase is the wait after the first failed attempt, doubled after each
	// further one up to DefaultBackoffMax (WithBackoff); jitter takes up to half off.
	DefaultBackoffBase = 5 * time.Second
	DefaultBackoffMax  = time.Hour
	// DefaultTimeout bounds one attempt, from connecting to the answer's headers
	// (WithTimeout). Keep the queue's lease above it.
	DefaultTimeout = 10 * time.Second
	// DefaultPoll is how often an idle pump reads the feed and an idle worker its queue, and
	// how often the deliverer looks for new or deleted subscriptions (WithPoll).
	DefaultPoll = time.Second
	// DefaultBatch is how many changes the pump reads at once (WithBatch).
	DefaultBatch = 100
	// claimBatch is how many deliveries a worker claims at once.
	claimBatch = 16
)

type config struct {
	maxAttempts int
	backoffBase time.Duration
	backoffMax  time.Duration
	timeout     time.Duration
	poll        time.Duration
	batch       int
	client      *http.Client
	log         *slog.Logger
	now         func() time.Time
	jitter      func(d time.Duration) time.Duration
	wake        func()
}

func newConfig(opts []Option) config {
	c := config{
		maxAttempts: DefaultMaxAttempts, backoffBase: DefaultBackoffBase, backoffMax: DefaultBackoffMax,
		timeout: DefaultTimeout, poll: DefaultPoll, batch: DefaultBatch, log: slog.Default(), now: time.Now,
		// Equal jitter: between half the wait and all of it, so that agencies coming back
		// from an outage are not hit by every retry at once.
		jitter: func(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) },
		client: &http.Client{
			// A redirect is not a delivery: it is answered as any other non-2xx.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Option configures NewService, NewPump and NewDeliverer; each says which it applies to.
type Option func(*config)

// WithMaxAttempts sets how many failed attempts make a dead letter (Deliverer; default 10).
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// WithBackoff sets the wait after the first failed attempt and the most any wait can be
// (Deliverer; default 5 s and 1 h). The n-th retry waits base·2ⁿ⁻¹, capped, with jitter.
func WithBackoff(base, max time.Duration) Option {
	return func(c *config) { c.backoffBase, c.backoffMax = base, max }
}

// WithTimeout bounds one delivery attempt (Deliverer; default 10 s).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithPoll sets how often idle workers look again (Pump, Deliverer; default 1 s).
func WithPoll(d time.Duration) Option { return func(c *config) { c.poll = d } }

// WithBatch sets how many changes the pump reads at once (Pump; default 100).
func WithBatch(n int) Option { return func(c *config) { c.batch = n } }

// WithHTTPClient sets the client that POSTs deliveries (Deliverer). Its CheckRedirect should
// refuse redirects, as the default's does.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.client = hc } }

// WithLogger sets the logger (Pump, Deliverer; default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithClock sets the clock (all; tests).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithWake makes the pump call wake after it enqueued changes (Pump): pass Deliverer.Wake so
// that deliveries start at once instead of at the next poll.
func WithWake(wake func()) Option { return func(c *config) { c.wake = wake } }

// withJitter replaces the jitter (tests).
func withJitter(j func(time.Duration) time.Duration) Option { return func(c *config) { c.jitter = j } }

// backoff is the wait after the n-th failed attempt (n ≥ 1): base·2ⁿ⁻¹ capped at max, then
// jittered.
func (c *config) backoff(n int) time.Duration {
	d := c.backoffBase
	for i := 1; i < n && d < c.backoffMax; i++ {
		d *= 2
	}
	if d > c.backoffMax {
		d = c.backoffMax
	}
	if d <= 0 {
		return 0
	}
	return c.jitter(d)
}
