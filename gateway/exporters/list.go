package exporters

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
)

// List sizes: a page holds DefaultListLimit rows unless the query asks for up to MaxListLimit.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// List sort orders. SortScore (the default) lists the worst scores first.
const (
	SortScore         = "score"      // score ascending; equal scores: worse grade first
	SortScoreDesc     = "-score"     // score descending; equal scores: better grade first
	SortChangedAt     = "changedAt"  // oldest change first; exporters without events first
	SortChangedAtDesc = "-changedAt" // latest change first; exporters without events last
)

// ListQuery asks for one page of the credit list (commerce review).
type ListQuery struct {
	// Grades keeps the exporters of these grades; empty keeps all.
	Grades []credit.Grade
	// Sort is one of the Sort constants; "" is SortScore.
	Sort string
	// Limit is the page size, 1–MaxListLimit; 0 is DefaultListLimit.
	Limit int
	// Cursor is the previous page's Next; "" for the first page.
	Cursor string
}

// Row is one exporter of the credit list.
type Row struct {
	USCC string `json:"uscc"`
	Name string `json:"name"`
	// FilingStatus is the registry's (APPROVED, PENDING, REVOKED): the list holds every
	// exporter of the registry.
	FilingStatus string       `json:"filingStatus"`
	Score        int          `json:"score"`
	Grade        credit.Grade `json:"grade"`
	New          bool         `json:"new"`
	DHeld        bool         `json:"dHeld"`
	// Suspended: commerce suspended the exporter on the ledger (its grade is D).
	Suspended bool `json:"suspended"`
	// ChangedAt is when the exporter's credit last changed on the ledger (see changedAt);
	// absent when it has no credit events.
	ChangedAt  *time.Time `json:"changedAt,omitempty"`
	EventCount int        `json:"eventCount"`
}

// ListPage is one page of the credit list.
type ListPage struct {
	Exporters []Row `json:"exporters"`
	// Total counts the exporters of the grades asked for, on every page.
	Total int `json:"total"`
	// Next is the cursor of the following page; "" on the last page.
	Next         string       `json:"next"`
	ModelVersion string       `json:"modelVersion"`
	AsOf         gateway.Date `json:"asOf"`
}

// changedAt is when the exporter's credit last changed: the latest ledger timestamp among its
// credit events, its objection and repair cases (filed, extended, decided) and its latest
// suspension or reinstatement; the zero time when it has none (or none readable).
func changedAt(file *gateway.CreditFile) time.Time {
	var latest time.Time
	see := func(ts string) {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil && t.After(latest) {
			latest = t
		}
	}
	for _, e := range file.Events {
		see(e.Timestamp)
	}
	for _, c := range file.Cases {
		see(c.Timestamp)
		if c.Extension != nil {
			see(c.Extension.Timestamp)
		}
		if c.Decision != nil {
			see(c.Decision.Timestamp)
		}
	}
	if file.Status != nil {
		see(file.Status.Timestamp)
	}
	return latest
}

// listWorkers bounds the ledger reads the list makes at once.
const listWorkers = 8

// List answers one page of the credit list: every exporter of the filing registry (备案),
// assessed today, filtered by grade, sorted and paged with a cursor. Errors: EINVALID naming
// the query parameter (grade, sort, limit, cursor); EUNAVAILABLE when the registry or the
// ledger cannot be reached.
//
// Cost: one registry list and one ledger read per exporter (up to listWorkers at once), on
// every page, because the order depends on today's scores. That is cheap on the embedded
// ledger and a few seconds for thousands of exporters on Fabric (one evaluate each); a
// nightly snapshot would replace it if the registry grows past that. The registry list is
// not cached: the Redis look-up cache (rediscache.Lookups) wraps a filing's look-ups, not
// the registry, so each page asks the registry (one request per 500 exporters over HTTP),
// and a newly filed or revoked exporter shows at once.
func (s *Service) List(ctx context.Context, q ListQuery) (*ListPage, error) {
	after, err := q.check()
	if err != nil {
		return nil, err
	}
	all, err := s.registry.Exporters(ctx)
	if err != nil {
		return nil, err
	}
	today := s.today()
	rows := make([]Row, len(all))
	keep := make([]bool, len(all))
	err = forEach(ctx, len(all), func(ctx context.Context, i int) error {
		ex := all[i]
		file := &gateway.CreditFile{ExporterUSCC: ex.USCC}
		// The ledger holds no credit file for a USCC this service refuses to write for (a
		// registry entry with a malformed code): no read, an empty file.
		if checkUSCC(ex.USCC, "") == nil {
			var err error
			if file, err = s.ledger.CreditFile(ctx, ex.USCC); err != nil {
				return err
			}
		}
		a := s.assess(s.facts(ex.USCC, ex.FiledAt), file, today)
		rows[i] = Row{USCC: ex.USCC, Name: ex.Name, FilingStatus: ex.FilingStatus, Score: a.Score, Grade: a.Grade,
			New: a.New, DHeld: a.DHeld, Suspended: suspended(file), EventCount: len(file.Events)}
		if t := changedAt(file); !t.IsZero() {
			rows[i].ChangedAt = &t
		}
		keep[i] = len(q.Grades) == 0 || slices.Contains(q.Grades, a.Grade)
		return nil
	})
	if err != nil {
		return nil, err
	}
	kept := rows[:0]
	for i, r := range rows {
		if keep[i] {
			kept = append(kept, r)
		}
	}
	sortKey := q.sort()
	slices.SortFunc(kept, func(a, b Row) int { return compareRows(sortKey, keyOf(a), keyOf(b)) })
	page := &ListPage{Total: len(kept), ModelVersion: s.table.Version, AsOf: gateway.Date(today.Format(time.DateOnly))}
	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(kept, *after, func(r Row, k rowKey) int {
			if compareRows(sortKey, keyOf(r), k) <= 0 {
				return -1
			}
			return 1
		})
	}
	end := min(start+q.limit(), len(kept))
	page.Exporters = append(make([]Row, 0, end-start), kept[start:end]...)
	if end < len(kept) {
		page.Next = encodeCursor(sortKey, keyOf(kept[end-1]))
	}
	return page, nil
}

