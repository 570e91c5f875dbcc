package credit

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/gateway"
)

var (
	day0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// veteran: not NEW on any date the tests use.
	veteran = Exporter{USCC: "91440300192317458F", FirstFiledAt: day0.AddDate(-3, 0, 0), LicenceLines: 500}
)

func ev(id, code string, at time.Time) Event {
	return Event{ID: id, Code: code, OccurredAt: at, Status: Active}
}

func TestAssessExamples(t *testing.T) {
	asOf := day0.AddDate(0, 3, 0)
	for _, tc := range []struct {
		name   string
		events []Event
		score  int
		grade  Grade
	}{
		{"no events: the base 80 is a B", nil, 80, GradeB},
		{"a regulator talk", []Event{ev("1", "E12", day0)}, 70, GradeC},
		{"A is earned with bonuses", []Event{ev("1", "B01", day0), ev("2", "B01", day0), ev("3", "B03", day0)}, 95, GradeA},
		{"B01 is capped at +10", []Event{ev("1", "B01", day0), ev("2", "B01", day0), ev("3", "B01", day0)}, 90, GradeA},
		{"a direct-D event at any score", []Event{ev("1", "B01", day0), ev("2", "B01", day0), ev("3", "E02", day0)}, 90, GradeD},
		{"E14 capped at -20", []Event{ev("1", "E14", day0), ev("2", "E14", day0), ev("3", "E14", day0), ev("4", "E14", day0), ev("5", "E14", day0)}, 60, GradeC},
		{"below 60 is D", []Event{ev("1", "E04", day0)}, 50, GradeD},
		{"E08 holds the grade at C whatever the score", []Event{ev("1", "E08", day0), ev("2", "B01", day0), ev("3", "B01", day0), ev("4", "B03", day0), ev("5", "B04", day0)}, 78, GradeC},
		{"a future event does not count yet", []Event{ev("1", "E12", asOf.AddDate(0, 0, 1))}, 80, GradeB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Assess(Table2026, veteran, tc.events, asOf)
			assert.Equal(t, tc.score, a.Score)
			assert.Equal(t, tc.grade, a.Grade)
			assert.Equal(t, Table2026.Version, a.ModelVersion)
			assert.Len(t, a.Items, len(tc.events), "every event is explained")
		})
	}
}

// TestDecaySchedule: a general event counts fully for 6 months, half to 12, then nothing; a
// major one 12 / 24; a minor one expires after 3 months; a severe one never decays.
func TestDecaySchedule(t *testing.T) {
	for _, tc := range []struct {
		code   string
		months []int
		scores []int
	}{
		{"E12", []int{0, 5, 6, 11, 12}, []int{70, 70, 75, 75, 80}},
		{"E15", []int{0, 6, 12}, []int{75, 77, 80}}, // 2.5 points decayed: rounded against the exporter
		{"E07", []int{0, 11, 12, 23, 24}, []int{60, 60, 70, 70, 80}},
		{"E17", []int{0, 2, 3}, []int{77, 77, 80}},
	} {
		for i, m := range tc.months {
			a := Assess(Table2026, veteran, []Event{ev("1", tc.code, day0)}, day0.AddDate(0, m, 0))
			assert.Equal(t, tc.scores[i], a.Score, "%s after %d months", tc.code, m)
		}
	}
	a := Assess(Table2026, veteran, []Event{ev("1", "E01", day0)}, day0.AddDate(10, 0, 0))
	assert.Equal(t, GradeD, a.Grade, "severe events never decay")
	assert.Nil(t, a.Items[0].ExpiresAt)
	g := Assess(Table2026, veteran, []Event{ev("1", "E12", day0)}, day0.AddDate(0, 7, 0)).Items[0]
	assert.Equal(t, 0.5, g.Factor)
	assert.Equal(t, -5.0, g.Weight)
	assert.Equal(t, day0.AddDate(0, 6, 0), *g.DecaysAt)
	assert.Equal(t, day0.AddDate(0, 12, 0), *g.ExpiresAt)
}

