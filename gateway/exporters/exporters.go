// Package exporters is the exporter credit service: it records credit events on the shared
// ledger and answers an exporter's score, grade and explanation, assessed by the pure model
// in gateway/credit from the ledger's events and the exporter filing registry (备案).
package exporters

import (
	"context"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/identity"
)

// Service records and assesses exporter credit.
type Service struct {
	ledger   gateway.Ledger
	registry gateway.ExporterRegistry
	table    credit.Table
	now      func() time.Time
}

// New returns the service over the ledger and the exporter registry, with the table in force.
func New(ledger gateway.Ledger, registry gateway.ExporterRegistry) *Service {
	return &Service{ledger: ledger, registry: registry, table: credit.Table2026, now: time.Now}
}

// WithClock replaces the clock (tests).
func (s *Service) WithClock(now func() time.Time) *Service { s.now = now; return s }

// Event is a credit event with its rule and its weight on the as-of date.
type Event struct {
	gateway.CreditEvent
	NameZh string      `json:"nameZh"`
	NameEn string      `json:"nameEn"`
	Tier   credit.Tier `json:"tier"`
	// Points: the rule's points; Weight: what they count today (negative for deductions).
	Points    int        `json:"points"`
	Weight    float64    `json:"weight"`
	Factor    float64    `json:"factor"`
	DecaysAt  *time.Time `json:"decaysAt,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	DirectD   bool       `json:"directD,omitempty"`
	Capped    bool       `json:"capped,omitempty"`
}

// Credit is an exporter's credit on a date, with every event that explains it.
type Credit struct {
	USCC         string       `json:"uscc"`
	Name         string       `json:"name"`
	Score        int          `json:"score"`
	Grade        credit.Grade `json:"grade"`
	New          bool         `json:"new"`
	DHeld        bool         `json:"dHeld,omitempty"`
	ModelVersion string       `json:"modelVersion"`
	AsOf         gateway.Date `json:"asOf"`
	Events       []Event      `json:"events"`
}

// checkUSCC refuses a malformed USCC before any look-up (a wrong check character is only a
// warning in GB 32100 parsing, as in the filing rules: the registry decides whether it is filed).
func checkUSCC(uscc, pointer string) error {
	if u := identity.ParseUSCC(uscc); !u.Valid || u.Normalized != uscc {
		return gateway.Errorf(gateway.EINVALID, "%q is not a valid unified social credit code", "%q 不是有效的统一社会信用代码", uscc).
			WithDetails(gateway.Detail{Pointer: pointer, Code: gateway.EINVALID, Message: "invalid USCC (GB 32100)", MessageZh: "统一社会信用代码无效（GB 32100）"})
	}
	return nil
}

// Record records a credit event as org. The exporter must be in the filing registry; the
// ledger checks the code, the recording organisation, the evidence and the date.
func (s *Service) Record(ctx context.Context, org string, in gateway.CreditEventInput) (*gateway.CreditEvent, error) {
	if err := checkUSCC(in.ExporterUSCC, "/exporterUscc"); err != nil {
		return nil, err
	}
	if _, ok := s.table.Rules[in.Code]; !ok {
		return nil, gateway.Errorf(gateway.EINVALID, "unknown credit event code %q", "未知信用事件代码 %q", in.Code).
			WithDetails(gateway.Detail{Pointer: "/code", Code: "SCHEMA_ENUM", Message: "see GET /v1/credit/codes", MessageZh: "见 GET /v1/credit/codes"})
	}
	if !in.OccurredAt.Valid() {
		return nil, gateway.Errorf(gateway.EINVALID, "occurredAt must be a date YYYY-MM-DD", "occurredAt 应为日期 YYYY-MM-DD").
			WithDetails(gateway.Detail{Pointer: "/occurredAt", Code: "SCHEMA_FORMAT", Message: "not a date", MessageZh: "不是日期"})
	}
	if _, err := s.registry.Exporter(ctx, in.ExporterUSCC); err != nil {
		return nil, err
	}
	return s.ledger.RecordCreditEvent(ctx, org, in)
}

// Credit assesses an exporter today. ENOTFOUND when the exporter is not filed (备案).
// ASSUMPTION: the NEW rule counts from the registry's filing date (备案日期); licence lines are
// not counted yet, so a new exporter stays NEW for its first 6 months.
func (s *Service) Credit(ctx context.Context, uscc string) (*Credit, error) {
	if err := checkUSCC(uscc, "uscc"); err != nil {
		return nil, err
	}
	ex, err := s.registry.Exporter(ctx, uscc)
	if err != nil {
		return nil, err
	}
	events, err := s.ledger.CreditEvents(ctx, uscc)
	if err != nil {
		return nil, err
	}
	a := s.assess(uscc, ex.FiledAt, events)
	out := &Credit{USCC: uscc, Name: ex.Name, Score: a.Score, Grade: a.Grade, New: a.New, DHeld: a.DHeld,
		ModelVersion: a.ModelVersion, AsOf: gateway.Date(a.AsOf.Format(time.DateOnly)), Events: make([]Event, 0, len(events))}
	byID := make(map[string]gateway.CreditEvent, len(events))
	for _, e := range events {
		byID[e.ID] = e
	}
	for _, it := range a.Items {
		r := s.table.Rules[it.Code]
		out.Events = append(out.Events, Event{CreditEvent: byID[it.EventID], NameZh: r.NameZh, NameEn: r.NameEn, Tier: it.Tier,
			Points: it.Points, Weight: it.Weight, Factor: it.Factor, DecaysAt: it.DecaysAt, ExpiresAt: it.ExpiresAt,
			DirectD: it.DirectD, Capped: it.Capped})
	}
	return out, nil
}

// Grade implements gateway.CreditSource: the exporter's grade today from its credit events.
func (s *Service) Grade(ctx context.Context, uscc string, filedAt gateway.Date) (string, error) {
	events, err := s.ledger.CreditEvents(ctx, uscc)
	if err != nil {
		return "", err
	}
	return string(s.assess(uscc, filedAt, events).Grade), nil
}

func (s *Service) assess(uscc string, filedAt gateway.Date, events []gateway.CreditEvent) credit.Assessment {
	model := make([]credit.Event, len(events))
	for i, e := range events {
		model[i] = credit.Event{ID: e.ID, Code: e.Code, OccurredAt: e.OccurredAt.Time(), Status: credit.Status(e.Status)}
	}
	facts := credit.Exporter{USCC: uscc}
	if filedAt.Valid() {
		facts.FirstFiledAt = filedAt.Time()
	}
	return credit.Assess(s.table, facts, model, s.now().UTC().Truncate(24*time.Hour))
}

// Codes returns the event table in force (for reviewers and exporters).
func (s *Service) Codes() credit.Table { return s.table }
