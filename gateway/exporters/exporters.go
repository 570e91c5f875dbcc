// Package exporters is the exporter credit service: it records credit events, objections,
// repair applications, decisions and suspensions on the shared ledger, and answers an
// exporter's score, grade, explanation and grade history, assessed by the pure model in
// gateway/credit from the ledger's credit file and the exporter filing registry (备案).
// Time limits (the objection window, repair waiting periods, the review SLA) are checked
// here, in working days of the configured calendar; the ledger keeps the state machine.
package exporters

import (
	"context"
	"log/slog"
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
	calendar credit.Calendar
	now      func() time.Time
	log      *slog.Logger
}

// New returns the service over the ledger and the exporter registry, with the table in force
// and the default working-day calendar (credit.China2026).
func New(ledger gateway.Ledger, registry gateway.ExporterRegistry) *Service {
	return &Service{ledger: ledger, registry: registry, table: credit.Table2026, calendar: credit.China2026, now: time.Now, log: slog.Default()}
}

// WithLogger sets where the service reports what it could not do in the background.
func (s *Service) WithLogger(l *slog.Logger) *Service { s.log = l; return s }

// WithClock replaces the clock (tests).
func (s *Service) WithClock(now func() time.Time) *Service { s.now = now; return s }

// WithCalendar replaces the working-day calendar of the time limits.
func (s *Service) WithCalendar(c credit.Calendar) *Service { s.calendar = c; return s }

// china is the zone the days of the time limits and the model are counted in (UTC+8, no DST).
var china = time.FixedZone("CST", 8*3600)

// today is the current day in China, at midnight UTC (the model's date form).
func (s *Service) today() time.Time { return dayOf(s.now()) }

// dayOf is t's day in China, at midnight UTC.
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(china).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// stampDay is the China day of a ledger timestamp (RFC 3339); the zero time when unreadable.
func stampDay(ts string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}
	}
	return dayOf(t)
}

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
	// ObjectionDeadline: the last day an objection may be filed (15 working days after the
	// event was recorded, the exporter's notification); RepairableFrom: the first day a
	// repair may be applied for (deductions only).
	ObjectionDeadline gateway.Date `json:"objectionDeadline,omitempty"`
	RepairableFrom    gateway.Date `json:"repairableFrom,omitempty"`
}

// Credit is an exporter's credit on a date, with every event that explains it.
type Credit struct {
	USCC  string       `json:"uscc"`
	Name  string       `json:"name"`
	Score int          `json:"score"`
	Grade credit.Grade `json:"grade"`
	New   bool         `json:"new"`
	DHeld bool         `json:"dHeld,omitempty"`
	// Suspended: commerce suspended the exporter (the grade is D whatever the score).
	Suspended bool                    `json:"suspended,omitempty"`
	Status    *gateway.ExporterStatus `json:"status,omitempty"`
	// Published is the grade last published to the agencies on the ledger (GRADE_CHANGED);
	// it trails Grade until the service or the credit worker publishes a change.
	Published    *gateway.PublishedGrade `json:"published,omitempty"`
	ModelVersion string                  `json:"modelVersion"`
	AsOf         gateway.Date            `json:"asOf"`
	Events       []Event                 `json:"events"`
	Cases        []Case                  `json:"cases"`
	History      []HistoryEntry          `json:"history"`
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
	ev, err := s.ledger.RecordCreditEvent(ctx, org, in)
	if err != nil {
		return nil, err
	}
	s.published(ctx, in.ExporterUSCC)
	return ev, nil
}

// Credit assesses an exporter today, with its cases and grade history. ENOTFOUND when the
// exporter is not filed (备案).
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
	file, err := s.ledger.CreditFile(ctx, uscc)
	if err != nil {
		return nil, err
	}
	today := s.today()
	facts := s.facts(uscc, ex.FiledAt)
	a := s.assess(facts, file, today)
	out := &Credit{USCC: uscc, Name: ex.Name, Score: a.Score, Grade: a.Grade, New: a.New, DHeld: a.DHeld,
		Suspended: suspended(file), Status: file.Status, Published: file.Grade, ModelVersion: a.ModelVersion,
		AsOf: gateway.Date(today.Format(time.DateOnly)), Events: make([]Event, 0, len(file.Events)),
		Cases: s.cases(file, today), History: s.history(facts, file, today)}
	byID := make(map[string]gateway.CreditEvent, len(file.Events))
	for _, e := range file.Events {
		byID[e.ID] = e
	}
	lastRepair := lastRepair(file)
	for _, it := range a.Items {
		r := s.table.Rules[it.Code]
		ev := byID[it.EventID]
		out.Events = append(out.Events, Event{CreditEvent: ev, NameZh: r.NameZh, NameEn: r.NameEn, Tier: it.Tier,
			Points: it.Points, Weight: it.Weight, Factor: it.Factor, DecaysAt: it.DecaysAt, ExpiresAt: it.ExpiresAt,
			DirectD: it.DirectD, Capped: it.Capped, ObjectionDeadline: s.objectionDeadline(ev), RepairableFrom: s.repairableFrom(ev, lastRepair)})
	}
	return out, nil
}

// Grade implements gateway.CreditSource: the exporter's grade today from its credit file; D
// while commerce has it suspended.
func (s *Service) Grade(ctx context.Context, uscc string, filedAt gateway.Date) (string, error) {
	file, err := s.ledger.CreditFile(ctx, uscc)
	if err != nil {
		return "", err
	}
	return string(s.assess(s.facts(uscc, filedAt), file, s.today()).Grade), nil
}

func (s *Service) facts(uscc string, filedAt gateway.Date) credit.Exporter {
	facts := credit.Exporter{USCC: uscc}
	if filedAt.Valid() {
		facts.FirstFiledAt = filedAt.Time()
	}
	return facts
}

// assess is the model's assessment of the file today; a suspension makes the grade D.
func (s *Service) assess(facts credit.Exporter, file *gateway.CreditFile, today time.Time) credit.Assessment {
	a := credit.Assess(s.table, facts, modelEvents(file.Events), today)
	if suspended(file) {
		a.Grade, a.DHeld = credit.GradeD, false
	}
	return a
}

func suspended(file *gateway.CreditFile) bool {
	return file.Status != nil && file.Status.Status == gateway.ExporterSuspended
}

// modelEvents converts ledger events to the model's, with their statuses and points now.
func modelEvents(events []gateway.CreditEvent) []credit.Event {
	out := make([]credit.Event, len(events))
	for i, e := range events {
		out[i] = modelEvent(e, e.Status, e.Points)
	}
	return out
}

func modelEvent(e gateway.CreditEvent, status string, points int) credit.Event {
	me := credit.Event{ID: e.ID, Code: e.Code, OccurredAt: e.OccurredAt.Time(), Status: credit.Status(status)}
	if points > 0 {
		p := points
		me.Points = &p
	}
	return me
}

// Codes returns the event table in force (for reviewers and exporters).
func (s *Service) Codes() credit.Table { return s.table }
