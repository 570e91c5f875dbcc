// Package deadlines watches the dates a vehicle's journey must meet (issue 5 §4): the
// temporary plate (60 days from the transfer pending export, brief §3.2), the licence's
// validity until the vehicle is declared (§2.5), and deregistration within 2 months of exit
// (§3.3). It observes the ledger writes that go through the gateway (a gateway.Ledger
// decorator), lists the deadlines by status and agency, and records DEADLINE_PASSED on a
// vehicle's trace once a deadline is overdue; an overdue deregistration also records credit
// event E14 against the vehicle's exporter.
package deadlines

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sort"
	"time"

	"github.com/ucx-export/ucx/gateway"
)

// Rules (ASSUMPTIONs where the brief gives a maximum): the temporary plate is valid at most 60
// days; deregistration is due 2 months after exit; due-soon means within 7 days.
const (
	TempPlateDays = 60
	DeregMonths   = 2
	DueSoonDays   = 7
)

// chinaTime: deadlines are Chinese calendar dates.
var chinaTime = time.FixedZone("CST", 8*3600)

// Ledger wraps a gateway.Ledger: every write that succeeds updates the deadlines it opens or
// meets. A failure to store a deadline is logged, never turned into a failed write (the ledger
// holds the truth; the worker's next pass does not depend on it).
type Ledger struct {
	gateway.Ledger
	store gateway.Store
	log   *slog.Logger
	now   func() time.Time
}

var _ gateway.Ledger = (*Ledger)(nil)

// Watch returns l observed for deadlines kept in store.
func Watch(l gateway.Ledger, store gateway.Store, log *slog.Logger) *Ledger {
	return &Ledger{Ledger: l, store: store, log: log, now: time.Now}
}

// RecordEvent implements gateway.Ledger. A temporary plate valid for more than 60 days (or
// already expired, or given with another event type) is refused before the ledger sees it.
func (w *Ledger) RecordEvent(ctx context.Context, org string, e gateway.EventInput) (*gateway.TraceEvent, error) {
	if err := checkTempPlate(e, w.now()); err != nil {
		return nil, err
	}
	ev, err := w.Ledger.RecordEvent(ctx, org, e)
	if err == nil {
		w.observe(ctx, ev, e.TempPlateValidUntil)
	}
	return ev, err
}

func checkTempPlate(e gateway.EventInput, now time.Time) error {
	if e.TempPlateValidUntil == "" {
		return nil
	}
	bad := func(en, zh string) error {
		return gateway.Errorf(gateway.EINVALID, "%[1]s", "%[2]s", en, zh).WithDetails(gateway.Detail{Pointer: "/tempPlateValidUntil", Code: gateway.EINVALID, Message: en, MessageZh: zh})
	}
	if e.Type != "TRANSFERRED_PENDING_EXPORT" {
		return bad("tempPlateValidUntil belongs to TRANSFERRED_PENDING_EXPORT only", "tempPlateValidUntil 仅用于转让待出口事件")
	}
	until := e.TempPlateValidUntil.Time()
	today := dayOf(now.UTC().Format(time.RFC3339Nano))
	switch {
	case until.IsZero():
		return bad("tempPlateValidUntil must be a date YYYY-MM-DD", "tempPlateValidUntil 应为 YYYY-MM-DD 日期")
	case until.Before(today):
		return bad("the temporary plate has already expired", "临时号牌已过期")
	case until.After(today.AddDate(0, 0, TempPlateDays)):
		return bad("a temporary plate is valid for at most 60 days", "临时号牌有效期最长60天")
	}
	return nil
}

// IssueLicence implements gateway.Ledger: each VIN's licence validity is watched until the
// vehicle is declared.
func (w *Ledger) IssueLicence(ctx context.Context, l gateway.Licence) (*gateway.Licence, *gateway.Receipt, error) {
	out, r, err := w.Ledger.IssueLicence(ctx, l)
	if err == nil {
		for _, line := range out.Lines {
			w.put(ctx, &gateway.Deadline{Kind: gateway.DeadlineLicenceValidity, VIN: line.VIN, Agency: gateway.OrgCommerce,
				Due: out.ExpiryDate, Status: gateway.DeadlineOpen, Since: string(out.IssueDate), LicenceNo: out.LicenceNo})
		}
	}
	return out, r, err
}