func TestNewExporter(t *testing.T) {
	fresh := Exporter{USCC: veteran.USCC, FirstFiledAt: day0, LicenceLines: 3}
	bad := []Event{ev("1", "E04", day0), ev("2", "E12", day0)}
	a := Assess(Table2026, fresh, bad, day0.AddDate(0, 1, 0))
	assert.True(t, a.New)
	assert.Equal(t, GradeB, a.Grade, "NEW is treated as B whatever the score")
	assert.Equal(t, 40, a.Score, "but the score is still explained")
	assert.Equal(t, GradeD, Assess(Table2026, fresh, append(bad, ev("3", "E01", day0)), day0.AddDate(0, 1, 0)).Grade, "unless a direct-D event occurs")
	assert.False(t, Assess(Table2026, fresh, bad, day0.AddDate(0, 6, 0)).New, "NEW lasts 6 months")
	fresh.LicenceLines = 20
	assert.False(t, Assess(Table2026, fresh, bad, day0.AddDate(0, 1, 0)).New, "or until 20 licence lines")
}

func TestDisputedD(t *testing.T) {
	disputed := ev("1", "E02", day0)
	disputed.Status = Disputed
	a := Assess(Table2026, veteran, []Event{disputed}, day0.AddDate(0, 1, 0))
	assert.Equal(t, GradeC, a.Grade, "a D caused only by a disputed event is held: enhanced review meanwhile")
	assert.True(t, a.DHeld)
	a = Assess(Table2026, veteran, []Event{disputed, ev("2", "E04", day0)}, day0.AddDate(0, 1, 0))
	assert.Equal(t, GradeD, a.Grade, "an undisputed event makes it D anyway")
	assert.False(t, a.DHeld)

	d := ev("3", "E12", day0)
	d.Status = Disputed
	assert.Equal(t, 70, Assess(Table2026, veteran, []Event{d}, day0).Score, "a disputed event still counts")
	five := 5
	d.Status, d.Points = Active, &five
	assert.Equal(t, 75, Assess(Table2026, veteran, []Event{d}, day0).Score, "a PARTIAL decision changes the points")
}

// randomEvents draws a history of up to n events over two years before day0+2y.
func randomEvents(r *rand.Rand, n int) []Event {
	codes := make([]string, 0, len(Table2026.Rules))
	for c := range Table2026.Rules {
		codes = append(codes, c)
	}
	slices.Sort(codes) // the draws depend on the seed only
	statuses := []Status{Active, Active, Active, Disputed, Revoked, Repaired, Expired}
	out := make([]Event, r.IntN(n+1))
	for i := range out {
		out[i] = Event{ID: fmt.Sprintf("e%03d", i), Code: codes[r.IntN(len(codes))],
			OccurredAt: day0.AddDate(0, 0, r.IntN(4*365)), Status: statuses[r.IntN(len(statuses))]}
	}
	return out
}

func randomExporter(r *rand.Rand) Exporter {
	return Exporter{USCC: veteran.USCC, FirstFiledAt: day0.AddDate(0, 0, r.IntN(3*365)), LicenceLines: r.IntN(40)}
}

func randomDay(r *rand.Rand) time.Time { return day0.AddDate(0, 0, r.IntN(5*365)) }

const trials = 3000

// Property: adding a deduction never raises the score nor improves the grade.
func TestPropertyDeductionNeverHelps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	deductions := []string{}
	for c, rule := range Table2026.Rules {
		if rule.Tier != Bonus {
			deductions = append(deductions, c)
		}
	}
	slices.Sort(deductions)
	for range trials {
		ex, events, asOf := randomExporter(r), randomEvents(r, 12), randomDay(r)
		before := Assess(Table2026, ex, events, asOf)
		added := Event{ID: "zzz", Code: deductions[r.IntN(len(deductions))], OccurredAt: randomDay(r), Status: []Status{Active, Disputed}[r.IntN(2)]}
		after := Assess(Table2026, ex, append(events, added), asOf)
		require.LessOrEqual(t, after.Score, before.Score, "adding %+v to %+v", added, events)
		require.GreaterOrEqual(t, Rank(after.Grade), Rank(before.Grade), "adding %+v to %+v", added, events)
	}
}

