package credit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// RepairWaitMonths is the minimum time before an event may be repaired (信用修复), by tier
// (brief §7.4, after the NDRC minimum periods and the GACC 6-month/1-year waits). Minor events
// may be repaired as soon as the obligations are met.
var RepairWaitMonths = map[Tier]int{Minor: 0, General: 3, Major: 6, Severe: 12}

// RepairableFrom is the first day an application to repair e may be made. lastRepair is the
// exporter's most recent granted repair, if any: a severe event within 24 months after it is
// not repairable until 24 months after the event. ok is false for codes that are not
// deductions (bonuses) or unknown.
func RepairableFrom(tab Table, e Event, lastRepair *time.Time) (from time.Time, ok bool) {
	r, known := tab.Rules[e.Code]
	if !known || r.Tier == Bonus {
		return time.Time{}, false
	}
	from = e.OccurredAt.AddDate(0, RepairWaitMonths[r.Tier], 0)
	if r.Tier == Severe && lastRepair != nil && !e.OccurredAt.Before(*lastRepair) &&
		e.OccurredAt.Before(lastRepair.AddDate(2, 0, 0)) {
		if later := e.OccurredAt.AddDate(2, 0, 0); later.After(from) {
			from = later
		}
	}
	return from, true
}

// Calendar counts working days for the objection and repair time limits (SLA): Monday to
// Friday, minus public holidays, plus the weekend days declared working days (调休). Dates
// are days in the calendar's location; keys are "2006-01-02".
type Calendar struct {
	Holidays map[string]bool
	Workdays map[string]bool
}

// Working says whether day is a working day.
func (c Calendar) Working(day time.Time) bool {
	k := day.Format(time.DateOnly)
	if c.Workdays[k] {
		return true
	}
	if c.Holidays[k] {
		return false
	}
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays is the day n working days after start (start itself not counted): the
// deadline of a time limit of n working days notified on start.
func (c Calendar) AddWorkingDays(start time.Time, n int) time.Time {
	d := start
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.Working(d) {
			n--
		}
	}
	return d
}

// ParseCalendar reads a calendar from JSON {"holidays": ["2027-01-01", …], "workdays":
// ["2027-02-07", …]} (workdays: weekend days worked, 调休). Unknown members, malformed dates
// and a day in both lists are errors.
func ParseCalendar(data []byte) (Calendar, error) {
	var in struct {
		Holidays []string `json:"holidays"`
		Workdays []string `json:"workdays"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Calendar{}, fmt.Errorf("calendar: %w", err)
	}
	cal := Calendar{Holidays: map[string]bool{}, Workdays: map[string]bool{}}
	for _, l := range []struct {
		days []string
		into map[string]bool
	}{{in.Holidays, cal.Holidays}, {in.Workdays, cal.Workdays}} {
		for _, d := range l.days {
			if t, err := time.Parse(time.DateOnly, d); err != nil || t.Format(time.DateOnly) != d {
				return Calendar{}, fmt.Errorf("calendar: %q is not a date YYYY-MM-DD", d)
			}
			l.into[d] = true
		}
	}
	for d := range cal.Workdays {
		if cal.Holidays[d] {
			return Calendar{}, fmt.Errorf("calendar: %s is both a holiday and a workday", d)
		}
	}
	return cal, nil
}
