package rediscache

import (
	"context"
	"encoding/json"

	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ucx-export/ucx/gateway"
)

// Lookups is a gateway.Lookups that caches another's answers in Redis. A filing's look-ups
// cost one Redis round trip when warm (one MGET of the police, maintenance, licence, exporter
// and destination entries); the misses are fetched from the wrapped Lookups in one call
// asking only for what is missing, and written back in one pipeline with per-source TTLs
// (TTLs). Not-found answers are cached for a shorter time; any other error is never cached.
// Concurrent misses of one entry share one fetch (single flight), across filings. A Redis
// failure costs nothing but speed: the answers then come from the wrapped Lookups, and for a
// second (WithCacheBackoff) look-ups go there without asking Redis.
//
// A cached answer older than its TTL is never used: Redis expires the key, and on read the
// entry's own fetch time is checked too (clocks of replicas, a TTL changed since the write).
// Answers are shared by every replica on the Redis. Each replica keeps the entries it has
// decoded with their bytes, and decodes again only when Redis returns other bytes.
//
// The wrapped Lookups is asked by identifier: police and maintenance share the VIN, so a miss
// of either fetches both (and refreshes both). Safe for concurrent use.
type Lookups struct {
	rdb          client
	next         gateway.Lookups
	prefix       string
	ttls         TTLs
	cacheTimeout time.Duration
	cacheBackoff time.Duration
	now          func() time.Time
	flights      flights
	memo         memo

	skipUntil                                    atomic.Int64 // Unix ns: Redis failed, go direct until then
	hits, misses, redisErrors, bypassed, fetches atomic.Int64
}

var _ gateway.Lookups = (*Lookups)(nil)

// NewLookups returns a caching Lookups over next (the direct look-ups, filings.Sources).
// Options: WithPrefix, WithTTLs, WithCacheTimeout, WithCacheBackoff, WithClock.
func NewLookups(rdb redis.UniversalClient, next gateway.Lookups, opts ...Option) *Lookups {
	c := newConfig(opts)
	return &Lookups{rdb: rdb, next: next, prefix: c.prefix, ttls: c.ttls, cacheTimeout: c.cacheTimeout, cacheBackoff: c.cacheBackoff, now: c.now}
}

// Stats counts what the cache did since it was made; each look-up of a filing counts once per
// source asked (a filing with all five is five hits or misses).
type Stats struct {
	Hits        int64 // answers served from Redis
	Misses      int64 // answers absent from Redis, stale or unreadable
	RedisErrors int64 // failed Redis calls (the answers then came from the sources)
	Bypassed    int64 // look-ups that did not ask Redis, within the backoff after a failure
	Fetches     int64 // calls to the wrapped Lookups
}

// Stats returns the counters.
func (l *Lookups) Stats() Stats {
	return Stats{Hits: l.hits.Load(), Misses: l.misses.Load(), RedisErrors: l.redisErrors.Load(), Bypassed: l.bypassed.Load(), Fetches: l.fetches.Load()}
}

// redisFailed counts a failed Redis call and skips Redis for the backoff.
func (l *Lookups) redisFailed() {
	l.redisErrors.Add(1)
	if l.cacheBackoff > 0 {
		l.skipUntil.Store(time.Now().Add(l.cacheBackoff).UnixNano())
	}
}

// source is one of the five answers of a filing's look-ups.
type source int

const (
	srcPolice source = iota
	srcMaintenance
	srcLicence
	srcExporter
	srcDestination
	numSources
)

var sourceKeys = [numSources]string{"lk:police:", "lk:maintenance:", "lk:licence:", "lk:exporter:", "lk:destination:"}

// id returns the identifier req looks s up by; "" when req does not ask s.
func (s source) id(req *gateway.LookupRequest) string {
	switch s {
	case srcPolice, srcMaintenance:
		return req.VIN
	case srcLicence:
		return req.LicenceNo
	case srcExporter:
		return req.ExporterUSCC
	default:
		return req.Country
	}
}

// ttl returns how long an answer of s is used; negative answers (not found, none) live
// shorter.
func (l *Lookups) ttl(s source, negative bool) time.Duration {
	d := [numSources]time.Duration{l.ttls.Police, l.ttls.Maintenance, l.ttls.Licence, l.ttls.Exporter, l.ttls.Destination}[s]
	if negative {
		d = min(d, l.ttls.NotFound)
	}
	return d
}

