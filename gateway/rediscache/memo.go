package rediscache

import (
	"slices"
	"sync"

	"github.com/go-json-experiment/json"

	"github.com/ucx-export/ucx/gateway"
)

// memoSize bounds the decoded entries a Lookups keeps (about 2 KB each at most: ≤ 8 MB).
const memoSize = 4096

// memo keeps the last decoded form of each cache key with the exact bytes it was decoded
// from. A warm look-up still reads every entry from Redis (Redis stays the one truth, shared
// by all replicas, and the age check still runs), but when the bytes are the ones decoded
// before, as they are for every filing between two fetches of an answer, the JSON is not
// decoded again: that decoding cost more than the round trip itself.
type memo struct {
	mu       sync.RWMutex
	m        map[string]memoEntry
	disabled bool // benchmarks measure the decoding cost with it off
}

type memoEntry struct {
	data  string
	entry any // entryIn[T] of the key's source
}

// entryIn is a cache entry as read back (entryOut as written), for one source's type.
type entryIn[T any] struct {
	At  int64     `json:"at"`
	TTL int64     `json:"ttl"`
	Neg bool      `json:"neg"`
	NF  *notFound `json:"nf"`
	V   T         `json:"v"`
}

// decodeEntry returns the entry data holds, from the memo when key's entry was decoded from
// the same bytes; false when data is not a readable entry.
func decodeEntry[T any](m *memo, key, data string) (entryIn[T], bool) {
	m.mu.RLock()
	me, ok := m.m[key]
	m.mu.RUnlock()
	if ok && me.data == data {
		if e, ok := me.entry.(entryIn[T]); ok {
			return e, true
		}
	}
	var e entryIn[T]
	if json.Unmarshal([]byte(data), &e) != nil {
		return e, false
	}
	if m.disabled {
		return e, true
	}
	m.mu.Lock()
	if m.m == nil || len(m.m) >= memoSize {
		m.m = make(map[string]memoEntry, memoSize) // crude but bounded: hot keys come back at once
	}
	m.m[key] = memoEntry{data: data, entry: e}
	m.mu.Unlock()
	return e, true
}

// Copies of the decoded answers, deep enough that a look-up may change its answers without
// touching the memo's (a test walks every field, so a new slice or pointer field cannot be
// forgotten here).

func clonePolice(p *gateway.PoliceRecord) *gateway.PoliceRecord {
	if p == nil {
		return nil
	}
	c := *p
	c.StatusCodes = slices.Clone(p.StatusCodes)
	c.TempPlate = clonePtr(p.TempPlate)
	return &c
}

func cloneMaintenance(rs []gateway.MaintenanceRecord) []gateway.MaintenanceRecord {
	out := slices.Clone(rs)
	for i := range out {
		out[i].RepairItems = slices.Clone(out[i].RepairItems)
		out[i].Parts = slices.Clone(out[i].Parts)
	}
	return out
}

func cloneLicence(l *gateway.Licence) *gateway.Licence {
	if l == nil {
		return nil
	}
	c := *l
	c.Lines = slices.Clone(l.Lines)
	return &c
}

// clonePtr copies a struct without pointers, slices or maps.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
