package exporters_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/exporters"
)

// testNow is the service's clock: the day the fixture histories are seeded and assessed.
var testNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

type env struct {
	svc      *exporters.Service
	ledger   gateway.Ledger
	agencies *embedded.Agencies
}

// newEnv is the credit service over a fresh embedded ledger and the fixture registry.
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith lets a test wrap the fixture registry (to inject errors).
func newEnvWith(t testing.TB, wrap func(gateway.ExporterRegistry) gateway.ExporterRegistry) *env {
	t.Helper()
	agencies, err := embedded.LoadAgencies(fixtures.FS)
	require.NoError(t, err)
	cc, err := chaincode.New()
	require.NoError(t, err)
	chain, err := embedded.OpenLedger(t.TempDir(), cc)
	require.NoError(t, err)
	t.Cleanup(func() { chain.Close() })
	ledger := contract.New(chain)
	var reg gateway.ExporterRegistry = agencies
	if wrap != nil {
		reg = wrap(agencies)
	}
	return &env{svc: exporters.New(ledger, reg).WithClock(func() time.Time { return testNow }), ledger: ledger, agencies: agencies}
}

func loadSeed(t testing.TB) *exporters.Seed {
	t.Helper()
	data, err := fixtures.FS.ReadFile("credit/histories.json")
	require.NoError(t, err)
	seed, err := exporters.ParseSeed(data, credit.Table2026)
	require.NoError(t, err)
	return seed
}

// TestFixtureHistories records the fixture histories and checks that each exporter gets the
// credit its fixture states, and that the fixture covers every grade scenario of issue 6 §8.
func TestFixtureHistories(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	seed := loadSeed(t)
	res, err := e.svc.Seed(ctx, seed)
	require.NoError(t, err)
	assert.Equal(t, len(seed.Exporters), res.Seeded)
	assert.Zero(t, res.Skipped)

	covered := map[string]bool{}
	events := 0
	for _, ex := range seed.Exporters {
		t.Run(ex.Name, func(t *testing.T) {
			require.NotNil(t, ex.Expect, "the fixture states the expected credit")
			c, err := e.svc.Credit(ctx, ex.USCC)
			require.NoError(t, err)
			assert.Equal(t, ex.Name, c.Name, "the fixture's name is the registry's")
			assert.Equal(t, ex.Expect.Grade, c.Grade, ex.Scenario)
			if assert.NotNil(t, ex.Expect.Score, "the fixture states the score") {
				assert.Equal(t, *ex.Expect.Score, c.Score, ex.Scenario)
			}
			assert.Equal(t, ex.Expect.New, c.New)
			assert.Equal(t, ex.Expect.DHeld, c.DHeld)
			require.Len(t, c.Events, len(ex.Events))
			capped := map[string]bool{}
			directD, floorC := false, false
			for _, ev := range c.Events {
				assert.Equal(t, gateway.CreditManual, ev.Source)
				assert.Equal(t, gateway.MSPID(credit.Table2026.Rules[ev.Code].Recorder), ev.MSPID, "recorded by the code's recorder")
				capped[ev.Code] = capped[ev.Code] || ev.Capped
				directD = directD || ev.DirectD && ev.Factor > 0
				floorC = floorC || credit.Table2026.Rules[ev.Code].FloorC && ev.Factor > 0
			}
			for _, code := range ex.Expect.Capped {
				assert.True(t, capped[code], "the %s cap applies", code)
			}
			for i, ev := range ex.Events {
				assert.Equal(t, ev.EvidenceHash, c.Events[i].EvidenceHash, "events in the fixture's order, oldest first")
			}

			for i, ev := range ex.Events {
				if ev.Case != nil {
					require.NotEmpty(t, c.Cases)
					want := ev.Case.Kind
					found := false
					for _, cs := range c.Cases {
						found = found || cs.EventID == c.Events[i].ID && cs.Kind == want
						if cs.EventID == c.Events[i].ID {
							covered["case "+cs.Kind+" "+cs.Status] = true
							if cs.Decision != nil {
								covered["decided "+cs.Decision.Outcome] = true
							}
						}
					}
					assert.True(t, found, "the %s case about event %d is on the ledger", want, i)
				}
			}
			switch {
			case c.DHeld:
				covered["D held by a dispute"] = c.Grade == credit.GradeC
			case c.Grade == credit.GradeA:
				covered["A by bonuses"] = c.Score >= 90
			case c.Grade == credit.GradeB && c.New:
				covered["B new"] = true
			case c.Grade == credit.GradeB:
				covered["B clean"] = c.Score >= 75
			case c.Grade == credit.GradeC && floorC:
				covered["C by the E08 floor"] = c.Score >= 75
			case c.Grade == credit.GradeC && len(ex.Expect.Capped) > 0:
				covered["E14 cap"] = slices.Contains(ex.Expect.Capped, "E14")
			case c.Grade == credit.GradeC:
				covered["C by score"] = c.Score >= 60 && c.Score < 75
			case c.Grade == credit.GradeD && directD:
				covered["D direct"] = c.Score >= 60
			case c.Grade == credit.GradeD:
				covered["D by score"] = c.Score < 60
			}
		})
		events += len(ex.Events)
	}
	assert.Equal(t, events, res.Events)
	for _, s := range []string{"A by bonuses", "B clean", "B new", "C by score", "C by the E08 floor", "D by score", "D direct", "E14 cap",
		"D held by a dispute", "case OBJECTION OPEN", "case REPAIR DECIDED", "decided UPHELD", "decided PARTIAL"} {
		assert.True(t, covered[s], "the fixture covers %s", s)
	}
}

