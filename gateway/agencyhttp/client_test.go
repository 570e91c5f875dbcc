package agencyhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/cmd/agencysim/sim"
	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/agencyhttp"
	"github.com/ucx-export/ucx/gateway/licence"
	"github.com/ucx-export/ucx/gateway/maintenance"
	"github.com/ucx-export/ucx/gateway/police"
	"github.com/ucx-export/ucx/gateway/registry"
)

// startSim runs the real agency simulator in-process and returns its base URL and admin client.
func startSim(t testing.TB) (string, *sim.Admin) {
	t.Helper()
	s, err := sim.New(fixtures.FS, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); srv.Close() })
	return srv.URL, sim.NewAdmin(srv.URL)
}

// client is one look-up of one agency client, made against agencysim.
type client struct {
	name    string
	service string // the agencysim service it reaches
	// open builds the client on agencysim's base URL and returns a look-up of a fixture key
	// and the client's breaker state.
	open func(base string, opts ...agencyhttp.Option) (call func(context.Context) error, breaker func() string)
}

var clients = []client{
	{"police", sim.Police, func(base string, opts ...agencyhttp.Option) (func(context.Context) error, func() string) {
		c := police.New(base+police.SimPrefix, opts...)
		return func(ctx context.Context) error { _, err := c.VehicleStatus(ctx, "LGXCE4CB8N4107254"); return err }, c.BreakerState
	}},
	{"maintenance", sim.Maintenance, func(base string, opts ...agencyhttp.Option) (func(context.Context) error, func() string) {
		c := maintenance.New(base+maintenance.SimPrefix, opts...)
		return func(ctx context.Context) error { _, err := c.Records(ctx, "LGXCE4CB8N4107254"); return err }, c.BreakerState
	}},
	{"licence", sim.Licences, func(base string, opts ...agencyhttp.Option) (func(context.Context) error, func() string) {
		c := licence.New(base+licence.SimPrefix, opts...)
		return func(ctx context.Context) error { _, err := c.Licence(ctx, "25-CQ-000413"); return err }, c.BreakerState
	}},
	{"registry exporter", sim.Registry, func(base string, opts ...agencyhttp.Option) (func(context.Context) error, func() string) {
		c := registry.New(base+registry.SimPrefix, opts...)
		return func(ctx context.Context) error { _, err := c.Exporter(ctx, "91440300192317458F"); return err }, c.BreakerState
	}},
	{"registry destination", sim.Registry, func(base string, opts ...agencyhttp.Option) (func(context.Context) error, func() string) {
		c := registry.New(base+registry.SimPrefix, opts...)
		return func(ctx context.Context) error { _, err := c.Destination(ctx, "KZ"); return err }, c.BreakerState
	}},
}

// fast keeps the fault tests quick: short attempts, near-zero backoff, default 2 retries.
var fast = []agencyhttp.Option{
	agencyhttp.WithTimeout(500 * time.Millisecond),
	agencyhttp.WithBackoff(time.Millisecond, 5*time.Millisecond),
}

func TestFaults(t *testing.T) {
	cases := []struct {
		name     string
		fault    sim.Fault
		wantCode string // "" for success
		requests int64  // requests that reach agencysim; 0: at least 3 (see down)
	}{
		{"no fault", sim.Fault{}, "", 1},
		{"latency under the timeout", sim.Fault{LatencyMS: 20}, "", 1},
		{"latency over the timeout", sim.Fault{LatencyMS: 10_000}, gateway.EUNAVAILABLE, 3},
		{"error rate 1.0", sim.Fault{ErrorRate: 1}, gateway.EUNAVAILABLE, 3},
		{"timeout", sim.Fault{Timeout: true}, gateway.EUNAVAILABLE, 3},
		{"malformed body is not retried", sim.Fault{Malformed: true}, gateway.EUNAVAILABLE, 1},
		// The transport may itself resend a GET once on a dropped reused connection.
		{"down", sim.Fault{Down: true}, gateway.EUNAVAILABLE, 0},
	}
	for _, cl := range clients {
		for _, tc := range cases {
			t.Run(cl.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				base, admin := startSim(t)
				require.NoError(t, admin.SetFault(ctx, cl.service, tc.fault))
				call, breaker := cl.open(base, fast...)

				start := time.Now()
				err := call(ctx)
				elapsed := time.Since(start)
				if tc.wantCode == "" {
					require.NoError(t, err)
				} else {
					require.Error(t, err)
					assert.Equal(t, tc.wantCode, gateway.ErrorCode(err))
					en, zh := gateway.ErrorMessages(err)
					assert.Contains(t, en, "unavailable", "the message names the outage")
					assert.NotContains(t, en, "injected", "upstream text never reaches the caller")
					assert.NotEmpty(t, zh)
				}
				// Generous: 3 attempts of 500 ms, never the 10 s the agency would take.
				assert.Less(t, elapsed, 5*time.Second)
				if tc.requests > 0 {
					assert.Equal(t, tc.requests, admin.Requests(ctx, cl.service))
				} else {
					assert.GreaterOrEqual(t, admin.Requests(ctx, cl.service), int64(3))
				}
				assert.Equal(t, "closed", breaker(), "one failed call does not open the breaker")
			})
		}
	}
}

