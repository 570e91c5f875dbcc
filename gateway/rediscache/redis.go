// Package rediscache keeps the gateway's working data in Redis, shared by every gateway
// replica: Store (filings, documents, VIN → current filing, the anchor queue and idempotency
// keys, each filing written atomically by one Lua script), Lookups (a cache in front of
// the agency look-ups that answers a filing in one Redis round trip and falls back to the
// agencies when Redis fails), WebhookQueue (the credit change webhooks on Redis Streams;
// its keys, ucx:wh:…, are listed on the type), AuditLog (the hash-chained audit log of
// personal-data and credit reads; ucx:audit:…, listed on the type) and RateLimiter (a token
// bucket per caller and route class, ucx:rl:{class}:{caller}, taken by a Lua script).
//
// Key layout, under a configurable prefix (default "ucx:"):
//
//	ucx:filing:{id}       hash  rec (record JSON), supersedes, supersededBy
//	ucx:doc:{hash}        string  canonical document (content-addressed, written once)
//	ucx:vin:{vin}         string  current filing ID of the VIN
//	ucx:anchors           sorted set  filing IDs waiting for their ledger anchor (all score 0,
//	                      so lexicographic = filing-ID = age order)
//	ucx:idem:{key}        string  IdempotentResponse JSON, expires after 24 h
//	ucx:lk:{source}:{id}  string  cached look-up answer with its fetch time, expires per source
//
// The Store's keys assume one Redis (or a primary with replicas): the save script reaches the
// previous filing's key by name, which Redis Cluster only allows within one hash slot (a
// prefix with a hash tag, "{ucx}:", puts every key in one slot).
package rediscache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/ucx-export/ucx/gateway"
)

// client is the part of go-redis this package uses (*redis.Client, *redis.ClusterClient and
// redis.UniversalClient satisfy it).
type client interface {
	redis.Scripter
	Get(ctx context.Context, key string) *redis.StringCmd
	MGet(ctx context.Context, keys ...string) *redis.SliceCmd
	HMGet(ctx context.Context, key string, fields ...string) *redis.SliceCmd
	HSet(ctx context.Context, key string, values ...any) *redis.IntCmd
	HGetAll(ctx context.Context, key string) *redis.MapStringStringCmd
	ZRangeArgs(ctx context.Context, z redis.ZRangeArgs) *redis.StringSliceCmd
	ZRangeArgsWithScores(ctx context.Context, z redis.ZRangeArgs) *redis.ZSliceCmd
	ZRem(ctx context.Context, key string, members ...any) *redis.IntCmd
	Ping(ctx context.Context) *redis.StatusCmd
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
}

var _ client = (*redis.Client)(nil)

// NewClient connects to the Redis at rawURL (redis://[user:password@]host:port/db, or
// rediss:// for TLS) with settings for the gateway: context deadlines bound every command (so
// a hung Redis costs a look-up its cache timeout, not the read timeout), 1 s dial and 3 s
// read/write timeouts, two dials per attempt, and no maintenance-notification handshake (a
// self-hosted Redis does not speak it). The connection is made lazily; check it with
// Store.Ready.
func NewClient(rawURL string) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse redis URL: %w", err)
	}
	opt.ContextTimeoutEnabled = true
	opt.DialTimeout = time.Second
	opt.ReadTimeout = 3 * time.Second
	opt.WriteTimeout = 3 * time.Second
	// Fail fast when Redis is down (go-redis would dial 5 times per attempt, 4 attempts): a
	// look-up then goes to the agencies, a save answers EUNAVAILABLE.
	opt.DialerRetries = 2
	opt.DialerRetryTimeout = 50 * time.Millisecond
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return redis.NewClient(opt), nil
}

// Default settings; each can be changed with an Option.
const (
	// DefaultPrefix starts every key (WithPrefix).
	DefaultPrefix = "ucx:"
	// DefaultIdempotencyTTL is how long an idempotency key is kept (WithIdempotencyTTL).
	// ASSUMPTION: a client retries a filing within a day; the embedded store never forgets.
	DefaultIdempotencyTTL = 24 * time.Hour
	// DefaultCacheTimeout bounds each Redis call of a look-up (WithCacheTimeout): a loopback
	// round trip takes well under a millisecond, an agency call tens of milliseconds.
	DefaultCacheTimeout = 250 * time.Millisecond
	// DefaultCacheBackoff is how long look-ups skip Redis after it failed (WithCacheBackoff).
	DefaultCacheBackoff = time.Second
)

