package webhooks_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ucx-export/ucx/gateway/webhooks"
)

func TestSignKnownVector(t *testing.T) {
	// printf '%s' '1773129600.{"id":"credit-change-1"}' | openssl dgst -sha256 -hmac whsec_test
	assert.Equal(t, "sha256=b0c5816b0cf7e846e18c612391365d1300a3b05ede0f79805bc44c11a5597cf3",
		webhooks.Sign("whsec_test", 1773129600, []byte(`{"id":"credit-change-1"}`)))
}

func TestVerify(t *testing.T) {
	now := time.Unix(1773129600, 0)
	body := []byte(`{"id":"credit-change-1"}`)
	signed := func(secret string, at time.Time, b []byte) http.Header {
		h := http.Header{}
		h.Set(webhooks.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
		h.Set(webhooks.HeaderSignature, webhooks.Sign(secret, at.Unix(), b))
		return h
	}
	assert.NoError(t, webhooks.Verify("whsec_test", signed("whsec_test", now, body), body, now.Add(time.Minute), 5*time.Minute))

	retimed := signed("whsec_test", now, body)
	retimed.Set(webhooks.HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10))
	for name, c := range map[string]struct {
		h    http.Header
		body []byte
		at   time.Time
		want error
	}{
		"another secret":         {signed("whsec_other", now, body), body, now, webhooks.ErrBadSignature},
		"body changed":           {signed("whsec_test", now, body), []byte(`{"id":"credit-change-2"}`), now, webhooks.ErrBadSignature},
		"timestamp changed":      {retimed, body, now, webhooks.ErrBadSignature},
		"replayed later":         {signed("whsec_test", now, body), body, now.Add(6 * time.Minute), webhooks.ErrStale},
		"from the future":        {signed("whsec_test", now.Add(6*time.Minute), body), body, now, webhooks.ErrStale},
		"no headers":             {http.Header{}, body, now, webhooks.ErrNoSignature},
		"no sha256= prefix":      {http.Header{webhooks.HeaderTimestamp: {"1773129600"}, webhooks.HeaderSignature: {"b0c5"}}, body, now, webhooks.ErrNoSignature},
		"timestamp not a number": {http.Header{webhooks.HeaderTimestamp: {"x"}, webhooks.HeaderSignature: {"sha256=00"}}, body, now, webhooks.ErrNoSignature},
	} {
		assert.ErrorIs(t, webhooks.Verify("whsec_test", c.h, c.body, c.at, 5*time.Minute), c.want, name)
	}
}

func TestBackoffDoublesWithJitterAndCaps(t *testing.T) {
	full := webhooks.WithJitter(func(d time.Duration) time.Duration { return d })
	half := webhooks.WithJitter(func(d time.Duration) time.Duration { return d / 2 })
	b := webhooks.WithBackoff(time.Second, 10*time.Second)
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 40: 10 * time.Second} {
		assert.Equal(t, int64(want), webhooks.Backoff(n, b, full), "attempt %d", n)
		assert.Equal(t, int64(want/2), webhooks.Backoff(n, b, half), "attempt %d", n)
	}
	// The default jitter stays between half the wait and all of it.
	for range 200 {
		d := time.Duration(webhooks.Backoff(3, b))
		assert.True(t, d >= 2*time.Second && d <= 4*time.Second, "%s", d)
	}
}
