package exporters_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/exporters"
)

// listAll walks every page of the list.
func listAll(t testing.TB, svc *exporters.Service, q exporters.ListQuery) []exporters.Row {
	t.Helper()
	var rows []exporters.Row
	limit, fromStart := q.Limit, q.Cursor == ""
	if limit == 0 {
		limit = exporters.DefaultListLimit
	}
	for range 100 {
		p, err := svc.List(context.Background(), q)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(p.Exporters), limit)
		rows = append(rows, p.Exporters...)
		if p.Next == "" {
			if fromStart {
				assert.Equal(t, p.Total, len(rows), "total counts every page")
			}
			return rows
		}
		q.Cursor = p.Next
	}
	t.Fatal("the list does not end")
	return nil
}

// TestList: the list holds every exporter of the registry with its credit today, worst
// score first by default, filtered by grade, in any sort order and page size.
func TestList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	seed := loadSeed(t)
	_, err := e.svc.Seed(ctx, seed)
	require.NoError(t, err)
	registry, err := e.agencies.Exporters(ctx)
	require.NoError(t, err)

	p, err := e.svc.List(ctx, exporters.ListQuery{Limit: exporters.MaxListLimit})
	require.NoError(t, err)
	require.Len(t, p.Exporters, len(registry), "every exporter of the registry")
	assert.Equal(t, len(registry), p.Total)
	assert.Empty(t, p.Next)
	assert.Equal(t, gateway.Date("2026-11-26"), p.AsOf)
	assert.Equal(t, credit.Table2026.Version, p.ModelVersion)
	all := p.Exporters
	byUSCC := map[string]exporters.Row{}
	for _, r := range all {
		byUSCC[r.USCC] = r
		c, err := e.svc.Credit(ctx, r.USCC)
		require.NoError(t, err)
		assert.Equal(t, exporters.Row{USCC: c.USCC, Name: c.Name, FilingStatus: r.FilingStatus, Score: c.Score, Grade: c.Grade,
			New: c.New, DHeld: c.DHeld, Suspended: c.Suspended, ChangedAt: r.ChangedAt, EventCount: len(c.Events)}, r, "a row says what the exporter's credit says")
		if len(c.Events) == 0 {
			assert.Nil(t, r.ChangedAt, "no events, no change")
			continue
		}
		var latest time.Time
		stamps := []string{}
		for _, ev := range c.Events {
			stamps = append(stamps, ev.Timestamp)
		}
		for _, cs := range c.Cases {
			stamps = append(stamps, cs.Timestamp)
			if cs.Decision != nil {
				stamps = append(stamps, cs.Decision.Timestamp)
			}
		}
		for _, s := range stamps {
			ts, err := time.Parse(time.RFC3339Nano, s)
			require.NoError(t, err)
			if ts.After(latest) {
				latest = ts
			}
		}
		if assert.NotNil(t, r.ChangedAt) {
			assert.True(t, latest.Equal(*r.ChangedAt), "changedAt is the latest ledger timestamp of its events and cases")
		}
	}
	// The default order: worst score first; among equal scores the worse grade first.
	assert.True(t, slices.IsSortedFunc(all, func(a, b exporters.Row) int {
		if a.Score != b.Score {
			return a.Score - b.Score
		}
		return credit.Rank(b.Grade) - credit.Rank(a.Grade)
	}))
	assert.Equal(t, "武汉江城汽车出口服务有限公司", all[0].Name, "the worst score first (40: a D held by a dispute)")
	assert.Equal(t, credit.GradeC, all[0].Grade)
	assert.True(t, all[0].DHeld)
	assert.Equal(t, byUSCC["91152501MA0N6GJ84Q"].EventCount, 7)

	// Grade filters, repeated or not.
	for _, grades := range [][]credit.Grade{{credit.GradeD}, {credit.GradeA, credit.GradeC}, {credit.GradeB}} {
		rows := listAll(t, e.svc, exporters.ListQuery{Grades: grades})
		var want []exporters.Row
		for _, r := range all {
			if slices.Contains(grades, r.Grade) {
				want = append(want, r)
			}
		}
		require.NotEmpty(t, want)
		assert.Equal(t, want, rows, "grades %v", grades)
	}
	d := listAll(t, e.svc, exporters.ListQuery{Grades: []credit.Grade{credit.GradeD}})
	assert.ElementsMatch(t, []string{"91210213MA0YB7KC34", "91650100MA79NK4R1J"}, []string{d[0].USCC, d[1].USCC})

	// Every sort order, any page size: the pages together are the whole list, in order.
	for _, sort := range []string{"", exporters.SortScore, exporters.SortScoreDesc, exporters.SortChangedAt, exporters.SortChangedAtDesc} {
		whole, err := e.svc.List(ctx, exporters.ListQuery{Sort: sort, Limit: exporters.MaxListLimit})
		require.NoError(t, err)
		for _, limit := range []int{1, 4, 7} {
			assert.Equal(t, whole.Exporters, listAll(t, e.svc, exporters.ListQuery{Sort: sort, Limit: limit}), "sort %q limit %d", sort, limit)
		}
		switch sort {
		case exporters.SortScoreDesc:
			assert.Equal(t, "上海临港远洋汽车进出口有限公司", whole.Exporters[0].Name, "the best score first")
		case exporters.SortChangedAt:
			assert.Nil(t, whole.Exporters[0].ChangedAt, "never changed is the oldest change")
			assert.NotNil(t, whole.Exporters[len(whole.Exporters)-1].ChangedAt)
		case exporters.SortChangedAtDesc:
			assert.Equal(t, seed.Exporters[len(seed.Exporters)-1].USCC, whole.Exporters[0].USCC, "the last seeded changed last")
			assert.Nil(t, whole.Exporters[len(whole.Exporters)-1].ChangedAt)
		}
	}

	// The default page size.
	p, err = e.svc.List(ctx, exporters.ListQuery{})
	require.NoError(t, err)
	assert.Len(t, p.Exporters, min(len(registry), exporters.DefaultListLimit))
}

