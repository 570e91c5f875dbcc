// Package agencyhttp is the HTTP machinery the clients of the agency systems share (police,
// maintenance records, export licences, the exporter and destination registry): a per-attempt
// timeout, bounded retries with jittered exponential backoff for idempotent GETs, one circuit
// breaker per client (github.com/sony/gobreaker/v2), and the one function that translates
// upstream failures into gateway errors.
//
// A look-up answers the decoded body, ENOTFOUND when the agency says the resource does not
// exist (a 404 carrying the error envelope with code ENOTFOUND), or EUNAVAILABLE naming the
// agency system for everything else: timeouts, 5xx, connection errors, an open breaker, a
// malformed or meaningless body, and any 404 that is not the agency's own answer (a wrong base
// URL must hold a filing for review, never reject it for "no record").
package agencyhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/ucx-export/ucx/gateway"
)

// Defaults of the settings the options change.
const (
	DefaultTimeout         = 2 * time.Second
	DefaultRetries         = 2
	DefaultBackoffBase     = 100 * time.Millisecond
	DefaultBackoffMax      = time.Second
	DefaultBreakerFailures = 5
	DefaultBreakerOpenFor  = 10 * time.Second
)

// maxBody bounds the body read from an agency; a longer body is malformed.
const maxBody = 4 << 20

// Source names the agency system a client talks to, as its errors name it.
type Source struct {
	Name    string // short name for the breaker and logs, e.g. "police"
	Title   string // English name in caller-safe messages, e.g. "police registration system"
	TitleZh string // Chinese name in caller-safe messages, e.g. "公安交管车辆登记系统"
}

// Request describes one look-up.
type Request struct {
	// Path is appended to the base URL; build it with Path so that keys are escaped.
	Path string
	// NotFound is returned when the agency answers that the resource does not exist. Nil
	// means the API has no "not found" answer, and such a 404 is an outage like any other.
	NotFound *gateway.Error
	// Check, when set, runs on the decoded body; an error makes the answer malformed (a
	// "null" body, a missing member, a record about another key).
	Check func() error
}

// Client performs GETs against one agency system. It is safe for concurrent use.
type Client struct {
	source  Source
	base    string
	s       settings
	breaker *gobreaker.CircuitBreaker[struct{}]
}

type settings struct {
	httpClient      *http.Client
	timeout         time.Duration
	retries         int
	backoffBase     time.Duration
	backoffMax      time.Duration
	breakerFailures uint32
	breakerOpenFor  time.Duration
	onStateChange   func(source, from, to string)
}

// Option changes a setting of a Client.
type Option func(*settings)

// WithTimeout bounds each HTTP attempt (default 2 s; d ≤ 0 keeps it); the caller's context
// bounds the whole call, retries included.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// WithRetries sets how many times a failed GET is retried (default 2; 0 disables retries).
// Only timeouts, connection errors and 5xx answers are retried, never a 4xx or a malformed
// body.
func WithRetries(n int) Option { return func(s *settings) { s.retries = max(n, 0) } }

// WithBackoff sets the backoff before retry n (from 0): a random duration between half and
// all of min(base·2ⁿ, max). Defaults: 100 ms, 1 s.
func WithBackoff(base, maxDelay time.Duration) Option {
	return func(s *settings) { s.backoffBase, s.backoffMax = base, maxDelay }
}

// WithBreaker sets the circuit breaker: it opens after failures consecutive failed calls (a
// call fails when its retries could not get an answer) and lets one probe call through after
// openFor. Defaults: 5 calls, 10 s.
func WithBreaker(failures uint32, openFor time.Duration) Option {
	return func(s *settings) { s.breakerFailures, s.breakerOpenFor = max(failures, 1), openFor }
}

// WithHTTPClient sets the HTTP client (default: a dedicated client over a clone of
// http.DefaultTransport that keeps up to 64 idle connections to the agency). Its Timeout
// should be zero: WithTimeout bounds each attempt.
func WithHTTPClient(c *http.Client) Option { return func(s *settings) { s.httpClient = c } }

// WithStateChange registers f to be told when the breaker changes state ("closed", "open",
// "half-open"), e.g. for cmd/ to log it.
func WithStateChange(f func(source, from, to string)) Option {
	return func(s *settings) { s.onStateChange = f }
}

// New returns a client of the agency system source served at baseURL (scheme, host and
// optional path prefix; a trailing slash is ignored). A malformed baseURL fails every call
// with EUNAVAILABLE; check it first with ValidateBaseURL.
func New(source Source, baseURL string, opts ...Option) *Client {
	s := settings{
		timeout: DefaultTimeout, retries: DefaultRetries,
		backoffBase: DefaultBackoffBase, backoffMax: DefaultBackoffMax,
		breakerFailures: DefaultBreakerFailures, breakerOpenFor: DefaultBreakerOpenFor,
	}
	for _, o := range opts {
		o(&s)
	}
	if s.httpClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		s.httpClient = &http.Client{Transport: t}
	}
	c := &Client{source: source, base: strings.TrimRight(baseURL, "/"), s: s}
	st := gobreaker.Settings{
		Name:        source.Name,
		MaxRequests: 1,
		Timeout:     s.breakerOpenFor,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= s.breakerFailures },
	}
	if s.onStateChange != nil {
		st.OnStateChange = func(name string, from, to gobreaker.State) { s.onStateChange(name, from.String(), to.String()) }
	}
	c.breaker = gobreaker.NewCircuitBreaker[struct{}](st)
	return c
}

// ValidateBaseURL reports whether raw is usable as a base URL: http or https, with a host.
func ValidateBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL with a host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: a base URL has no query or fragment", raw)
	}
	return nil
}

