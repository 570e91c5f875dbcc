package exporters

import (
	"context"
	"slices"
	"strings"
)

// CaseQuery selects cases for the review queue (GET /v1/credit/cases).
type CaseQuery struct {
	Status  string // OPEN (default) or DECIDED
	Kind    string // OBJECTION, REPAIR or "" (both)
	Overdue bool   // only open cases past their review time limit
	Limit   int    // default DefaultListLimit, at most MaxListLimit
}

// QueueCase is a case in the review queue, with its exporter's name.
type QueueCase struct {
	Case
	ExporterName string `json:"exporterName"`
}

// CaseQueue is one answer of the review queue.
type CaseQueue struct {
	Cases []QueueCase `json:"cases"`
	// Total counts every matching case; Cases holds the first Limit of them.
	Total int `json:"total"`
}

// Queue answers commerce's review queue: the cases of every exporter of the filing registry,
// open ones by review due date (the most urgent first), decided ones latest decision first.
// There is no cursor: the open cases are few, and an exporter's whole case history is in its
// credit (GET /v1/exporters/{uscc}/credit). Cost: as List, one ledger read per exporter.
// Errors: EINVALID naming the parameter; EUNAVAILABLE.
func (s *Service) Queue(ctx context.Context, q CaseQuery) (*CaseQueue, error) {
	if q.Status == "" {
		q.Status = "OPEN"
	}
	switch {
	case q.Status != "OPEN" && q.Status != "DECIDED":
		return nil, invalidParam("status", "status must be OPEN or DECIDED", "status 应为 OPEN 或 DECIDED")
	case q.Kind != "" && q.Kind != "OBJECTION" && q.Kind != "REPAIR":
		return nil, invalidParam("kind", "kind must be OBJECTION or REPAIR", "kind 应为 OBJECTION 或 REPAIR")
	case q.Overdue && q.Status != "OPEN":
		return nil, invalidParam("overdue", "overdue applies to OPEN cases only", "overdue 仅适用于 OPEN 状态的案件")
	case q.Limit < 0 || q.Limit > MaxListLimit:
		return nil, LimitError()
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultListLimit
	}
	all, err := s.registry.Exporters(ctx)
	if err != nil {
		return nil, err
	}
	today := s.today()
	found := make([][]QueueCase, len(all))
	err = forEach(ctx, len(all), func(ctx context.Context, i int) error {
		ex := all[i]
		if checkUSCC(ex.USCC, "") != nil {
			return nil
		}
		file, err := s.ledger.CreditFile(ctx, ex.USCC)
		if err != nil {
			return err
		}
		for _, c := range s.cases(file, today) {
			if c.Status == q.Status && (q.Kind == "" || c.Kind == q.Kind) && (!q.Overdue || c.Overdue) {
				found[i] = append(found[i], QueueCase{Case: c, ExporterName: ex.Name})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &CaseQueue{Cases: []QueueCase{}}
	for _, f := range found {
		out.Cases = append(out.Cases, f...)
	}
	slices.SortFunc(out.Cases, func(a, b QueueCase) int {
		if q.Status == "OPEN" {
			if c := strings.Compare(string(a.DueAt), string(b.DueAt)); c != 0 {
				return c
			}
		} else if c := strings.Compare(b.Decision.Timestamp, a.Decision.Timestamp); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out.Total = len(out.Cases)
	out.Cases = out.Cases[:min(limit, len(out.Cases))]
	return out, nil
}
