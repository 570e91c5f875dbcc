package webhooks

// WithJitter replaces the backoff's jitter (tests).
var WithJitter = withJitter

// Backoff is the wait after the n-th failed attempt under opts.
func Backoff(n int, opts ...Option) (d int64) {
	c := newConfig(opts)
	return int64(c.backoff(n))
}