// Path joins segments into a URL path, escaping each, so that a key holding '/', '?' or '%'
// stays one segment: Path("v1", "vehicles", vin) is "/v1/vehicles/<vin>".
func Path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// Source returns the agency system the client talks to.
func (c *Client) Source() Source { return c.source }

// BreakerState returns the state of the client's circuit breaker: "closed", "open" or
// "half-open".
func (c *Client) BreakerState() string { return c.breaker.State().String() }

// Get performs the look-up req and decodes the JSON body of a 200 answer into out (a
// pointer). It returns req.NotFound (ENOTFOUND) when the agency says the resource does not
// exist and EUNAVAILABLE naming the source for every other failure, the cause wrapped for
// logs.
func (c *Client) Get(ctx context.Context, req Request, out any) error {
	if err := ctx.Err(); err != nil {
		return c.translate(err, req.NotFound)
	}
	var callErr error
	_, err := c.breaker.Execute(func() (struct{}, error) {
		callErr = c.getWithRetries(ctx, req, out)
		// Half-open lets one call through at a time: this one is the probe.
		if c.isOutage(ctx, callErr, c.breaker.State() == gobreaker.StateHalfOpen) {
			return struct{}{}, callErr
		}
		return struct{}{}, nil // an answer, even "not found", or the caller gave up
	})
	if err != nil && callErr == nil { // the open breaker refused the call
		callErr = err
	}
	return c.translate(callErr, req.NotFound)
}

// getWithRetries makes up to 1+retries attempts, retrying only what may succeed next time.
func (c *Client) getWithRetries(ctx context.Context, req Request, out any) error {
	for n := 0; ; n++ {
		err := c.attempt(ctx, req, out)
		if err == nil || n == c.s.retries || !retryable(ctx, err) {
			return err
		}
		t := time.NewTimer(c.backoff(n))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (retry abandoned: %w)", err, ctx.Err())
		}
	}
}

// backoff returns the jittered delay before retry n: "equal jitter", so that retries of many
// concurrent calls spread out but never come back immediately.
func (c *Client) backoff(n int) time.Duration {
	d := c.s.backoffMax
	if n < 30 && c.s.backoffBase<<n < d {
		d = c.s.backoffBase << n
	}
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// Failure kinds of one attempt; translate turns them into gateway errors.
type (
	// transportError is a failed exchange: connection refused or reset, attempt timeout.
	transportError struct{ err error }
	// statusError is an answer other than 200.
	statusError struct {
		status  int
		code    string // the code of the agency's error envelope, when there is one
		message string // for logs only
	}
	// malformedError is a 200 whose body is not the JSON expected.
	malformedError struct{ err error }
	// requestError is a request that could not be built (a malformed base URL).
	requestError struct{ err error }
)

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }
func (e *statusError) Error() string {
	return strings.TrimSpace(fmt.Sprintf("status %d %s %s", e.status, e.code, e.message))
}
func (e *malformedError) Error() string { return "malformed body: " + e.err.Error() }
func (e *malformedError) Unwrap() error { return e.err }
func (e *requestError) Error() string   { return "build request: " + e.err.Error() }
func (e *requestError) Unwrap() error   { return e.err }

// attempt performs one GET bounded by the per-attempt timeout.
func (c *Client) attempt(ctx context.Context, req Request, out any) error {
	actx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodGet, c.base+req.Path, nil)
	if err != nil {
		return &requestError{err}
	}
	hreq.Header.Set("Accept", "application/json")
	resp, err := c.s.httpClient.Do(hreq)
	if err != nil {
		return &transportError{err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return &transportError{err}
	}
	if resp.StatusCode != http.StatusOK {
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		se := &statusError{status: resp.StatusCode}
		if json.Unmarshal(body, &env) == nil {
			se.code, se.message = env.Error.Code, env.Error.Message
		}
		return se
	}
	if len(body) > maxBody {
		return &malformedError{fmt.Errorf("body exceeds %d bytes", maxBody)}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &malformedError{err}
	}
	if req.Check != nil {
		if err := req.Check(); err != nil {
			return &malformedError{err}
		}
	}
	return nil
}

// retryable reports whether another attempt may succeed: the caller still waits, and the
// failure was a timeout, a connection error or a 5xx.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var te *transportError
	var se *statusError
	return errors.As(err, &te) || errors.As(err, &se) && se.status >= 500
}

// isOutage reports whether a call's outcome counts against the breaker: no answer, a 5xx or
// a malformed body. A 4xx is an answer. A caller that cancelled says nothing about the agency
// (a caller's deadline does: the agency was too slow for it), but a cancelled probe must not
// close the breaker either, so it counts as a failure and the breaker waits another period.
func (c *Client) isOutage(ctx context.Context, err error, probe bool) bool {
	if err == nil {
		return false
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return probe
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.status >= 500
	}
	var re *requestError
	return !errors.As(err, &re)
}

// translate is the one function that turns the outcome of a look-up into a gateway error:
// the agency's own 404 is ENOTFOUND, everything else EUNAVAILABLE naming the source. The
// upstream's text never reaches the caller's message; it stays wrapped for logs.
func (c *Client) translate(err error, notFound *gateway.Error) error {
	if err == nil {
		return nil
	}
	var se *statusError
	if notFound != nil && errors.As(err, &se) && se.status == http.StatusNotFound && se.code == gateway.ENOTFOUND {
		return notFound
	}
	en, zh := c.source.Title+" unavailable", c.source.TitleZh+"暂不可用"
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		en, zh = c.source.Title+" unavailable (circuit open)", c.source.TitleZh+"暂不可用（熔断中）"
	}
	return gateway.Wrap(fmt.Errorf("%s: %w", c.source.Name, err), gateway.EUNAVAILABLE, en, zh)
}