// forEach runs fn for 0..n-1, up to listWorkers at once, and returns the first error (the
// others are cancelled).
func forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan int)
		fed   int
	)
	for range min(listWorkers, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
feed:
	for ; fed < n; fed++ {
		select {
		case next <- fed:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && fed < n {
		// The caller gave up before every exporter was read.
		first = gateway.Wrap(ctx.Err(), gateway.EUNAVAILABLE, "the credit list was cancelled", "信用列表查询已取消")
	}
	return first
}

// rowKey is what the list orders by; a cursor carries the last row's key.
type rowKey struct {
	Score     int       `json:"c"`
	Rank      int       `json:"r"` // credit.Rank of the grade: 0 (A) … 3 (D)
	ChangedAt time.Time `json:"t"`
	USCC      string    `json:"u"`
}

func keyOf(r Row) rowKey {
	k := rowKey{Score: r.Score, Rank: credit.Rank(r.Grade), USCC: r.USCC}
	if r.ChangedAt != nil {
		k.ChangedAt = *r.ChangedAt
	}
	return k
}

// compareRows orders two rows for sort (see the Sort constants); the USCC breaks every tie,
// so the order is total and a cursor names one place in it.
func compareRows(sort string, a, b rowKey) int {
	c := 0
	switch sort {
	case SortScore:
		c = cmpInt(a.Score, b.Score)
		if c == 0 {
			c = cmpInt(b.Rank, a.Rank)
		}
	case SortScoreDesc:
		c = cmpInt(b.Score, a.Score)
		if c == 0 {
			c = cmpInt(a.Rank, b.Rank)
		}
	case SortChangedAt:
		c = a.ChangedAt.Compare(b.ChangedAt)
	case SortChangedAtDesc:
		c = b.ChangedAt.Compare(a.ChangedAt)
	}
	if c == 0 {
		c = strings.Compare(a.USCC, b.USCC)
	}
	return c
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cursor is the decoded form of an opaque cursor: the sort order it belongs to and the key of
// the last row served. The next page starts after that key, so rows whose score changed in
// between are neither repeated nor skipped unless they moved across it.
type cursor struct {
	Sort string `json:"s"`
	Key  rowKey `json:"k"`
}

func encodeCursor(sort string, k rowKey) string {
	data, _ := json.Marshal(cursor{Sort: sort, Key: k}) // plain fields: cannot fail
	return base64.RawURLEncoding.EncodeToString(data)
}

func decodeCursor(s string) (cursor, bool) {
	var c cursor
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, false
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if dec.Decode(&c) != nil || dec.More() || c.Key.USCC == "" {
		return c, false
	}
	return c, true
}

func (q ListQuery) sort() string {
	if q.Sort == "" {
		return SortScore
	}
	return q.Sort
}

func (q ListQuery) limit() int {
	if q.Limit == 0 {
		return DefaultListLimit
	}
	return q.Limit
}

// invalidParam is the EINVALID error of a bad query parameter.
func invalidParam(param, en, zh string) error {
	return (&gateway.Error{Code: gateway.EINVALID, Message: en, MessageZh: zh}).
		WithDetails(gateway.Detail{Pointer: param, Code: gateway.EINVALID, Message: en, MessageZh: zh})
}

// check validates the query and decodes its cursor (nil for the first page).
func (q ListQuery) check() (*rowKey, error) {
	for _, g := range q.Grades {
		switch g {
		case credit.GradeA, credit.GradeB, credit.GradeC, credit.GradeD:
		default:
			return nil, invalidParam("grade", "grade must be A, B, C or D (repeat it or separate grades with commas)",
				"grade 应为 A、B、C 或 D（可重复该参数或以逗号分隔）")
		}
	}
	switch q.sort() {
	case SortScore, SortScoreDesc, SortChangedAt, SortChangedAtDesc:
	default:
		return nil, invalidParam("sort", "sort must be score, -score, changedAt or -changedAt", "sort 应为 score、-score、changedAt 或 -changedAt")
	}
	if q.Limit < 0 || q.Limit > MaxListLimit {
		return nil, LimitError()
	}
	if q.Cursor == "" {
		return nil, nil
	}
	c, ok := decodeCursor(q.Cursor)
	if !ok {
		return nil, invalidParam("cursor", "cursor is not one this list answered: pass the previous page's next unchanged",
			"cursor 无效：请原样传入上一页的 next")
	}
	if c.Sort != q.sort() {
		return nil, invalidParam("cursor", "cursor belongs to another sort order: keep the sort of the first page",
			"cursor 属于另一种排序：请保持首页的 sort")
	}
	return &c.Key, nil
}

// LimitError is the EINVALID error of a page size out of range, or not a number.
func LimitError() error {
	return invalidParam("limit", fmt.Sprintf("limit must be a whole number from 1 to %d", MaxListLimit),
		fmt.Sprintf("limit 应为 1 至 %d 的整数", MaxListLimit))
}