// Lookup implements gateway.Lookups.
func (l *Lookups) Lookup(ctx context.Context, req gateway.LookupRequest) *gateway.LookupResult {
	r := &gateway.LookupResult{}
	var (
		srcs [numSources]source
		keys [numSources]string
		n    int
	)
	for s := range numSources {
		if id := s.id(&req); id != "" {
			srcs[n], keys[n] = s, l.prefix+sourceKeys[s]+id
			n++
		}
	}
	if n == 0 {
		return r
	}

	// One round trip for everything the filing needs.
	var vals []any
	cacheOK := time.Now().UnixNano() >= l.skipUntil.Load()
	writeBack := cacheOK
	if cacheOK {
		rctx, cancel := context.WithTimeout(ctx, l.cacheTimeout)
		var err error
		vals, err = l.rdb.MGet(rctx, keys[:n]...).Result()
		cancel()
		if err != nil || len(vals) != n {
			cacheOK = false
			// The caller gave up: that is not Redis's failure, and the answers it fetches
			// for look-ups waiting on it are still written back.
			writeBack = ctx.Err() != nil
			if !writeBack {
				l.redisFailed()
			}
		}
	} else {
		l.bypassed.Add(1)
	}
	now := l.now()
	var missing []int // indexes into srcs/keys
	for i := range n {
		if cacheOK {
			if data, ok := vals[i].(string); ok && l.fill(r, srcs[i], keys[i], data, now, true) {
				l.hits.Add(1)
				continue
			}
			l.misses.Add(1)
		}
		missing = append(missing, i)
	}
	if len(missing) == 0 {
		return r
	}

	// The misses: lead the keys nobody is fetching, wait for the others.
	missKeys := make([]string, len(missing))
	for j, i := range missing {
		missKeys[j] = keys[i]
	}
	fs, lead := l.flights.join(missKeys)
	var sub gateway.LookupRequest
	led := false
	for j, i := range missing {
		if lead[j] {
			narrow(&sub, &req, srcs[i])
			led = true
		}
	}
	if led {
		l.fetch(ctx, r, sub, srcs[:n], keys[:n], missing, fs, lead, writeBack)
	}
	for j, i := range missing {
		if lead[j] {
			continue
		}
		select {
		case <-fs[j].done:
			if fs[j].err != nil || !l.fill(r, srcs[i], keys[i], string(fs[j].entry), now, false) {
				setErr(r, srcs[i], fs[j].err)
			}
		case <-ctx.Done():
			setErr(r, srcs[i], gateway.Wrap(ctx.Err(), gateway.EUNAVAILABLE, "look-up cancelled", "查询已取消"))
		}
	}
	return r
}

// narrow adds to sub the identifier req looks s up by.
func narrow(sub, req *gateway.LookupRequest, s source) {
	switch s {
	case srcPolice, srcMaintenance:
		sub.VIN = req.VIN
	case srcLicence:
		sub.LicenceNo = req.LicenceNo
	case srcExporter:
		sub.ExporterUSCC = req.ExporterUSCC
	default:
		sub.Country = req.Country
	}
}

// fetch asks the wrapped Lookups for sub (the led misses) in one call, copies the led answers
// into r, writes the cacheable ones back in one pipeline (unless Redis just failed), then
// lands the led flights. The call runs without the caller's cancellation (but within its
// deadline): other look-ups may be waiting for its answers.
func (l *Lookups) fetch(ctx context.Context, r *gateway.LookupResult, sub gateway.LookupRequest,
	srcs []source, keys []string, missing []int, fs []*flight, lead []bool, writeBack bool) {
	fctx := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		fctx, cancel = context.WithDeadline(fctx, dl)
		defer cancel()
	}
	entries := make([][]byte, len(missing))
	errs := make([]error, len(missing))
	// Land the led flights whatever happens, a panic in the sources included: look-ups are
	// waiting for them (they get EINTERNAL when nothing was set).
	defer func() {
		for j, i := range missing {
			if lead[j] {
				l.flights.land(keys[i], fs[j], entries[j], errs[j])
			}
		}
	}()
	at := l.now()
	l.fetches.Add(1)
	got := l.next.Lookup(fctx, sub)

	type write struct {
		key   string
		entry []byte
		ttl   time.Duration
	}
	var writes []write
	for j, i := range missing {
		if !lead[j] {
			continue
		}
		s := srcs[i]
		copyAnswer(r, got, s)
		v, negative, err := answer(got, s)
		if err != nil && gateway.ErrorCode(err) != gateway.ENOTFOUND {
			errs[j] = err // an outage or a bad answer: never cached
			continue
		}
		ttl := l.ttl(s, negative)
		e := entryOut{At: at.UnixMilli(), TTL: ttl.Milliseconds(), Neg: negative, V: v}
		if err != nil {
			en, zh := gateway.ErrorMessages(err)
			e.NF, e.V = &notFound{En: en, Zh: zh}, nil
		}
		data, jerr := json.Marshal(&e)
		if jerr != nil {
			errs[j] = gateway.Wrap(jerr, gateway.EINTERNAL, "internal error", "内部错误")
			continue
		}
		entries[j] = data
		if ttl > 0 {
			writes = append(writes, write{keys[i], data, ttl})
		}
	}
	if writeBack && len(writes) > 0 {
		wctx, cancel := context.WithTimeout(fctx, l.cacheTimeout)
		_, err := l.rdb.Pipelined(wctx, func(p redis.Pipeliner) error {
			for _, w := range writes {
				p.Set(wctx, w.key, w.entry, w.ttl)
			}
			return nil
		})
		cancel()
		if err != nil && fctx.Err() == nil {
			l.redisFailed()
		}
	}
}