// Look-up cache lifetimes (see TTLs). ASSUMPTIONS, to confirm with the agencies:
const (
	// DefaultPoliceTTL is short: a vehicle's status can change at any moment (reported
	// stolen, seized, mortgaged), and a stale "normal" could let a stolen car through.
	DefaultPoliceTTL = 5 * time.Minute
	// DefaultMaintenanceTTL: settled repairs are history; new ones arrive a few times a year.
	DefaultMaintenanceTTL = 6 * time.Hour
	// DefaultLicenceTTL: a licence can be used up or revoked, though rarely within minutes.
	DefaultLicenceTTL = 10 * time.Minute
	// DefaultExporterTTL: a filing can be suspended or revoked, rarely within minutes.
	DefaultExporterTTL = 10 * time.Minute
	// DefaultDestinationTTL: access standards change with regulations, not by the hour.
	DefaultDestinationTTL = 24 * time.Hour
	// DefaultNotFoundTTL bounds negative answers (ENOTFOUND, no access standard): a record
	// that is being created should be seen soon, while a burst of filings for an unknown VIN
	// does not ask the agency every time.
	DefaultNotFoundTTL = time.Minute
)

// TTLs are how long cached look-up answers are used, per source. A negative answer lives
// min(NotFound, its source's TTL).
type TTLs struct {
	Police      time.Duration
	Maintenance time.Duration
	Licence     time.Duration
	Exporter    time.Duration
	Destination time.Duration
	NotFound    time.Duration
}

// DefaultTTLs returns the default lifetimes (DefaultPoliceTTL …).
func DefaultTTLs() TTLs {
	return TTLs{
		Police: DefaultPoliceTTL, Maintenance: DefaultMaintenanceTTL, Licence: DefaultLicenceTTL,
		Exporter: DefaultExporterTTL, Destination: DefaultDestinationTTL, NotFound: DefaultNotFoundTTL,
	}
}

type config struct {
	prefix       string
	idemTTL      time.Duration
	ttls         TTLs
	cacheTimeout time.Duration
	cacheBackoff time.Duration
	now          func() time.Time
	clockSet     bool // WithClock was given
	lease        time.Duration
}

func newConfig(opts []Option) config {
	c := config{prefix: DefaultPrefix, idemTTL: DefaultIdempotencyTTL, ttls: DefaultTTLs(), cacheTimeout: DefaultCacheTimeout, cacheBackoff: DefaultCacheBackoff, now: time.Now, lease: DefaultLease}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Option configures NewStore, NewLookups, NewWebhookQueue and NewRateLimiter; each says which
// it applies to.
type Option func(*config)

// WithPrefix sets the prefix of every key (Store, Lookups, WebhookQueue and RateLimiter; default "ucx:"). Tests use a
// unique prefix each; a deployment can keep several environments in one Redis.
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithIdempotencyTTL sets how long an idempotency key is kept (Store; default 24 h, 0 keeps it
// forever as the embedded store does).
func WithIdempotencyTTL(d time.Duration) Option { return func(c *config) { c.idemTTL = d } }

// WithTTLs sets the look-up cache lifetimes (Lookups; default DefaultTTLs). A zero duration
// disables caching of that source.
func WithTTLs(t TTLs) Option { return func(c *config) { c.ttls = t } }

// WithCacheTimeout bounds each Redis call of a look-up (Lookups; default 250 ms): past it,
// the look-up goes to the agencies directly. It bounds each call of the RateLimiter too. It
// takes effect with a client whose ContextTimeoutEnabled is set, as NewClient's is.
func WithCacheTimeout(d time.Duration) Option { return func(c *config) { c.cacheTimeout = d } }

// WithCacheBackoff sets how long look-ups skip Redis after a failed Redis call (Lookups;
// default 1 s, 0 never skips): while Redis is down, a filing pays the failure once a second,
// not once per filing.
func WithCacheBackoff(d time.Duration) Option { return func(c *config) { c.cacheBackoff = d } }

// WithClock sets the clock used for cache entries' fetch time and age (Lookups; tests), and
// the time of the rate limiter's buckets instead of the server's TIME (RateLimiter; tests).
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now, c.clockSet = now, true }
}

// translate is the one place Redis errors become gateway errors: redis.Nil (an absent key) is
// notFound; anything else (connection refused, timeout, OOM, a script error) is EUNAVAILABLE
// wrapping the cause for the logs.
func translate(err error, notFound *gateway.Error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil) && notFound != nil:
		return notFound
	case errors.Is(err, redis.Nil):
		return gateway.Errorf(gateway.ENOTFOUND, "not found", "未找到")
	default:
		return gateway.Wrap(err, gateway.EUNAVAILABLE, "store unavailable", "存储不可用")
	}
}
