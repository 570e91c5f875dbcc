package webhooks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
	"github.com/ucx-export/ucx/gateway/rediscache"
	"github.com/ucx-export/ucx/gateway/webhooks"
)

// The kill test re-runs this test binary as the deliverer: with childBackend set, TestMain
// runs runChild instead of the tests.
const (
	childBackend = "UCX_WEBHOOKS_CHILD"        // embedded or redis
	childDir     = "UCX_WEBHOOKS_CHILD_DIR"    // embedded: the data directory
	childPrefix  = "UCX_WEBHOOKS_CHILD_PREFIX" // redis: the key prefix (and UCX_REDIS_URL)
	killChanges  = 120                         // changes in the child's feed
	killAt       = 41                          // the child is killed while it delivers this one
)

func TestMain(m *testing.M) {
	if os.Getenv(childBackend) != "" {
		if err := runChild(); err != nil {
			fmt.Fprintln(os.Stderr, "webhooks child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childFeed is the same feed in every child process: killChanges changes of every kind.
func childFeed() *gatewaytest.CreditFeed {
	feed := &gatewaytest.CreditFeed{}
	for i := range killChanges {
		feed.Append(gatewaytest.Change(webhooks.Kinds[i%len(webhooks.Kinds)], i))
	}
	return feed
}

// runChild pumps childFeed into the queue and delivers it until SIGTERM.
func runChild() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var q gateway.WebhookQueue
	switch os.Getenv(childBackend) {
	case "embedded":
		eq, err := embedded.OpenWebhookQueue(os.Getenv(childDir), time.Second)
		if err != nil {
			return err
		}
		defer eq.Close()
		q = eq
	case "redis":
		rdb, err := rediscache.NewClient(os.Getenv("UCX_REDIS_URL"))
		if err != nil {
			return err
		}
		defer rdb.Close()
		q = rediscache.NewWebhookQueue(rdb, rediscache.WithPrefix(os.Getenv(childPrefix)), rediscache.WithLease(time.Second))
	default:
		return fmt.Errorf("unknown backend %q", os.Getenv(childBackend))
	}
	log := testLog()
	d := webhooks.NewDeliverer(q, webhooks.WithLogger(log), webhooks.WithPoll(10*time.Millisecond),
		webhooks.WithBackoff(5*time.Millisecond, 50*time.Millisecond), webhooks.WithMaxAttempts(1000), webhooks.WithTimeout(500*time.Millisecond))
	p := webhooks.NewPump(childFeed(), q, webhooks.WithLogger(log), webhooks.WithPoll(10*time.Millisecond), webhooks.WithBatch(10), webhooks.WithWake(d.Wake))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.Run(ctx) }()
	go func() { defer wg.Done(); d.Run(ctx) }()
	wg.Wait()
	return nil
}

// TestKilledDelivererLosesNothing runs the deliverer in a child process, SIGKILLs it while it
// delivers (a POST under way), restarts it on the same queue, and checks that every change
// reached the agency with a 2xx at least once, that the one in flight at the kill was sent
// again, and that the queue is left empty.
func TestKilledDelivererLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	t.Run("embedded", func(t *testing.T) {
		dir := t.TempDir()
		open := func() (gateway.WebhookQueue, func()) {
			q, err := embedded.OpenWebhookQueue(dir, time.Second)
			require.NoError(t, err)
			return q, func() { q.Close() }
		}
		killAndRestart(t, open, childBackend+"=embedded", childDir+"="+dir)
	})
	t.Run("redis", func(t *testing.T) {
		url := os.Getenv("UCX_REDIS_URL")
		if url == "" {
			if os.Getenv("UCX_INTEGRATION") == "1" {
				t.Fatal("UCX_INTEGRATION=1 but UCX_REDIS_URL is unset (scripts/redis.sh start prints one)")
			}
			t.Skip("UCX_REDIS_URL is unset: start a server with scripts/redis.sh start")
		}
		rdb, err := rediscache.NewClient(url)
		require.NoError(t, err)
		t.Cleanup(func() { rdb.Close() })
		require.NoError(t, rdb.Ping(context.Background()).Err())
		var b [6]byte
		_, _ = rand.Read(b[:])
		prefix := "ucxtest:webhooks-kill:" + hex.EncodeToString(b[:]) + ":"
		t.Cleanup(func() {
			ctx := context.Background()
			keys, _ := rdb.Keys(ctx, prefix+"*").Result()
			if len(keys) > 0 {
				rdb.Del(ctx, keys...)
			}
		})
		open := func() (gateway.WebhookQueue, func()) {
			return rediscache.NewWebhookQueue(rdb, rediscache.WithPrefix(prefix), rediscache.WithLease(time.Second)), func() {}
		}
		killAndRestart(t, open, childBackend+"=redis", childPrefix+"="+prefix, "UCX_REDIS_URL="+url)
	})
}

func killAndRestart(t *testing.T, open func() (gateway.WebhookQueue, func()), env ...string) {
	ctx := context.Background()
	var (
		mu        sync.Mutex
		secret    string
		ok        = map[string]int{} // event ID → 2xx answers
		requests  = map[string]int{} // event ID → requests
		killNow   = make(chan struct{})
		killed    = make(chan struct{})
		triggered sync.Once
	)
	rc := newReceiver(t, func(r received, _ int) int {
		mu.Lock()
		assert.NoError(t, webhooks.Verify(secret, r.Header, r.Body, time.Now(), time.Minute), "signature of %s", r.Event.ID)
		requests[r.Event.ID]++
		mu.Unlock()
		if r.Event.ID == webhooks.EventID(killAt) {
			fire := false
			triggered.Do(func() { fire = true })
			if fire { // hold the POST open until its sender is dead: this answer never arrives
				close(killNow)
				<-killed
				return http.StatusOK
			}
		}
		if r.Event.Change.Seq%10 == 0 && r.Event.Attempt == 1 {
			return http.StatusInternalServerError // and some first attempts fail
		}
		mu.Lock()
		ok[r.Event.ID]++
		mu.Unlock()
		return http.StatusOK
	})

	q, closeQ := open()
	s := subscribe(t, q, rc.URL+"/ucx/credit")
	mu.Lock()
	secret = s.Secret
	mu.Unlock()
	closeQ() // the embedded queue's file admits one process

	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), env...)
		if os.Getenv("UCX_TEST_LOG") == "1" {
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		}
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		return cmd
	}
	first := start()
	select {
	case <-killNow:
	case <-time.After(60 * time.Second):
		t.Fatal("the deliverer never reached the change to be killed on")
	}
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_ = first.Wait()
	mu.Lock()
	before := len(ok)
	mu.Unlock()
	close(killed)
	assert.Less(t, before, killChanges, "killed mid-stream")

	second := start()
	allDelivered := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ok) == killChanges
	}
	require.Eventually(t, allDelivered, 60*time.Second, 20*time.Millisecond, "every change delivered after the restart")
	require.NoError(t, second.Process.Signal(syscall.SIGTERM))
	waited := make(chan error, 1)
	go func() { waited <- second.Wait() }()
	select {
	case err := <-waited:
		require.NoError(t, err, "the deliverer stops cleanly on SIGTERM")
	case <-time.After(30 * time.Second):
		t.Fatal("the deliverer did not stop on SIGTERM")
	}

	mu.Lock()
	for seq := uint64(1); seq <= killChanges; seq++ {
		assert.GreaterOrEqual(t, ok[webhooks.EventID(seq)], 1, "change %d delivered", seq)
	}
	assert.GreaterOrEqual(t, requests[webhooks.EventID(killAt)], 2, "the POST in flight at the kill was sent again")
	mu.Unlock()

	q, closeQ = open()
	defer closeQ()
	cur, err := q.Cursor(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(killChanges), cur)
	dead, err := q.DeadLetters(ctx, s.ID)
	require.NoError(t, err)
	assert.Empty(t, dead)
	left, err := q.Claim(ctx, s.ID, time.Now().Add(time.Hour), 1000)
	require.NoError(t, err)
	assert.Empty(t, left, "every delivery acknowledged")
}
