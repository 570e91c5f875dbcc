package exporters

import (
	"sort"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
)

// HistoryEntry is one change of an exporter's score or grade: the assessment on that day as
// the ledger knew it then. When a later objection decision (UPHELD, PARTIAL) changes what the
// day's assessment would have been, the entry is amended: AmendedScore and AmendedGrade give
// the recomputed values and AmendedBy the deciding cases; the original stays, so the history
// shows both what applied then and the correction.
type HistoryEntry struct {
	Date  gateway.Date `json:"date"`
	Score int          `json:"score"`
	Grade credit.Grade `json:"grade"`
	New   bool         `json:"new,omitempty"`
	DHeld bool         `json:"dHeld,omitempty"`
	// Causes: what happened that day: "EXPORTER_FILED" (备案), "NEW_ENDED", "EVENT_RECORDED <id>",
	// "DECAYED <id>", "EXPIRED <id>", "OBJECTION_FILED <case>", "REPAIR_FILED <case>",
	// "CASE_DECIDED <case>".
	Causes       []string     `json:"causes"`
	AmendedScore *int         `json:"amendedScore,omitempty"`
	AmendedGrade credit.Grade `json:"amendedGrade,omitempty"`
	AmendedBy    []string     `json:"amendedBy,omitempty"`
}

// history replays the file day by day over the days something changed, up to today. An
// event counts from the day it was recorded (not the day it occurred: a later recording is
// not retroactive), with the status its cases gave it by that day. Suspensions are not
// replayed (the ledger keeps the latest; the feed has every one).
func (s *Service) history(facts credit.Exporter, file *gateway.CreditFile, today time.Time) []HistoryEntry {
	type caseOf struct {
		c             gateway.CreditCase
		filed, decide time.Time
	}
	byEvent := map[string][]caseOf{}
	causes := map[time.Time][]string{}
	at := func(d time.Time, what string) {
		if !d.IsZero() && !d.After(today) {
			causes[d] = append(causes[d], what)
		}
	}
	// A ledger day after today (the ledger's clock ahead of ours) counts as today.
	day := func(ts string) time.Time {
		if d := stampDay(ts); d.Before(today) {
			return d
		}
		return today
	}
	for _, c := range file.Cases {
		co := caseOf{c: c, filed: day(c.Timestamp)}
		kind := gateway.ChangeObjectionFiled
		if c.Kind == gateway.CaseRepair {
			kind = gateway.ChangeRepairFiled
		}
		at(co.filed, kind+" "+c.ID)
		if c.Decision != nil {
			co.decide = day(c.Decision.Timestamp)
			at(co.decide, gateway.ChangeCaseDecided+" "+c.ID)
		}
		byEvent[c.EventID] = append(byEvent[c.EventID], co)
	}
	for _, e := range file.Events {
		r, ok := s.table.Rules[e.Code]
		if !ok {
			continue
		}
		rec := day(e.Timestamp)
		at(rec, gateway.ChangeEventRecorded+" "+e.ID)
		decays, expires := credit.Schedule(r.Tier, e.OccurredAt.Time())
		if decays != nil && decays.After(rec) {
			at(*decays, "DECAYED "+e.ID)
		}
		if expires != nil && expires.After(rec) {
			at(*expires, "EXPIRED "+e.ID)
		}
	}
	if !facts.FirstFiledAt.IsZero() {
		at(facts.FirstFiledAt, "EXPORTER_FILED")
		at(facts.FirstFiledAt.AddDate(0, 6, 0), "NEW_ENDED")
	}
	daysSorted := make([]time.Time, 0, len(causes))
	for d := range causes {
		daysSorted = append(daysSorted, d)
	}
	sort.Slice(daysSorted, func(i, j int) bool { return daysSorted[i].Before(daysSorted[j]) })

	// asKnown is the event as the ledger knew it on day d (false: not recorded yet); amended
	// also applies the objection decisions taken since, and names the deciding case.
	asKnown := func(e gateway.CreditEvent, d time.Time, amended bool) (credit.Event, string, bool) {
		if day(e.Timestamp).After(d) {
			return credit.Event{}, "", false
		}
		status, points, by := string(credit.Active), 0, ""
		for _, co := range byEvent[e.ID] {
			if co.filed.After(d) {
				break
			}
			if co.c.Kind == gateway.CaseObjection {
				status = string(credit.Disputed)
			}
			if co.c.Decision != nil && !co.decide.After(d) {
				status, points = co.c.Decision.EventStatus, co.c.Decision.Points
			}
		}
		if amended {
			for _, co := range byEvent[e.ID] {
				dec := co.c.Decision
				if co.c.Kind == gateway.CaseObjection && dec != nil && co.decide.After(d) &&
					(dec.Outcome == gateway.OutcomeUpheld || dec.Outcome == gateway.OutcomePartial) {
					status, points, by = dec.EventStatus, dec.Points, co.c.ID
				}
			}
		}
		return modelEvent(e, status, points), by, true
	}
	var out []HistoryEntry
	for _, d := range daysSorted {
		var known, fixed []credit.Event
		var by []string
		for _, e := range file.Events {
			if me, _, ok := asKnown(e, d, false); ok {
				known = append(known, me)
			}
			if me, c, ok := asKnown(e, d, true); ok {
				fixed = append(fixed, me)
				if c != "" {
					by = append(by, c)
				}
			}
		}
		a := credit.Assess(s.table, facts, known, d)
		entry := HistoryEntry{Date: date(d), Score: a.Score, Grade: a.Grade, New: a.New, DHeld: a.DHeld, Causes: causes[d]}
		if len(by) > 0 {
			if b := credit.Assess(s.table, facts, fixed, d); b.Score != a.Score || b.Grade != a.Grade {
				score := b.Score
				entry.AmendedScore, entry.AmendedGrade, entry.AmendedBy = &score, b.Grade, by
			}
		}
		// A day that changes nothing, as known then and as amended, is not an entry.
		if n := len(out); n > 0 && sameEntry(out[n-1], entry) {
			continue
		}
		out = append(out, entry)
	}
	if out == nil {
		out = []HistoryEntry{}
	}
	return out
}

func sameEntry(a, b HistoryEntry) bool {
	amended := func(e HistoryEntry) int {
		if e.AmendedScore == nil {
			return -1
		}
		return *e.AmendedScore
	}
	return a.Score == b.Score && a.Grade == b.Grade && a.New == b.New && a.DHeld == b.DHeld &&
		amended(a) == amended(b) && a.AmendedGrade == b.AmendedGrade
}
