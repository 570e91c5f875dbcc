// Package credit is the exporter credit model (brief §7.4): credit events with points, tiers
// and decay, bonuses, direct-D events, the NEW-exporter rule, and grades A–D. It is pure: an
// Assessment depends only on the table, the exporter's facts, its events and the as-of date;
// storage, the ledger and the HTTP routes are elsewhere.
//
// Arithmetic is in half-points (a 50 % decayed 5-point event weighs 2.5): the score is
// 80 + bonuses − deductions, rounded down, clamped to 0..100.
package credit

import (
	"sort"
	"time"
)

// Tier is an event's weight class; it fixes the decay schedule and the repair waiting period.
type Tier string

const (
	Minor   Tier = "minor"
	General Tier = "general"
	Major   Tier = "major"
	Severe  Tier = "severe" // direct D; never decays, only repair or revocation ends it
	Bonus   Tier = "bonus"
)

// Grade is an exporter's credit grade.
type Grade string

const (
	GradeA Grade = "A" // fast track
	GradeB Grade = "B" // normal
	GradeC Grade = "C" // enhanced review: filings HELD for manual review
	GradeD Grade = "D" // suspended: new filings refused
)

// Status is a credit event's state in the objection and repair processes.
type Status string

const (
	Active   Status = "ACTIVE"
	Disputed Status = "DISPUTED" // objected to: still counted, but a D caused only by disputed events is held
	Revoked  Status = "REVOKED"  // objection upheld: weighs nothing, kept for the audit trail
	Expired  Status = "EXPIRED"  // set explicitly; decay also expires events by date
	Repaired Status = "REPAIRED" // credit repair granted: weighs nothing, kept for the audit trail
)

// Rule is one row of the versioned event table.
type Rule struct {
	Code   string `json:"code"`
	NameZh string `json:"nameZh"`
	NameEn string `json:"nameEn"`
	// Points: a deduction for E codes, an award for B codes; 0 for direct-D events.
	Points int  `json:"points"`
	Tier   Tier `json:"tier"`
	// Cap: the most all active events of this code may weigh together (0: no cap).
	Cap int `json:"cap,omitempty"`
	// FloorC: while an event of this code is active the grade is at most C.
	FloorC bool `json:"floorC,omitempty"`
	// Automatic: the gateway records it from an outcome; otherwise an agency records it by hand.
	Automatic bool `json:"automatic"`
	// Recorder: the organisation that may record it (commerce, customs or police).
	Recorder string `json:"recorder"`
}

// DirectD says whether an active event of the rule makes the grade D whatever the score.
func (r Rule) DirectD() bool { return r.Tier == Severe }

// Table is the versioned event table the model reads.
type Table struct {
	Version string          `json:"version"`
	Rules   map[string]Rule `json:"rules"`
}

// Event is a credit event as the model sees it.
type Event struct {
	ID         string    `json:"id"`
	Code       string    `json:"code"`
	OccurredAt time.Time `json:"occurredAt"`
	Status     Status    `json:"status"`
	// Points, when set, replaces the table's points (an objection decided PARTIAL).
	Points *int `json:"points,omitempty"`
}

// Exporter holds the facts the NEW rule needs.
type Exporter struct {
	USCC string `json:"uscc"`
	// FirstFiledAt: the exporter's first filing through UCX (or its 备案 date at seeding).
	FirstFiledAt time.Time `json:"firstFiledAt"`
	// LicenceLines: licence lines issued to it so far.
	LicenceLines int `json:"licenceLines"`
}

// The NEW rule (brief §7.4): 6 months or 20 licence lines.
const (
	newMonths = 6
	newLines  = 20
	base      = 80
)