// TestListKeepsItsPlace: a cursor names a place in the order, not an offset: an exporter whose
// grade changes between two pages is neither served twice nor lost by the others.
func TestListKeepsItsPlace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	p1, err := e.svc.List(ctx, exporters.ListQuery{Limit: 3})
	require.NoError(t, err)
	require.NotEmpty(t, p1.Next)
	// The first row of page one drops to D.
	_, err = e.svc.Record(ctx, "police", gateway.CreditEventInput{ExporterUSCC: p1.Exporters[0].USCC, Code: "E01", OccurredAt: "2026-11-20",
		Source: gateway.CreditManual, EvidenceHash: "sha256:" + strings.Repeat("1", 64), Actor: "police-officer-1"})
	require.NoError(t, err)
	rest := listAll(t, e.svc, exporters.ListQuery{Limit: 3, Cursor: p1.Next})
	seen := map[string]int{}
	for _, r := range append(p1.Exporters, rest...) {
		seen[r.USCC]++
	}
	registry, err := e.agencies.Exporters(ctx)
	require.NoError(t, err)
	assert.Len(t, seen, len(registry), "nobody lost")
	for uscc, n := range seen {
		assert.Equal(t, 1, n, "%s served once", uscc)
	}
}

// TestListRefusesBadQueries: each bad parameter is EINVALID naming it, in English and Chinese.
func TestListRefusesBadQueries(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	p, err := e.svc.List(ctx, exporters.ListQuery{Limit: 2})
	require.NoError(t, err)
	require.NotEmpty(t, p.Next)
	for name, tc := range map[string]struct {
		q     exporters.ListQuery
		param string
	}{
		"grade":             {exporters.ListQuery{Grades: []credit.Grade{"E"}}, "grade"},
		"lower-case grade":  {exporters.ListQuery{Grades: []credit.Grade{"a"}}, "grade"},
		"sort":              {exporters.ListQuery{Sort: "name"}, "sort"},
		"limit too large":   {exporters.ListQuery{Limit: exporters.MaxListLimit + 1}, "limit"},
		"negative limit":    {exporters.ListQuery{Limit: -1}, "limit"},
		"garbage cursor":    {exporters.ListQuery{Cursor: "not-a-cursor"}, "cursor"},
		"cursor of a sort":  {exporters.ListQuery{Sort: exporters.SortScoreDesc, Cursor: p.Next}, "cursor"},
		"cursor not base64": {exporters.ListQuery{Cursor: "%%%"}, "cursor"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.svc.List(ctx, tc.q)
			require.Error(t, err)
			assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err))
			en, zh := gateway.ErrorMessages(err)
			assert.Contains(t, en, tc.param)
			assert.Contains(t, zh, tc.param)
			d := gateway.ErrorDetails(err)
			require.Len(t, d, 1)
			assert.Equal(t, tc.param, d[0].Pointer)
		})
	}
}

