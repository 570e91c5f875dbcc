package exporters

import (
	"context"
	"strings"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
)

// Time limits in working days (brief §7.4; ASSUMPTION, after tax-credit re-evaluation
// practice): an exporter objects within 15 working days of being notified of an event (the
// day the event is recorded on the ledger, which is when UCX shows it); commerce decides an
// objection or a repair within 15 working days of its filing, extendable once by 15 with a
// reason.
const (
	ObjectionWindowDays = 15
	ReviewDays          = 15
	ExtensionDays       = 15
)

// ETIMELIMIT: an objection after its window, or a repair before its waiting period ends.
const ETIMELIMIT = "CREDIT_TIME_LIMIT"

// Case is a credit case with its review time limit.
type Case struct {
	gateway.CreditCase
	// DueAt: the last working day of the review (15 working days after filing, 30 when
	// extended); Overdue: still open after it.
	DueAt   gateway.Date `json:"dueAt"`
	Overdue bool         `json:"overdue,omitempty"`
}

// objectionDeadline is the last day to object to e ("" for bonuses).
func (s *Service) objectionDeadline(e gateway.CreditEvent) gateway.Date {
	if r, ok := s.table.Rules[e.Code]; !ok || r.Tier == credit.Bonus {
		return ""
	}
	return date(s.calendar.AddWorkingDays(stampDay(e.Timestamp), ObjectionWindowDays))
}

// repairableFrom is the first day a repair of e may be applied for ("" for bonuses).
func (s *Service) repairableFrom(e gateway.CreditEvent, lastRepair *time.Time) gateway.Date {
	from, ok := credit.RepairableFrom(s.table, credit.Event{Code: e.Code, OccurredAt: e.OccurredAt.Time()}, lastRepair)
	if !ok {
		return ""
	}
	return date(from)
}

// lastRepair is the day of the exporter's latest granted repair, if any.
func lastRepair(file *gateway.CreditFile) *time.Time {
	var last *time.Time
	for _, c := range file.Cases {
		if c.Kind == gateway.CaseRepair && c.Decision != nil && c.Decision.Outcome == gateway.OutcomeUpheld {
			if d := stampDay(c.Decision.Timestamp); last == nil || d.After(*last) {
				last = &d
			}
		}
	}
	return last
}

func date(t time.Time) gateway.Date { return gateway.Date(t.Format(time.DateOnly)) }

// cases are the file's cases with their review time limits as of today.
func (s *Service) cases(file *gateway.CreditFile, today time.Time) []Case {
	out := make([]Case, 0, len(file.Cases))
	for _, c := range file.Cases {
		due := s.calendar.AddWorkingDays(stampDay(c.Timestamp), ReviewDays)
		if c.Extension != nil {
			due = s.calendar.AddWorkingDays(due, ExtensionDays)
		}
		out = append(out, Case{CreditCase: c, DueAt: date(due), Overdue: c.Status == gateway.CaseOpen && today.After(due)})
	}
	return out
}

// FileCase files an exporter's objection to one of its credit events (within the objection
// window) or its application to repair one (after the waiting period, with a credit
// commitment). Errors: EINVALID, ENOTFOUND (exporter not filed, or no such event of this
// exporter), CREDIT_TIME_LIMIT, ECONFLICT (a case about the event is open, or its status
// does not allow the case).
func (s *Service) FileCase(ctx context.Context, uscc string, in gateway.CreditCaseInput) (*Case, error) {
	if err := checkUSCC(uscc, "uscc"); err != nil {
		return nil, err
	}
	if in.Kind != gateway.CaseObjection && in.Kind != gateway.CaseRepair {
		return nil, gateway.Errorf(gateway.EINVALID, "kind must be OBJECTION or REPAIR", "kind 应为 OBJECTION（异议）或 REPAIR（信用修复）").
			WithDetails(gateway.Detail{Pointer: "/kind", Code: "SCHEMA_ENUM", Message: "OBJECTION or REPAIR", MessageZh: "OBJECTION 或 REPAIR"})
	}
	if _, err := s.registry.Exporter(ctx, uscc); err != nil {
		return nil, err
	}
	file, err := s.ledger.CreditFile(ctx, uscc)
	if err != nil {
		return nil, err
	}
	var ev *gateway.CreditEvent
	for i := range file.Events {
		if file.Events[i].ID == in.EventID {
			ev = &file.Events[i]
		}
	}
	if ev == nil || !strings.HasPrefix(in.EventID, uscc+"-") {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "exporter %s has no credit event %q", "企业 %s 没有信用事件 %q", uscc, in.EventID).
			WithDetails(gateway.Detail{Pointer: "/eventId", Code: gateway.ENOTFOUND, Message: "no such credit event of this exporter", MessageZh: "该企业无此信用事件"})
	}
	today := s.today()
	if in.Kind == gateway.CaseObjection {
		if last := s.objectionDeadline(*ev); last != "" && today.After(last.Time()) {
			return nil, gateway.Errorf(ETIMELIMIT, "the objection window for %s closed on %s (15 working days after notification)",
				"信用事件 %s 的异议期已于 %s 届满（通知后 15 个工作日）", ev.ID, last).
				WithDetails(gateway.Detail{Pointer: "/eventId", Code: ETIMELIMIT, Message: "objection window closed", MessageZh: "异议期已届满"})
		}
	} else if from := s.repairableFrom(*ev, lastRepair(file)); from != "" && today.Before(from.Time()) {
		return nil, gateway.Errorf(ETIMELIMIT, "%s may be repaired from %s (minimum period of its tier)",
			"信用事件 %s 自 %s 起方可申请信用修复（最短公示期）", ev.ID, from).
			WithDetails(gateway.Detail{Pointer: "/eventId", Code: ETIMELIMIT, Message: "repair waiting period not over", MessageZh: "修复最短期限未满"})
	}
	c, err := s.ledger.FileCreditCase(ctx, in)
	if err != nil {
		return nil, err
	}
	s.published(ctx, uscc) // an objection can hold a D
	return s.withDue(*c), nil
}

// ExtendCase extends an open case's review time limit once, with a reason.
func (s *Service) ExtendCase(ctx context.Context, in gateway.CaseExtensionInput) (*Case, error) {
	c, err := s.ledger.ExtendCreditCase(ctx, in)
	if err != nil {
		return nil, err
	}
	return s.withDue(*c), nil
}

// DecideCase records commerce's decision on an open case.
func (s *Service) DecideCase(ctx context.Context, in gateway.CaseDecisionInput) (*Case, error) {
	c, err := s.ledger.DecideCreditCase(ctx, in)
	if err != nil {
		return nil, err
	}
	s.published(ctx, c.ExporterUSCC)
	return s.withDue(*c), nil
}

func (s *Service) withDue(c gateway.CreditCase) *Case {
	out := s.cases(&gateway.CreditFile{Cases: []gateway.CreditCase{c}}, s.today())
	return &out[0]
}

// SetStatus suspends or reinstates a filed exporter, with a reason and evidence.
func (s *Service) SetStatus(ctx context.Context, in gateway.ExporterStatusInput) (*gateway.ExporterStatus, error) {
	if err := checkUSCC(in.ExporterUSCC, "uscc"); err != nil {
		return nil, err
	}
	if _, err := s.registry.Exporter(ctx, in.ExporterUSCC); err != nil {
		return nil, err
	}
	st, err := s.ledger.SetExporterStatus(ctx, in)
	if err != nil {
		return nil, err
	}
	s.published(ctx, in.ExporterUSCC)
	return st, nil
}
