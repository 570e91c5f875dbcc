package exporters

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
)

// TestB01Due: B01 is due 12 months after the exporter's clean period began — its 备案, the end
// of its last active general-or-worse event, or its last B01 — and only the latest clean year
// is awarded.
func TestB01Due(t *testing.T) {
	s := &Service{table: credit.Table2026}
	day := func(d string) time.Time { return gateway.Date(d).Time() }
	today := day("2026-11-26")
	ev := func(code, at, status string) gateway.CreditEvent {
		return gateway.CreditEvent{ID: "x-" + code + at, Code: code, OccurredAt: gateway.Date(at), Status: status, Timestamp: at + "T00:00:00Z"}
	}
	for name, tc := range map[string]struct {
		filed  string
		events []gateway.CreditEvent
		cases  []gateway.CreditCase
		due    string
		ok     bool
	}{
		"filed 2024, clean":                 {"2024-05-20", nil, nil, "2026-05-20", true},
		"filed 8 months ago":                {"2026-03-20", nil, nil, "2027-03-20", false},
		"a talk a year ago expired 2026-10": {"2024-05-20", []gateway.CreditEvent{ev("E12", "2025-10-01", "ACTIVE")}, nil, "2027-10-01", false},
		"a minor event does not count":      {"2024-05-20", []gateway.CreditEvent{ev("E16", "2026-10-01", "ACTIVE")}, nil, "2026-05-20", true},
		"a revoked order does not count":    {"2024-05-20", []gateway.CreditEvent{ev("E07", "2026-01-01", "REVOKED")}, nil, "2026-05-20", true},
		"last B01 within a year":            {"2024-05-20", []gateway.CreditEvent{ev("B01", "2026-05-20", "ACTIVE")}, nil, "2027-05-20", false},
		"a severe event, never clean":       {"2020-01-01", []gateway.CreditEvent{ev("E01", "2021-01-01", "ACTIVE")}, nil, "", false},
		"a severe event repaired 2025-06-01": {"2020-01-01", []gateway.CreditEvent{ev("E01", "2021-01-01", "REPAIRED")},
			[]gateway.CreditCase{{Kind: gateway.CaseRepair, EventID: "x-E012021-01-01", Decision: &gateway.CaseDecision{Outcome: gateway.OutcomeUpheld, Timestamp: "2025-06-01T02:00:00Z"}}},
			"2026-06-01", true},
	} {
		due, ok := s.b01Due(day(tc.filed), &gateway.CreditFile{Events: tc.events, Cases: tc.cases}, today)
		assert.Equal(t, tc.ok, ok, name)
		if tc.due != "" {
			assert.Equal(t, tc.due, due.Format(time.DateOnly), name)
		}
	}
}