// TestSeedIsIdempotent: seeding again records nothing; an interrupted history is completed;
// an exporter with credit events of its own is left alone.
func TestSeedIsIdempotent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	seed := loadSeed(t)
	first, second := seed.Exporters[0], seed.Exporters[1]
	require.GreaterOrEqual(t, len(first.Events), 2)

	// A start that stopped after the first event of the first history …
	day := gateway.Date(testNow.AddDate(0, 0, -*first.Events[0].DaysAgo).Format(time.DateOnly))
	_, err := e.svc.Record(ctx, first.Events[0].Org, gateway.CreditEventInput{ExporterUSCC: first.USCC, Code: first.Events[0].Code,
		OccurredAt: day, Source: gateway.CreditManual, EvidenceHash: first.Events[0].EvidenceHash, Actor: first.Events[0].Actor})
	require.NoError(t, err)
	// … and an exporter whose credit events are its own.
	own, err := e.svc.Record(ctx, "commerce", gateway.CreditEventInput{ExporterUSCC: second.USCC, Code: "E12", OccurredAt: "2026-11-01",
		Source: gateway.CreditManual, EvidenceHash: "sha256:" + strings.Repeat("0", 64), Actor: "commerce-officer-1"})
	require.NoError(t, err)

	res, err := e.svc.Seed(ctx, seed)
	require.NoError(t, err)
	assert.Equal(t, exporters.SeedResult{Seeded: len(seed.Exporters) - 1, Skipped: 1, Events: countEvents(seed) - 1 - len(second.Events)}, res)
	got, err := e.ledger.CreditFile(ctx, first.USCC)
	require.NoError(t, err)
	assert.Len(t, got.Events, len(first.Events), "the interrupted history is completed, its first event once")
	got, err = e.ledger.CreditFile(ctx, second.USCC)
	require.NoError(t, err)
	require.Len(t, got.Events, 1)
	assert.Equal(t, own.ID, got.Events[0].ID, "an exporter with its own events is not seeded")

	before := histories(t, e, seed)
	res, err = e.svc.Seed(ctx, seed)
	require.NoError(t, err)
	assert.Equal(t, exporters.SeedResult{Skipped: len(seed.Exporters)}, res, "a restart records nothing")
	assert.Equal(t, before, histories(t, e, seed))
}

func countEvents(s *exporters.Seed) int {
	n := 0
	for _, ex := range s.Exporters {
		n += len(ex.Events)
	}
	return n
}

// histories reads the credit events of every exporter of the seed.
func histories(t testing.TB, e *env, s *exporters.Seed) map[string][]gateway.CreditEvent {
	t.Helper()
	out := map[string][]gateway.CreditEvent{}
	for _, ex := range s.Exporters {
		file, err := e.ledger.CreditFile(context.Background(), ex.USCC)
		require.NoError(t, err)
		out[ex.USCC] = file.Events
	}
	return out
}