// Property: decay never raises a deduction: an event's weight only shrinks as time passes.
func TestPropertyDecayNeverRaises(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range trials {
		events := randomEvents(r, 1)
		if len(events) == 0 || Table2026.Rules[events[0].Code].Tier == Bonus {
			continue
		}
		events[0].Status = Active
		t1 := randomDay(r)
		t2 := t1.AddDate(0, 0, r.IntN(800))
		w1 := Assess(Table2026, veteran, events, t1)
		w2 := Assess(Table2026, veteran, events, t2)
		if events[0].OccurredAt.After(t1) {
			continue // not yet occurred at t1
		}
		require.GreaterOrEqual(t, w2.Items[0].Weight, w1.Items[0].Weight, "%+v at %s then %s", events[0], t1, t2)
		require.GreaterOrEqual(t, w2.Score, w1.Score)
	}
}

// Property: a repaired or revoked event weighs nothing: the assessment is the one without it.
func TestPropertyRepairedOrRevokedWeighNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range trials {
		ex, events, asOf := randomExporter(r), randomEvents(r, 12), randomDay(r)
		if len(events) == 0 {
			continue
		}
		i := r.IntN(len(events))
		with := append([]Event(nil), events...)
		with[i].Status = []Status{Repaired, Revoked}[r.IntN(2)]
		without := append(append([]Event(nil), events[:i]...), events[i+1:]...)
		a, b := Assess(Table2026, ex, with, asOf), Assess(Table2026, ex, without, asOf)
		require.Equal(t, b.Score, a.Score)
		require.Equal(t, b.Grade, a.Grade)
		require.Equal(t, b.DHeld, a.DHeld)
	}
}

// Property: the assessment depends only on the events and the as-of date — not their order,
// not the clock, not earlier calls.
func TestPropertyDependsOnlyOnEventsAndDate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range trials {
		ex, events, asOf := randomExporter(r), randomEvents(r, 12), randomDay(r)
		a := Assess(Table2026, ex, events, asOf)
		shuffled := append([]Event(nil), events...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		b := Assess(Table2026, ex, shuffled, asOf)
		require.Equal(t, a, b)
		require.GreaterOrEqual(t, a.Score, 0)
		require.LessOrEqual(t, a.Score, 100)
	}
}

func TestRepairableFrom(t *testing.T) {
	from, ok := RepairableFrom(Table2026, ev("1", "E12", day0), nil)
	require.True(t, ok)
	assert.Equal(t, day0.AddDate(0, 3, 0), from)
	from, _ = RepairableFrom(Table2026, ev("1", "E07", day0), nil)
	assert.Equal(t, day0.AddDate(0, 6, 0), from)
	from, _ = RepairableFrom(Table2026, ev("1", "E02", day0), nil)
	assert.Equal(t, day0.AddDate(1, 0, 0), from)
	repaired := day0.AddDate(-1, 0, 0)
	from, _ = RepairableFrom(Table2026, ev("1", "E02", day0), &repaired)
	assert.Equal(t, day0.AddDate(2, 0, 0), from, "a severe event within 24 months of a repair waits 24 months")
	long := day0.AddDate(-3, 0, 0)
	from, _ = RepairableFrom(Table2026, ev("1", "E02", day0), &long)
	assert.Equal(t, day0.AddDate(1, 0, 0), from)
	_, ok = RepairableFrom(Table2026, ev("1", "B01", day0), nil)
	assert.False(t, ok, "bonuses are not repaired")
}