// RevokeLicence implements gateway.Ledger: a revoked licence's validity is no longer watched.
func (w *Ledger) RevokeLicence(ctx context.Context, no, reason, actor string) (*gateway.Licence, *gateway.Receipt, error) {
	out, r, err := w.Ledger.RevokeLicence(ctx, no, reason, actor)
	if err == nil {
		for _, line := range out.Lines {
			w.close(ctx, gateway.DeadlineLicenceValidity, line.VIN, gateway.DeadlineCancelled, "LICENCE_REVOKED")
		}
	}
	return out, r, err
}

// observe opens and meets deadlines from one recorded event.
func (w *Ledger) observe(ctx context.Context, ev *gateway.TraceEvent, plateUntil gateway.Date) {
	day := dayOf(ev.Timestamp)
	switch ev.Type {
	case "TRANSFERRED_PENDING_EXPORT":
		due := gateway.Date(day.AddDate(0, 0, TempPlateDays).Format(time.DateOnly))
		if plateUntil != "" && plateUntil < due {
			due = plateUntil
		}
		w.put(ctx, &gateway.Deadline{Kind: gateway.DeadlineTempPlate, VIN: ev.VIN, Agency: gateway.OrgPolice,
			Due: due, Status: gateway.DeadlineOpen, Since: ev.Timestamp})
	case "DECLARED":
		w.close(ctx, gateway.DeadlineLicenceValidity, ev.VIN, gateway.DeadlineMet, ev.Timestamp)
	case "EXITED":
		w.close(ctx, gateway.DeadlineTempPlate, ev.VIN, gateway.DeadlineMet, ev.Timestamp)
		w.put(ctx, &gateway.Deadline{Kind: gateway.DeadlineDeregistration, VIN: ev.VIN, Agency: gateway.OrgPolice,
			Due: gateway.Date(day.AddDate(0, DeregMonths, 0).Format(time.DateOnly)), Status: gateway.DeadlineOpen, Since: ev.Timestamp})
	case "RETURNED":
		w.close(ctx, gateway.DeadlineTempPlate, ev.VIN, gateway.DeadlineMet, ev.Timestamp)
	case "DEREGISTERED":
		w.close(ctx, gateway.DeadlineDeregistration, ev.VIN, gateway.DeadlineMet, ev.Timestamp)
	}
}

func dayOf(ts string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		t = time.Now()
	}
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (w *Ledger) put(ctx context.Context, d *gateway.Deadline) {
	if err := w.store.PutDeadline(ctx, d); err != nil {
		w.log.Error("deadline not stored", "kind", d.Kind, "vin", d.VIN, "err", err)
	}
}

// close marks an open or passed deadline met or cancelled.
func (w *Ledger) close(ctx context.Context, kind, vin, status, by string) {
	all, err := w.store.Deadlines(ctx)
	if err != nil {
		w.log.Error("deadlines not read", "err", err)
		return
	}
	for _, d := range all {
		if d.Kind == kind && d.VIN == vin && (d.Status == gateway.DeadlineOpen || d.Status == gateway.DeadlinePassed) {
			d.Status, d.Closed = status, by
			w.put(ctx, d)
		}
	}
}

// View is a deadline as listed: with the days left (negative when overdue).
type View struct {
	gateway.Deadline
	DaysLeft int    `json:"daysLeft"`
	State    string `json:"state"` // overdue, due-soon, open, met, cancelled
}

// List returns the deadlines in a state (overdue, due-soon, open, met, cancelled; "" = every
// open or overdue one) watched by an agency ("" = all), soonest first.
func List(ctx context.Context, store gateway.Store, state, agency string, now time.Time) ([]View, error) {
	all, err := store.Deadlines(ctx)
	if err != nil {
		return nil, err
	}
	today := dayOf(now.UTC().Format(time.RFC3339Nano))
	out := []View{}
	for _, d := range all {
		if agency != "" && d.Agency != agency {
			continue
		}
		v := View{Deadline: *d, DaysLeft: int(d.Due.Time().Sub(today).Hours() / 24)}
		switch {
		case d.Status == gateway.DeadlineMet:
			v.State = "met"
		case d.Status == gateway.DeadlineCancelled:
			v.State = "cancelled"
		case v.DaysLeft < 0:
			v.State = "overdue"
		case v.DaysLeft <= DueSoonDays:
			v.State = "due-soon"
		default:
			v.State = "open"
		}
		switch {
		case state == "" && (v.State == "overdue" || v.State == "due-soon" || v.State == "open"):
		case state == v.State:
		default:
			continue
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Due != out[j].Due {
			return out[i].Due < out[j].Due
		}
		return out[i].VIN < out[j].VIN
	})
	return out, nil
}