// TestBadSeedFilesChangeNothing: a bad history file is refused as a whole, with the pointer
// of the bad member, before anything is recorded.
func TestBadSeedFilesChangeNothing(t *testing.T) {
	data, err := fixtures.FS.ReadFile("credit/histories.json")
	require.NoError(t, err)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		f(m)
		out, err := json.Marshal(m)
		require.NoError(t, err)
		return out
	}
	event := func(m map[string]any, i, j int) map[string]any {
		return m["exporters"].([]any)[i].(map[string]any)["events"].([]any)[j].(map[string]any)
	}
	last := func(m map[string]any) map[string]any {
		exs := m["exporters"].([]any)
		return exs[len(exs)-1].(map[string]any)
	}
	for name, tc := range map[string]struct {
		file    []byte
		code    string
		pointer string
	}{
		"not json":         {[]byte(`{"exporters":[`), gateway.EINVALIDJSON, ""},
		"unknown member":   {edit(func(m map[string]any) { event(m, 0, 0)["points"] = -50 }), gateway.EUNKNOWNFIELD, "/exporters/0/events/0/points"},
		"unknown code":     {edit(func(m map[string]any) { event(m, 1, 0)["code"] = "E99" }), gateway.EINVALID, "/exporters/1/events/0/code"},
		"wrong recorder":   {edit(func(m map[string]any) { event(m, 1, 0)["org"] = "commerce" }), gateway.EINVALID, "/exporters/1/events/0/org"},
		"no date":          {edit(func(m map[string]any) { delete(event(m, 2, 0), "daysAgo") }), gateway.EINVALID, "/exporters/2/events/0"},
		"two dates":        {edit(func(m map[string]any) { event(m, 2, 0)["occurredAt"] = "2026-01-01" }), gateway.EINVALID, "/exporters/2/events/0"},
		"negative days":    {edit(func(m map[string]any) { event(m, 2, 0)["daysAgo"] = -1 }), gateway.EINVALID, "/exporters/2/events/0/daysAgo"},
		"bad date":         {edit(func(m map[string]any) { delete(event(m, 2, 0), "daysAgo"); event(m, 2, 0)["occurredAt"] = "2026-02-30" }), gateway.EINVALID, "/exporters/2/events/0/occurredAt"},
		"no evidence":      {edit(func(m map[string]any) { delete(event(m, 3, 1), "evidenceHash") }), gateway.EINVALID, "/exporters/3/events/1/evidenceHash"},
		"actor with space": {edit(func(m map[string]any) { event(m, 3, 1)["actor"] = "officer 7" }), gateway.EINVALID, "/exporters/3/events/1/actor"},
		"bad uscc":         {edit(func(m map[string]any) { last(m)["uscc"] = "91152501MA0N6GJ84O" }), gateway.EINVALID, ""},
		"twice":            {edit(func(m map[string]any) { last(m)["uscc"] = m["exporters"].([]any)[0].(map[string]any)["uscc"] }), gateway.EINVALID, ""},
		"bad grade":        {edit(func(m map[string]any) { last(m)["expect"].(map[string]any)["grade"] = "M" }), gateway.EINVALID, ""},
		"uncapped code":    {edit(func(m map[string]any) { last(m)["expect"].(map[string]any)["capped"] = []string{"E12"} }), gateway.EINVALID, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := exporters.ParseSeed(tc.file, credit.Table2026)
			require.Error(t, err)
			assert.Equal(t, tc.code, gateway.ErrorCode(err))
			en, zh := gateway.ErrorMessages(err)
			assert.NotEmpty(t, en)
			assert.NotEmpty(t, zh)
			if tc.pointer != "" {
				d := gateway.ErrorDetails(err)
				require.NotEmpty(t, d)
				assert.Equal(t, tc.pointer, d[0].Pointer)
			}
		})
	}

	// A well-formed file naming an exporter that is not filed: nothing is recorded at all.
	ctx := context.Background()
	e := newEnv(t)
	seed, err := exporters.ParseSeed(edit(func(m map[string]any) { last(m)["uscc"] = "91350100M000100Y43" }), credit.Table2026)
	require.NoError(t, err)
	_, err = e.svc.Seed(ctx, seed)
	assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
	for uscc, evs := range histories(t, e, loadSeed(t)) {
		assert.Empty(t, evs, uscc)
	}
}