// Item explains one event's weight on the as-of date.
type Item struct {
	EventID string `json:"eventId"`
	Code    string `json:"code"`
	Tier    Tier   `json:"tier"`
	Status  Status `json:"status"`
	// Points: the rule's (or the PARTIAL decision's) points; Weight: what they count today,
	// signed (negative for deductions), in points (may be x.5).
	Points int     `json:"points"`
	Weight float64 `json:"weight"`
	// Factor: 1, 0.5 (decayed) or 0 (expired, revoked, repaired, future, or beyond a cap).
	Factor float64 `json:"factor"`
	// DecaysAt / ExpiresAt: when the weight halves / ends by date (nil: never).
	DecaysAt  *time.Time `json:"decaysAt,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	DirectD   bool       `json:"directD,omitempty"`
	Capped    bool       `json:"capped,omitempty"`
}

// Assessment is the score, grade and explanation on one date.
type Assessment struct {
	ModelVersion string    `json:"modelVersion"`
	AsOf         time.Time `json:"asOf"`
	Score        int       `json:"score"`
	Grade        Grade     `json:"grade"`
	New          bool      `json:"new"`
	// DHeld: the grade would be D only because of disputed events; the change to D is held
	// until the objection is decided, and the exporter is under enhanced review (C) meanwhile.
	// ASSUMPTION: §7.4 says the D is held, not what applies meanwhile; C keeps the disputed
	// events' weight without suspending the exporter.
	DHeld bool   `json:"dHeld,omitempty"`
	Items []Item `json:"items"`
}

// Schedule gives an event's decay and expiry dates for its tier (brief §7.4, NDRC periods):
// minor expires after 3 months; general counts fully for 6 months, half to 12, then expires;
// major fully for 12, half to 24, then expires; severe never decays; bonuses count 12 months.
func Schedule(t Tier, at time.Time) (decays, expires *time.Time) {
	months := func(n int) *time.Time { d := at.AddDate(0, n, 0); return &d }
	switch t {
	case Minor:
		return nil, months(3)
	case General:
		return months(6), months(12)
	case Major:
		return months(12), months(24)
	case Bonus:
		return nil, months(12)
	}
	return nil, nil
}

// halves is the event's weight factor in halves (2 full, 1 decayed, 0 none) on asOf.
func halves(t Tier, at, asOf time.Time) int {
	if asOf.Before(at) {
		return 0
	}
	decays, expires := Schedule(t, at)
	switch {
	case expires != nil && !asOf.Before(*expires):
		return 0
	case decays != nil && !asOf.Before(*decays):
		return 1
	}
	return 2
}

// Assess computes the exporter's score and grade on asOf from its events. Unknown codes are
// ignored (they cannot come from the ledger, which checks codes against the same table).
func Assess(tab Table, ex Exporter, events []Event, asOf time.Time) Assessment {
	evs := append([]Event(nil), events...)
	// Order only by the events' own data, so the result does not depend on the input order.
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].OccurredAt.Equal(evs[j].OccurredAt) {
			return evs[i].OccurredAt.Before(evs[j].OccurredAt)
		}
		return evs[i].ID < evs[j].ID
	})
	a := Assessment{ModelVersion: tab.Version, AsOf: asOf, Items: make([]Item, 0, len(evs))}
	used := map[string]int{} // half-points per capped code so far
	var plus, minus int      // half-points
	directD, directDUndisputed, floorC, floorCUndisputed := false, false, false, false
	disputedMinus := 0
	for _, e := range evs {
		r, ok := tab.Rules[e.Code]
		if !ok {
			continue
		}
		pts := r.Points
		if e.Points != nil {
			pts = *e.Points
		}
		it := Item{EventID: e.ID, Code: e.Code, Tier: r.Tier, Status: e.Status, Points: pts, DirectD: r.DirectD()}
		it.DecaysAt, it.ExpiresAt = Schedule(r.Tier, e.OccurredAt)
		h := halves(r.Tier, e.OccurredAt, asOf)
		if e.Status != Active && e.Status != Disputed {
			h = 0
		}
		w := h * pts // half-points
		if r.Cap > 0 && h > 0 {
			room := 2*r.Cap - used[e.Code]
			if w > room {
				w, it.Capped = max(room, 0), true
			}
			used[e.Code] += w
		}
		it.Factor = float64(h) / 2
		if it.Capped && pts > 0 {
			it.Factor = float64(w) / float64(2*pts)
		}
		if r.Tier == Bonus {
			plus += w
			it.Weight = float64(w) / 2
		} else {
			minus += w
			it.Weight = -float64(w) / 2
			if e.Status == Disputed {
				disputedMinus += w
			}
		}
		if h > 0 && r.DirectD() {
			directD = true
			directDUndisputed = directDUndisputed || e.Status == Active
		}
		if h > 0 && r.FloorC {
			floorC = true
			floorCUndisputed = floorCUndisputed || e.Status == Active
		}
		a.Items = append(a.Items, it)
	}
	plus = min(plus, 2*maxBonus)
	a.Score = score(plus, minus)
	a.New = asOf.Before(ex.FirstFiledAt.AddDate(0, newMonths, 0)) && ex.LicenceLines < newLines
	a.Grade = grade(a.Score, directD, floorC, a.New)
	if a.Grade == GradeD {
		without := grade(score(plus, minus-disputedMinus), directDUndisputed, floorCUndisputed, a.New)
		if without != GradeD {
			// Held, not ignored: enhanced review (C) until the objection is decided.
			a.Grade, a.DHeld = GradeC, true
		}
	}
	return a
}

// maxBonus: bonuses together add at most 20 points (80 + 20 = 100).
const maxBonus = 100 - base

func score(plusHalves, minusHalves int) int {
	s := (2*base + plusHalves - minusHalves) // half-points
	if s < 0 {
		return 0
	}
	return min(s/2, 100)
}

// grade maps a score and the event flags to a grade (brief §7.4 thresholds).
func grade(score int, directD, floorC, isNew bool) Grade {
	var g Grade
	switch {
	case directD:
		return GradeD
	case isNew:
		g = GradeB
	case score >= 90:
		g = GradeA
	case score >= 75:
		g = GradeB
	case score >= 60:
		g = GradeC
	default:
		g = GradeD
	}
	if floorC && (g == GradeA || g == GradeB) {
		g = GradeC
	}
	return g
}

// Rank orders grades from best (0) to worst (3).
func Rank(g Grade) int {
	switch g {
	case GradeA:
		return 0
	case GradeB:
		return 1
	case GradeC:
		return 2
	}
	return 3
}