// notFound is a cached ENOTFOUND answer's caller-safe messages.
type notFound struct {
	En string `json:"en"`
	Zh string `json:"zh"`
}

// entryOut is a cache entry as written (JSON); entryIn[T] reads it back.
type entryOut struct {
	At  int64     `json:"at"`  // fetch time, Unix milliseconds
	TTL int64     `json:"ttl"` // lifetime at write time, milliseconds
	Neg bool      `json:"neg,omitempty"`
	NF  *notFound `json:"nf,omitempty"`
	V   any       `json:"v"`
}

// fill puts a cache entry of source s (under key) into r; false (r untouched) when it is
// unreadable or, with checkAge, older than its TTL (the shorter of this Lookups' and the
// writer's).
func (l *Lookups) fill(r *gateway.LookupResult, s source, key, data string, now time.Time, checkAge bool) bool {
	switch s {
	case srcPolice:
		return fillEntry(l, s, key, data, now, checkAge, clonePolice, &r.Police, &r.PoliceErr)
	case srcMaintenance:
		return fillEntry(l, s, key, data, now, checkAge, cloneMaintenance, &r.Maintenance, &r.MaintenanceErr)
	case srcLicence:
		return fillEntry(l, s, key, data, now, checkAge, cloneLicence, &r.Licence, &r.LicenceErr)
	case srcExporter:
		return fillEntry(l, s, key, data, now, checkAge, clonePtr[gateway.Exporter], &r.Exporter, &r.ExporterErr)
	default:
		return fillEntry(l, s, key, data, now, checkAge, clonePtr[gateway.Destination], &r.Destination, &r.DestinationErr)
	}
}

func fillEntry[T any](l *Lookups, s source, key, data string, now time.Time, checkAge bool, clone func(T) T, v *T, errp *error) bool {
	e, ok := decodeEntry[T](&l.memo, key, data)
	if !ok {
		return false
	}
	if checkAge {
		ttl := min(l.ttl(s, e.Neg || e.NF != nil), time.Duration(e.TTL)*time.Millisecond)
		if now.Sub(time.UnixMilli(e.At)) >= ttl {
			return false
		}
	}
	if e.NF != nil {
		*errp = &gateway.Error{Code: gateway.ENOTFOUND, Message: e.NF.En, MessageZh: e.NF.Zh}
		return true
	}
	*v = clone(e.V) // the decoded entry is shared through the memo: each look-up gets a copy
	return true
}

// answer returns the answer of s in r: its value, its error, and whether it is negative (not
// found, or no record: cached for the shorter not-found TTL).
func answer(r *gateway.LookupResult, s source) (v any, negative bool, err error) {
	switch s {
	case srcPolice:
		return r.Police, r.Police == nil, r.PoliceErr
	case srcMaintenance:
		return r.Maintenance, r.Maintenance == nil, r.MaintenanceErr
	case srcLicence:
		return r.Licence, r.Licence == nil, r.LicenceErr
	case srcExporter:
		return r.Exporter, r.Exporter == nil, r.ExporterErr
	default:
		return r.Destination, r.Destination == nil, r.DestinationErr
	}
}

// copyAnswer copies the answer of s from src into dst.
func copyAnswer(dst, src *gateway.LookupResult, s source) {
	switch s {
	case srcPolice:
		dst.Police, dst.PoliceErr = src.Police, src.PoliceErr
	case srcMaintenance:
		dst.Maintenance, dst.MaintenanceErr = src.Maintenance, src.MaintenanceErr
	case srcLicence:
		dst.Licence, dst.LicenceErr = src.Licence, src.LicenceErr
	case srcExporter:
		dst.Exporter, dst.ExporterErr = src.Exporter, src.ExporterErr
	default:
		dst.Destination, dst.DestinationErr = src.Destination, src.DestinationErr
	}
}

// setErr sets the error of s in r (nil becomes EINTERNAL: a flight landed with no answer).
func setErr(r *gateway.LookupResult, s source, err error) {
	if err == nil {
		err = gateway.Errorf(gateway.EINTERNAL, "internal error", "内部错误")
	}
	switch s {
	case srcPolice:
		r.PoliceErr = err
	case srcMaintenance:
		r.MaintenanceErr = err
	case srcLicence:
		r.LicenceErr = err
	case srcExporter:
		r.ExporterErr = err
	default:
		r.DestinationErr = err
	}
}
