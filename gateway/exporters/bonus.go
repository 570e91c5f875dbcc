package exporters

import (
	"context"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
)

// Automatic bonus B01 (brief §7.4): 12 consecutive months with no active general or worse
// event. An exporter's clean period starts at the latest of its 备案 day, the end of its last
// active general-or-worse event (expiry, or the day its repair was granted; severe events end
// only by repair; revoked events never counted) and its last B01; when 12 months have passed
// since, B01 is recorded dated that day, about the ref "clean-<day>", so that a retry after a
// crash records nothing more (the ledger records an AUTOMATIC event about a ref once) and the
// next B01 needs another 12 clean months.
//
// ASSUMPTION: the clean period needs a full 12 months of history, so an exporter filed less
// than 12 months ago gets no B01; B02 (maintenance-query discipline per quarter) is not
// awarded automatically yet.

// b01Due returns the day B01 is due for the file, and whether it is due by today.
func (s *Service) b01Due(filedAt time.Time, file *gateway.CreditFile, today time.Time) (time.Time, bool) {
	start := filedAt
	repaired := map[string]time.Time{}
	for _, c := range file.Cases {
		if c.Kind == gateway.CaseRepair && c.Decision != nil && c.Decision.Outcome == gateway.OutcomeUpheld {
			repaired[c.EventID] = stampDay(c.Decision.Timestamp)
		}
	}
	for _, e := range file.Events {
		r, ok := s.table.Rules[e.Code]
		if !ok {
			continue
		}
		at := e.OccurredAt.Time()
		var end time.Time
		switch {
		case r.Code == "B01":
			end = at
		case r.Tier == credit.Bonus || r.Tier == credit.Minor || e.Status == string(credit.Revoked):
			continue
		case e.Status == string(credit.Repaired):
			end = repaired[e.ID]
		default:
			_, expires := credit.Schedule(r.Tier, at)
			if expires == nil {
				return time.Time{}, false // a severe event, active until repaired
			}
			end = *expires
		}
		if end.After(start) {
			start = end
		}
	}
	due := start.AddDate(1, 0, 0)
	// Only the latest complete clean year is awarded (a first run does not back-date a B01 for
	// every clean year since 备案).
	for !due.AddDate(1, 0, 0).After(today) {
		due = due.AddDate(1, 0, 0)
	}
	return due, !due.After(today)
}

// AwardB01 records B01 for the exporter when 12 clean months have passed; it reports whether
// it recorded one. Exporters not filed are skipped (false, nil).
func (s *Service) AwardB01(ctx context.Context, uscc string) (bool, error) {
	ex, file, err := s.load(ctx, uscc)
	if ex == nil || err != nil {
		return false, err
	}
	return s.awardB01(ctx, ex, file)
}

// PublishGrade publishes the exporter's grade today on the ledger when it differs from the
// grade published last (or none was), so that the change reaches every agency and the credit
// feed (GRADE_CHANGED); it reports whether it published. Grades change with events and
// decisions, and with time alone (decay, expiry, the end of the NEW period): the service
// publishes after its own writes, the credit worker catches the rest.
func (s *Service) PublishGrade(ctx context.Context, uscc string) (bool, error) {
	ex, file, err := s.load(ctx, uscc)
	if ex == nil || err != nil {
		return false, err
	}
	return s.publishGrade(ctx, ex, file)
}

// load reads a filed exporter and its credit file; (nil, nil, nil) when it is not filed.
func (s *Service) load(ctx context.Context, uscc string) (*gateway.Exporter, *gateway.CreditFile, error) {
	ex, err := s.registry.Exporter(ctx, uscc)
	if gateway.ErrorCode(err) == gateway.ENOTFOUND {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	file, err := s.ledger.CreditFile(ctx, uscc)
	if err != nil {
		return nil, nil, err
	}
	return ex, file, nil
}

func (s *Service) awardB01(ctx context.Context, ex *gateway.Exporter, file *gateway.CreditFile) (bool, error) {
	if !ex.FiledAt.Valid() {
		return false, nil
	}
	due, ok := s.b01Due(ex.FiledAt.Time(), file, s.today())
	if !ok {
		return false, nil
	}
	day := gateway.Date(due.Format(time.DateOnly))
	_, err := s.ledger.RecordCreditEvent(ctx, gateway.OrgCommerce, gateway.CreditEventInput{ExporterUSCC: ex.USCC, Code: "B01",
		OccurredAt: day, Source: gateway.CreditAutomatic, Ref: "clean-" + string(day), Actor: "credit:B01"})
	if gateway.ErrorCode(err) == gateway.ECONFLICT {
		return false, nil
	}
	return err == nil, err
}

func (s *Service) publishGrade(ctx context.Context, ex *gateway.Exporter, file *gateway.CreditFile) (bool, error) {
	today := s.today()
	a := s.assess(s.facts(ex.USCC, ex.FiledAt), file, today)
	if file.Grade != nil && file.Grade.Grade == string(a.Grade) {
		return false, nil
	}
	_, err := s.ledger.PublishGrade(ctx, gateway.PublishedGradeInput{ExporterUSCC: ex.USCC, Grade: string(a.Grade), Score: a.Score,
		ModelVersion: a.ModelVersion, AsOf: date(today)})
	if gateway.ErrorCode(err) == gateway.ECONFLICT {
		return false, nil // another replica published it meanwhile
	}
	return err == nil, err
}

// published publishes the grade after one of the service's own writes; a failure is logged,
// not returned (the write stands; the credit worker publishes at its next round).
func (s *Service) published(ctx context.Context, uscc string) {
	if _, err := s.PublishGrade(ctx, uscc); err != nil {
		s.log.Warn("credit grade not published; the credit worker will retry", "uscc", uscc, "err", err)
	}
}

// RunWorker runs the credit worker until ctx ends: at start and then every interval, for
// each exporter list names, it awards B01 when due and publishes a changed grade, from one
// read of the exporter and its credit file (read again only after an award). Failures are
// logged and retried at the next round.
func (s *Service) RunWorker(ctx context.Context, interval time.Duration, list func(context.Context) ([]string, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		usccs, err := list(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("credit worker: exporters not listed; will retry", "err", err)
		}
		for _, u := range usccs {
			if err := s.workOn(ctx, u); err != nil && ctx.Err() == nil {
				s.log.Warn("credit worker: will retry", "uscc", u, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// workOn is one exporter's round of the credit worker.
func (s *Service) workOn(ctx context.Context, uscc string) error {
	ex, file, err := s.load(ctx, uscc)
	if ex == nil || err != nil {
		return err
	}
	awarded, err := s.awardB01(ctx, ex, file)
	if err != nil {
		return err
	}
	if awarded {
		s.log.Info("credit bonus B01 recorded", "uscc", uscc)
		if file, err = s.ledger.CreditFile(ctx, uscc); err != nil {
			return err
		}
	}
	published, err := s.publishGrade(ctx, ex, file)
	if published {
		s.log.Info("credit grade published", "uscc", uscc)
	}
	return err
}
