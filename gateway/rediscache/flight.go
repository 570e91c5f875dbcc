package rediscache

import "sync"

// flights is a single-flight group over cache keys, like golang.org/x/sync/singleflight but
// for several keys at once: a look-up leads the keys nobody is fetching (and fetches them all
// in one call to the sources) and waits for the ones another look-up is fetching. A leader
// finishes its own calls before it waits for others', so two look-ups that lead and wait
// for each other's keys cannot deadlock.
type flights struct {
	mu    sync.Mutex
	calls map[string]*flight
}

// flight is one fetch of one key; entry and err are set before done is closed.
type flight struct {
	done  chan struct{}
	entry []byte // the encoded cache entry, when the answer can be cached
	err   error  // the answer's error, when it cannot (EUNAVAILABLE …)
}

// join returns, for each key, the flight to wait for and whether the caller leads it (and
// must finish it with land).
func (g *flights) join(keys []string) (fs []*flight, lead []bool) {
	fs, lead = make([]*flight, len(keys)), make([]bool, len(keys))
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.calls == nil {
		g.calls = map[string]*flight{}
	}
	for i, k := range keys {
		if f, ok := g.calls[k]; ok {
			fs[i] = f
			continue
		}
		f := &flight{done: make(chan struct{})}
		g.calls[k] = f
		fs[i], lead[i] = f, true
	}
	return fs, lead
}

// land publishes a led flight's answer to its waiters and forgets the key: the next miss
// fetches again (by then the answer is in Redis).
func (g *flights) land(key string, f *flight, entry []byte, err error) {
	f.entry, f.err = entry, err
	g.mu.Lock()
	if g.calls[key] == f {
		delete(g.calls, key)
	}
	g.mu.Unlock()
	close(f.done)
}
