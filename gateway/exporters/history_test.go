package exporters

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
)

// TestHistoryAmendedByObjection: the grade history shows each change as the ledger knew it
// then; a later objection upheld (or PARTIAL) amends the entries it corrects, keeping the
// original values.
func TestHistoryAmendedByObjection(t *testing.T) {
	const uscc = "91440300MA5GK7R3DQ"
	talk := gateway.CreditEvent{ID: uscc + "-000000", Code: "E12", OccurredAt: "2026-03-01", Status: "REVOKED", Timestamp: "2026-03-02T02:00:00Z"}
	order := gateway.CreditEvent{ID: uscc + "-000001", Code: "E07", OccurredAt: "2026-05-28", Status: "ACTIVE", Points: 8, Timestamp: "2026-06-01T03:00:00Z"}
	file := &gateway.CreditFile{ExporterUSCC: uscc, Events: []gateway.CreditEvent{talk, order}, Cases: []gateway.CreditCase{
		{ID: uscc + "-C000000", Kind: gateway.CaseObjection, EventID: talk.ID, Status: gateway.CaseDecided, Timestamp: "2026-03-05T01:00:00Z",
			Decision: &gateway.CaseDecision{Outcome: gateway.OutcomeUpheld, EventStatus: "REVOKED", Timestamp: "2026-04-10T01:00:00Z"}},
		{ID: uscc + "-C000001", Kind: gateway.CaseObjection, EventID: order.ID, Status: gateway.CaseDecided, Timestamp: "2026-06-03T01:00:00Z",
			Decision: &gateway.CaseDecision{Outcome: gateway.OutcomePartial, Points: 8, EventStatus: "ACTIVE", Timestamp: "2026-07-01T01:00:00Z"}},
	}}
	s := &Service{table: credit.Table2026, calendar: credit.China2026}
	facts := credit.Exporter{USCC: uscc, FirstFiledAt: time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)}
	h := s.history(facts, file, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))

	type row struct {
		date    gateway.Date
		score   int
		grade   credit.Grade
		amended string // "score grade by" or ""
	}
	var got []row
	for _, e := range h {
		r := row{date: e.Date, score: e.Score, grade: e.Grade}
		if e.AmendedScore != nil {
			require.Len(t, e.AmendedBy, 1)
			r.amended = string(rune('0'+*e.AmendedScore/10)) + string(rune('0'+*e.AmendedScore%10)) + " " + string(e.AmendedGrade) + " " + e.AmendedBy[0]
		}
		got = append(got, r)
	}
	assert.Equal(t, []row{
		{"2024-05-20", 80, "B", ""},                          // filed, NEW
		{"2024-11-20", 80, "B", ""},                          // NEW ended
		{"2026-03-02", 70, "C", "80 B " + uscc + "-C000000"}, // the talk, revoked later
		{"2026-04-10", 80, "B", ""},                          // objection upheld
		{"2026-06-01", 60, "C", "72 C " + uscc + "-C000001"}, // the order, lowered later
		{"2026-07-01", 72, "C", ""},                          // PARTIAL
	}, got)
	assert.True(t, h[0].New)
	assert.Contains(t, h[2].Causes, "EVENT_RECORDED "+talk.ID)
	assert.Contains(t, h[3].Causes, "CASE_DECIDED "+uscc+"-C000000")
}

// TestCasesDueInWorkingDays: the review is due 15 working days after filing (the calendar's
// holidays skipped), 30 when extended; open past it is overdue.
func TestCasesDueInWorkingDays(t *testing.T) {
	s := &Service{table: credit.Table2026, calendar: credit.China2026}
	filed := gateway.CreditCase{ID: "x", Status: gateway.CaseOpen, Timestamp: "2026-09-21T02:00:00Z"} // Monday
	extended := filed
	extended.Extension = &gateway.CaseExtension{Reason: "r"}
	cs := s.cases(&gateway.CreditFile{Cases: []gateway.CreditCase{filed, extended}}, time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC))
	// 22–24 Sep (3; 25–27 Mid-Autumn), 28–30 Sep (3; 1–7 Oct National Day), 8–9 Oct (2),
	// Saturday 10 Oct worked (1), 12–16 Oct (5), 19 Oct (1): 15.
	assert.Equal(t, gateway.Date("2026-10-19"), cs[0].DueAt)
	assert.True(t, cs[0].Overdue)
	assert.Equal(t, gateway.Date("2026-11-09"), cs[1].DueAt)
	assert.False(t, cs[1].Overdue)
}