func TestWorkingDays(t *testing.T) {
	// 2026: National Day holiday 1–7 October; Sunday 27 September and Saturday 10 October
	// are working days (调休) — an example calendar, configured, not built in.
	cal := Calendar{
		Holidays: map[string]bool{"2026-10-01": true, "2026-10-02": true, "2026-10-05": true, "2026-10-06": true, "2026-10-07": true},
		Workdays: map[string]bool{"2026-09-27": true, "2026-10-10": true},
	}
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	assert.Equal(t, d("2026-11-30"), cal.AddWorkingDays(d("2026-11-27"), 1), "Friday + 1 is Monday")
	assert.Equal(t, d("2026-10-08"), cal.AddWorkingDays(d("2026-09-30"), 1), "over the holiday")
	assert.Equal(t, d("2026-10-10"), cal.AddWorkingDays(d("2026-10-09"), 1), "a make-up Saturday counts")
	assert.Equal(t, d("2026-09-27"), cal.AddWorkingDays(d("2026-09-26"), 1))
	assert.Equal(t, d("2026-12-17"), cal.AddWorkingDays(d("2026-11-26"), 15), "15 working days")
}

// TestTable: every row is complete — a reviewer reads its names, the ledger checks its recorder.
func TestTable(t *testing.T) {
	require.Len(t, Table2026.Rules, 21)
	for code, r := range Table2026.Rules {
		assert.Equal(t, code, r.Code)
		assert.NotEmpty(t, r.NameZh, code)
		assert.NotEmpty(t, r.NameEn, code)
		assert.Contains(t, []string{"commerce", "customs", "police"}, r.Recorder, code)
		assert.Equal(t, r.Tier == Severe, r.Points == 0, "%s: only direct-D events have no points", code)
		assert.Equal(t, r.Tier == Bonus, code[0] == 'B', code)
	}
}

// TestRulesDocListsTheTable: docs/rules.md shows every code with the table's tier and points.
func TestRulesDocListsTheTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/rules.md")
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "|" && len(f[1]) == 3 && (f[1][0] == 'E' || f[1][0] == 'B') {
			rows[f[1]] = line
		}
	}
	for code, r := range Table2026.Rules {
		row, ok := rows[code]
		if !assert.True(t, ok, "%s is not in docs/rules.md", code) {
			continue
		}
		points := "direct D"
		if r.Points > 0 {
			points = map[bool]string{true: "+", false: "−"}[r.Tier == Bonus] + strconv.Itoa(r.Points)
		}
		assert.Contains(t, row, "| "+string(r.Tier)+" | "+points+" | "+r.Recorder+" |", code)
	}
}

// TestLedgerAgreesWithTable: the chaincode lets exactly the table's recorder record each code,
// and bounds PARTIAL decisions by the table's points.
func TestLedgerAgreesWithTable(t *testing.T) {
	for code, r := range Table2026.Rules {
		msp, points, ok := chaincode.CreditRecorder(code)
		require.True(t, ok, "%s is unknown to the chaincode", code)
		assert.Equal(t, gateway.MSPID(r.Recorder), msp, code)
		assert.Equal(t, r.Points, points, code)
	}
	for _, code := range []string{"E00", "E18", "B05", "X01"} {
		_, _, ok := chaincode.CreditRecorder(code)
		assert.False(t, ok, code)
	}
}

// TestParseCalendar: a calendar file gives holidays and worked weekend days; mistakes are
// refused.
func TestParseCalendar(t *testing.T) {
	cal, err := ParseCalendar([]byte(`{"holidays":["2027-01-01"],"workdays":["2027-02-06"]}`))
	require.NoError(t, err)
	assert.False(t, cal.Working(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)), "a holiday")
	assert.True(t, cal.Working(time.Date(2027, 2, 6, 0, 0, 0, 0, time.UTC)), "a Saturday worked")
	for _, bad := range []string{`{"holidays":["2027-02-30"]}`, `{"holiday":[]}`, `{"holidays":["2027-01-02"],"workdays":["2027-01-02"]}`, `[`} {
		_, err := ParseCalendar([]byte(bad))
		assert.Error(t, err, bad)
	}
}
