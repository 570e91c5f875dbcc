package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	HeaderEventID        = "X-UCX-Event-Id"
	HeaderTimestamp      = "X-UCX-Timestamp"
	HeaderSignature      = "X-UCX-Signature"
	HeaderSubscriptionID = "X-UCX-Subscription-Id"
	HeaderAttempt        = "X-UCX-Attempt"
)

// Sign returns the X-UCX-Signature value of body sent at timestamp (Unix seconds):
// "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body).
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("webhooks: missing or malformed signature headers")
	ErrBadSignature = errors.New("webhooks: signature does not match")
	ErrStale        = errors.New("webhooks: timestamp outside the tolerance")
)

// Verify checks a received delivery: the signature of body under secret, in constant time,
// and that the timestamp is within tolerance of now (a replayed old delivery is refused).
// It is what an agency's receiver runs before trusting a request.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	sig := h.Get(HeaderSignature)
	if err != nil || !strings.HasPrefix(sig, "sha256=") {
		return ErrNoSignature
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, ts, body))) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