func TestErrorRateHalfIsMostlyRecoveredByRetries(t *testing.T) {
	const calls = 40
	for _, cl := range clients {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			base, admin := startSim(t)
			require.NoError(t, admin.SetFault(ctx, cl.service, sim.Fault{ErrorRate: 0.5}))
			call, _ := cl.open(base, fast...)
			ok := 0
			for range calls {
				if call(ctx) == nil {
					ok++
				}
			}
			// A call fails only when all 3 attempts do (1 in 8): ~35 of 40 succeed; without
			// retries ~20 would.
			assert.GreaterOrEqual(t, ok, 25, "successes out of %d", calls)
			assert.Greater(t, admin.Requests(ctx, cl.service), int64(calls), "retries reached the agency")
		})
	}
}

func TestBreakerOpensAndCloses(t *testing.T) {
	for _, cl := range clients {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			base, admin := startSim(t)
			require.NoError(t, admin.SetFault(ctx, cl.service, sim.Fault{ErrorRate: 1}))
			call, breaker := cl.open(base, append(fast, agencyhttp.WithBreaker(5, 200*time.Millisecond))...)

			for i := range 5 {
				assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(call(ctx)), "call %d", i)
			}
			assert.Equal(t, "open", breaker(), "5 consecutive failed calls open it")
			require.Equal(t, int64(15), admin.Requests(ctx, cl.service), "5 calls × 3 attempts")

			// Open: calls fail at once and stop reaching the agency.
			for range 10 {
				err := call(ctx)
				assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
				en, _ := gateway.ErrorMessages(err)
				assert.Contains(t, en, "circuit open")
			}
			assert.Equal(t, int64(15), admin.Requests(ctx, cl.service), "no call reached the agency while open")

			// The agency recovers; after the open period one probe closes the breaker.
			require.NoError(t, admin.ClearFaults(ctx))
			require.Eventually(t, func() bool { return breaker() == "half-open" }, 5*time.Second, 20*time.Millisecond)
			require.NoError(t, call(ctx))
			assert.Equal(t, "closed", breaker())
			require.NoError(t, call(ctx))
			assert.Equal(t, int64(17), admin.Requests(ctx, cl.service))
		})
	}
}

func TestBreakerReopensWhenTheProbeFails(t *testing.T) {
	ctx := context.Background()
	base, admin := startSim(t)
	require.NoError(t, admin.SetFault(ctx, sim.Police, sim.Fault{ErrorRate: 1}))
	c := police.New(base+police.SimPrefix, append(fast, agencyhttp.WithRetries(0), agencyhttp.WithBreaker(2, 100*time.Millisecond))...)
	for range 2 {
		_, err := c.VehicleStatus(ctx, "LGXCE4CB8N4107254")
		require.Error(t, err)
	}
	require.Equal(t, "open", c.BreakerState())
	require.Eventually(t, func() bool { return c.BreakerState() == "half-open" }, 5*time.Second, 10*time.Millisecond)
	_, err := c.VehicleStatus(ctx, "LGXCE4CB8N4107254")
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
	assert.Equal(t, "open", c.BreakerState(), "a failed probe opens it again")
	assert.Equal(t, int64(3), admin.Requests(ctx, sim.Police))
}

func TestStateChangesAreReported(t *testing.T) {
	ctx := context.Background()
	base, admin := startSim(t)
	require.NoError(t, admin.SetFault(ctx, sim.Police, sim.Fault{ErrorRate: 1}))
	var changes atomic.Int32
	var last atomic.Value
	c := police.New(base+police.SimPrefix, append(fast, agencyhttp.WithRetries(0), agencyhttp.WithBreaker(1, time.Hour),
		agencyhttp.WithStateChange(func(source, from, to string) {
			changes.Add(1)
			last.Store(source + ":" + from + "→" + to)
		}))...)
	_, err := c.VehicleStatus(ctx, "LGXCE4CB8N4107254")
	require.Error(t, err)
	assert.Equal(t, int32(1), changes.Load())
	assert.Equal(t, "police:closed→open", last.Load())
}

func TestNotFoundIsAnAnswer(t *testing.T) {
	ctx := context.Background()
	base, admin := startSim(t)
	c := police.New(base+police.SimPrefix, append(fast, agencyhttp.WithBreaker(1, time.Hour))...)
	for range 3 {
		_, err := c.VehicleStatus(ctx, "LNOTINTHEFIXTURES")
		assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
	}
	assert.Equal(t, int64(3), admin.Requests(ctx, sim.Police), "a 404 is never retried")
	assert.Equal(t, "closed", c.BreakerState(), "a 404 is not a failure of the agency")
}