// registryDown answers look-ups but not the list.
type registryDown struct{ gateway.ExporterRegistry }

func (registryDown) Exporters(context.Context) ([]gateway.Exporter, error) {
	return nil, gateway.Errorf(gateway.EUNAVAILABLE, "exporter registry unavailable", "出口企业备案系统暂不可用")
}

func TestListRegistryOutage(t *testing.T) {
	e := newEnvWith(t, func(r gateway.ExporterRegistry) gateway.ExporterRegistry { return registryDown{r} })
	_, err := e.svc.List(context.Background(), exporters.ListQuery{})
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
}

// TestListShowsSuspensions: an exporter commerce suspended is listed as suspended, grade D.
func TestListShowsSuspensions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	const uscc = "91440300MA5GK7R3DQ"
	_, err := e.svc.SetStatus(ctx, gateway.ExporterStatusInput{ExporterUSCC: uscc, Status: gateway.ExporterSuspended,
		Reason: "648号负面清单", EvidenceHash: "sha256:" + strings.Repeat("2", 64), Actor: "commerce-officer-2"})
	require.NoError(t, err)
	d := listAll(t, e.svc, exporters.ListQuery{Grades: []credit.Grade{credit.GradeD}})
	require.Len(t, d, 1)
	assert.Equal(t, uscc, d[0].USCC)
	assert.True(t, d[0].Suspended)
	assert.Equal(t, 80, d[0].Score, "the score is untouched; the grade is D")
	for _, r := range listAll(t, e.svc, exporters.ListQuery{Grades: []credit.Grade{credit.GradeB}}) {
		assert.False(t, r.Suspended, r.USCC)
	}
}

// ledgerDown fails the credit history of one exporter.
type ledgerDown struct {
	gateway.Ledger
	uscc string
}

func (l ledgerDown) CreditFile(ctx context.Context, uscc string) (*gateway.CreditFile, error) {
	if uscc == l.uscc {
		return nil, gateway.Errorf(gateway.EUNAVAILABLE, "ledger unavailable", "账本暂不可用")
	}
	return l.Ledger.CreditFile(ctx, uscc)
}

// TestListLedgerOutage: one unreadable history fails the whole page; no partial list.
func TestListLedgerOutage(t *testing.T) {
	e := newEnv(t)
	svc := exporters.New(ledgerDown{e.ledger, "91650100MA79NK4R1J"}, e.agencies).WithClock(func() time.Time { return testNow })
	p, err := svc.List(context.Background(), exporters.ListQuery{Grades: []credit.Grade{credit.GradeA}})
	assert.Nil(t, p)
	assert.Equal(t, gateway.EUNAVAILABLE, gateway.ErrorCode(err))
}