// RecordPassed records DEADLINE_PASSED on the trace of every vehicle with an open deadline
// now overdue (as commerce; evidence = the hash of the deadline), once, and marks it PASSED.
// It returns how many it recorded.
func (w *Ledger) RecordPassed(ctx context.Context) (int, error) {
	overdue, err := List(ctx, w.store, "overdue", "", w.now())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range overdue {
		if v.Status != gateway.DeadlineOpen {
			continue
		}
		d := v.Deadline
		if d.Kind == gateway.DeadlineDeregistration {
			// The credit event first: it is recorded once per vehicle (the ledger refuses a
			// second one), so a crash before DEADLINE_PASSED is retried without a duplicate.
			if err := w.recordOverdueCredit(ctx, d); gateway.ErrorCode(err) == gateway.EUNAVAILABLE {
				return n, err
			} else if err != nil {
				w.log.Error("credit event E14 not recorded", "vin", d.VIN, "err", err)
			}
		}
		data, _ := json.Marshal(d)
		sum := sha256.Sum256(data)
		ev, err := w.Ledger.RecordEvent(ctx, gateway.OrgCommerce, gateway.EventInput{VIN: d.VIN, Type: "DEADLINE_PASSED",
			EvidenceHash: "sha256:" + hex.EncodeToString(sum[:]), Actor: "deadlines:" + d.Kind})
		if err != nil {
			if gateway.ErrorCode(err) == gateway.EUNAVAILABLE {
				return n, err
			}
			w.log.Error("DEADLINE_PASSED refused", "kind", d.Kind, "vin", d.VIN, "err", err)
			d.Status, d.Closed = gateway.DeadlinePassed, "refused: "+gateway.ErrorCode(err)
			w.put(ctx, &d)
			continue
		}
		d.Status, d.Closed = gateway.DeadlinePassed, ev.Timestamp
		w.put(ctx, &d)
		n++
	}
	return n, nil
}

// Run records passed deadlines every interval until ctx ends.
func (w *Ledger) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := w.RecordPassed(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("recording passed deadlines failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// WithClock sets the clock (tests).
func (w *Ledger) WithClock(now func() time.Time) *Ledger { w.now = now; return w }

// List lists the watched deadlines (see the package function List).
func (w *Ledger) List(ctx context.Context, state, agency string) ([]View, error) {
	return List(ctx, w.store, state, agency, w.now())
}

// recordOverdueCredit records credit event E14 (deregistration not done within 2 months of
// exit, brief §7.4) against the exporter of the vehicle's latest ACCEPTED filing on its
// trace, automatically, about the VIN, on the day the deadline passed. Already recorded is
// not an error; a vehicle without an accepted filing on its trace has no exporter to charge.
func (w *Ledger) recordOverdueCredit(ctx context.Context, d gateway.Deadline) error {
	uscc := ""
	bookmark := ""
	for {
		p, err := w.Ledger.Trace(ctx, d.VIN, 0, bookmark)
		if err != nil {
			return err
		}
		for _, e := range p.Events {
			if e.Type == "FILED" && e.Decision == gateway.Accepted {
				uscc = e.ExporterUSCC
			}
		}
		if p.NextBookmark == "" {
			break
		}
		bookmark = p.NextBookmark
	}
	if uscc == "" {
		w.log.Warn("deregistration overdue without an accepted filing on the trace", "vin", d.VIN)
		return nil
	}
	_, err := w.Ledger.RecordCreditEvent(ctx, gateway.OrgCommerce, gateway.CreditEventInput{ExporterUSCC: uscc, Code: "E14",
		OccurredAt: d.Due, Source: gateway.CreditAutomatic, Ref: d.VIN, Actor: "deadlines:" + d.Kind})
	if gateway.ErrorCode(err) == gateway.ECONFLICT {
		return nil
	}
	return err
}