// A 404 that is not the agency's own "not found" (a wrong base URL, a proxy's page) must
// never read as "no record": that would reject filings for a misconfiguration.
func TestForeign404IsAnOutage(t *testing.T) {
	ctx := context.Background()
	base, _ := startSim(t)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	for name, url := range map[string]string{
		"agencysim without the service prefix": base,
		"plain text 404":                       plain.URL,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := police.New(url, fast...).VehicleStatus(ctx, "LGXCE4CB8N4107254")
			assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
		})
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.Error(w, `{"error":{"code":"EINVALID","message":"bad vin"}}`, http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	c := police.New(srv.URL, append(fast, agencyhttp.WithBreaker(1, time.Hour))...)
	_, err := c.VehicleStatus(context.Background(), "LGXCE4CB8N4107254")
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err), "the look-up got no answer")
	assert.Equal(t, int32(1), hits.Load())
	assert.Equal(t, "closed", c.BreakerState(), "a 4xx says nothing about the agency's health")
	assert.Contains(t, err.Error(), "bad vin", "the upstream text stays wrapped for logs")
	en, _ := gateway.ErrorMessages(err)
	assert.NotContains(t, en, "bad vin")
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	_, err := registry.New(url, fast...).Exporter(context.Background(), "91440300192317458F")
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
	en, zh := gateway.ErrorMessages(err)
	assert.Equal(t, "exporter registry unavailable", en)
	assert.Equal(t, "出口企业备案系统暂不可用", zh)
}

func TestCallerCancellationDoesNotTripTheBreaker(t *testing.T) {
	base, admin := startSim(t)
	require.NoError(t, admin.SetFault(context.Background(), sim.Police, sim.Fault{Timeout: true}))
	c := police.New(base+police.SimPrefix, agencyhttp.WithBreaker(2, time.Hour))
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := c.VehicleStatus(ctx, "LGXCE4CB8N4107254")
		assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
		assert.ErrorIs(t, err, context.Canceled)
		cancel()
	}
	assert.Equal(t, "closed", c.BreakerState())
	assert.LessOrEqual(t, admin.Requests(context.Background(), sim.Police), int64(5), "a cancelled call is not retried")

}

func TestCancelledCallIsNotMade(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := police.New(srv.URL).VehicleStatus(ctx, "LGXCE4CB8N4107254")
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, hits.Load())
}

func TestCallerDeadlineBoundsTheRetries(t *testing.T) {
	base, admin := startSim(t)
	require.NoError(t, admin.SetFault(context.Background(), sim.Police, sim.Fault{Timeout: true}))
	c := police.New(base + police.SimPrefix) // defaults: 2 s attempts, 2 retries
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.VehicleStatus(ctx, "LGXCE4CB8N4107254")
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
	assert.Less(t, time.Since(start), 1900*time.Millisecond, "the caller's deadline wins over the attempt timeout")
	assert.LessOrEqual(t, admin.Requests(context.Background(), sim.Police), int64(1), "no retry after the caller's deadline")
}

func TestPath(t *testing.T) {
	assert.Equal(t, "/v1/vehicles/LGXCE4CB8N4107254", agencyhttp.Path("v1", "vehicles", "LGXCE4CB8N4107254"))
	assert.Equal(t, "/v1/vehicles/A%2FB%3Fc=d%25e%20f/records", agencyhttp.Path("v1", "vehicles", "A/B?c=d%e f", "records"))
}

func TestValidateBaseURL(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8090", "https://police.example.cn/api/", "http://localhost:8090/police"} {
		assert.NoError(t, agencyhttp.ValidateBaseURL(ok), ok)
	}
	for _, bad := range []string{"", "127.0.0.1:8090", "ftp://x", "http://", "http://x/?q=1", "http://x/#f", "http://%zz"} {
		assert.Error(t, agencyhttp.ValidateBaseURL(bad), bad)
	}
}

func TestCancelledProbeDoesNotCloseTheBreaker(t *testing.T) {
	ctx := context.Background()
	base, admin := startSim(t)
	require.NoError(t, admin.SetFault(ctx, sim.Police, sim.Fault{ErrorRate: 1}))
	c := police.New(base+police.SimPrefix, append(fast, agencyhttp.WithRetries(0), agencyhttp.WithBreaker(1, 100*time.Millisecond))...)
	_, err := c.VehicleStatus(ctx, "LGXCE4CB8N4107254")
	require.Error(t, err)
	require.Equal(t, "open", c.BreakerState())

	require.NoError(t, admin.SetFault(ctx, sim.Police, sim.Fault{Timeout: true}))
	require.Eventually(t, func() bool { return c.BreakerState() == "half-open" }, 5*time.Second, 10*time.Millisecond)
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = c.VehicleStatus(cctx, "LGXCE4CB8N4107254")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "open", c.BreakerState(), "a probe that proved nothing does not close the breaker")
}
