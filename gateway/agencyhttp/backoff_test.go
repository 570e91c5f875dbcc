package agencyhttp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBackoffIsJitteredExponentialAndCapped(t *testing.T) {
	c := New(Source{Name: "test"}, "http://127.0.0.1:1", WithBackoff(100*time.Millisecond, time.Second))
	cases := []struct {
		retry int
		limit time.Duration
	}{{0, 100 * time.Millisecond}, {1, 200 * time.Millisecond}, {2, 400 * time.Millisecond}, {3, 800 * time.Millisecond}, {4, time.Second}, {40, time.Second}}
	for _, tc := range cases {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := c.backoff(tc.retry)
			assert.GreaterOrEqual(t, d, tc.limit/2, "retry %d", tc.retry)
			assert.LessOrEqual(t, d, tc.limit, "retry %d", tc.retry)
			seen[d] = true
		}
		assert.Greater(t, len(seen), 1, "retry %d is jittered", tc.retry)
	}
	assert.Zero(t, New(Source{}, "", WithBackoff(0, 0)).backoff(1))
}
