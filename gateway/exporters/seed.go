package exporters

import (
	"context"
	"fmt"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/decode"
)

// Seed is a credit history file (fixtures/credit/histories.json): for each exporter, the
// credit events to record at start (exportgw --credit-seed), each by its recorder
// organisation, as MANUAL events with their evidence hashes.
type Seed struct {
	// About says what the file is, for whoever opens it.
	About     string         `json:"about,omitempty"`
	Exporters []SeedExporter `json:"exporters"`
}

// SeedExporter is one exporter's history. Name is for the reader (the registry's name is the
// one shown); Expect states the credit the history gives on the day it is recorded, which
// the fixture test checks.
type SeedExporter struct {
	USCC     string      `json:"uscc"`
	Name     string      `json:"name"`
	Scenario string      `json:"scenario,omitempty"`
	Expect   *SeedExpect `json:"expect,omitempty"`
	Events   []SeedEvent `json:"events"`
}

// SeedExpect is the credit a history gives on the day it is recorded.
type SeedExpect struct {
	Grade credit.Grade `json:"grade"`
	Score *int         `json:"score,omitempty"`
	New   bool         `json:"new"`
	// Capped lists codes whose cap (credit.Rule.Cap) limits the weight today.
	Capped []string `json:"capped,omitempty"`
	// DHeld: the grade would be D only because of disputed events (held at C).
	DHeld bool `json:"dHeld,omitempty"`
}

// SeedEvent is one credit event of a history. Exactly one of DaysAgo and OccurredAt dates
// it: DaysAgo counts days before the day the seed is recorded (in China, as the model counts
// days), so that decay, expiry and the grades are the same whenever a fresh ledger is
// seeded; OccurredAt is a fixed date (for real records, which age like any other event).
type SeedEvent struct {
	Code         string       `json:"code"`
	DaysAgo      *int         `json:"daysAgo,omitempty"`
	OccurredAt   gateway.Date `json:"occurredAt,omitempty"`
	Org          string       `json:"org"`
	EvidenceHash string       `json:"evidenceHash"`
	Ref          string       `json:"ref,omitempty"`
	Actor        string       `json:"actor"`
	// Note describes the event for the reader; it is not recorded.
	Note string `json:"note,omitempty"`
	// Case, when set, is the exporter's objection to the event or its repair application,
	// filed after the event is recorded, and decided when Decision is set.
	Case *SeedCase `json:"case,omitempty"`
}

// SeedCase is an objection or repair application of a history, with commerce's decision.
// Seeding files it through the ledger directly: the time limits are the gateway's rule for
// live cases, and a history reproduces cases already decided.
type SeedCase struct {
	Kind           string        `json:"kind"`
	EvidenceHash   string        `json:"evidenceHash"`
	CommitmentHash string        `json:"commitmentHash,omitempty"`
	Actor          string        `json:"actor"`
	Decision       *SeedDecision `json:"decision,omitempty"`
}

// SeedDecision is commerce's decision on a seeded case.
type SeedDecision struct {
	Outcome      string `json:"outcome"`
	Points       int    `json:"points,omitempty"`
	Reviewer     string `json:"reviewer"`
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
}

// maxSeedDaysAgo bounds DaysAgo: ten years is older than any event that still weighs.
const maxSeedDaysAgo = 3650

// ParseSeed decodes and checks a credit history file as a whole, so that a bad file is
// refused before anything is recorded. Errors: the strict decoder's codes, or EINVALID with
// the JSON pointer of the bad member.
func ParseSeed(data []byte, tab credit.Table) (*Seed, error) {
	var s Seed
	if err := decode.Strict(data, &s); err != nil {
		return nil, err
	}
	bad := func(pointer, en, zh string, args ...any) error {
		return gateway.Errorf(gateway.EINVALID, "credit history file: %s: "+en, "信用历史文件：%s："+zh, append([]any{pointer}, args...)...).
			WithDetails(gateway.Detail{Pointer: pointer, Code: gateway.EINVALID, Message: fmt.Sprintf(en, args...), MessageZh: fmt.Sprintf(zh, args...)})
	}
	seen := map[string]bool{}
	for i, ex := range s.Exporters {
		at := fmt.Sprintf("/exporters/%d", i)
		if err := checkUSCC(ex.USCC, at+"/uscc"); err != nil {
			return nil, err
		}
		if seen[ex.USCC] {
			return nil, bad(at+"/uscc", "exporter %s appears twice", "出口企业 %s 重复出现", ex.USCC)
		}
		seen[ex.USCC] = true
		if e := ex.Expect; e != nil {
			switch e.Grade {
			case credit.GradeA, credit.GradeB, credit.GradeC, credit.GradeD:
			default:
				return nil, bad(at+"/expect/grade", "grade must be A, B, C or D", "等级应为 A、B、C 或 D")
			}
			for j, c := range e.Capped {
				if tab.Rules[c].Cap == 0 {
					return nil, bad(fmt.Sprintf("%s/expect/capped/%d", at, j), "%s is not a capped code", "%s 不是有封顶的代码", c)
				}
			}
		}
		for j, ev := range ex.Events {
			eat := fmt.Sprintf("%s/events/%d", at, j)
			r, ok := tab.Rules[ev.Code]
			if !ok {
				return nil, bad(eat+"/code", "unknown credit event code %q", "未知信用事件代码 %q", ev.Code)
			}
			if ev.Org != r.Recorder {
				return nil, bad(eat+"/org", "%s is recorded by %s, not %q", "%s 应由 %s 记录，而非 %q", ev.Code, r.Recorder, ev.Org)
			}
			switch {
			case (ev.DaysAgo == nil) == (ev.OccurredAt == ""):
				return nil, bad(eat, "give exactly one of daysAgo and occurredAt", "daysAgo 与 occurredAt 须且只须给出其一")
			case ev.DaysAgo != nil && (*ev.DaysAgo < 0 || *ev.DaysAgo > maxSeedDaysAgo):
				return nil, bad(eat+"/daysAgo", "daysAgo must be 0–%d", "daysAgo 应为 0 至 %d", maxSeedDaysAgo)
			case ev.OccurredAt != "" && !ev.OccurredAt.Valid():
				return nil, bad(eat+"/occurredAt", "occurredAt must be a date YYYY-MM-DD", "occurredAt 应为日期 YYYY-MM-DD")
			}
			if !isSHA256(ev.EvidenceHash) {
				return nil, bad(eat+"/evidenceHash", "evidenceHash must be sha256:<64 lowercase hex>", "evidenceHash 应为 sha256:<64位小写十六进制>")
			}
			if !gateway.PrintableID(ev.Actor, 128) {
				return nil, bad(eat+"/actor", "actor must be 1–128 printable ASCII characters without spaces", "actor 应为 1 至 128 个不含空格的可打印 ASCII 字符")
			}
			if c := ev.Case; c != nil {
				cat := eat + "/case"
				switch {
				case c.Kind != gateway.CaseObjection && c.Kind != gateway.CaseRepair:
					return nil, bad(cat+"/kind", "kind must be OBJECTION or REPAIR", "kind 应为 OBJECTION 或 REPAIR")
				case !isSHA256(c.EvidenceHash):
					return nil, bad(cat+"/evidenceHash", "evidenceHash must be sha256:<64 lowercase hex>", "evidenceHash 应为 sha256:<64位小写十六进制>")
				case c.Kind == gateway.CaseRepair && !isSHA256(c.CommitmentHash):
					return nil, bad(cat+"/commitmentHash", "a repair needs the credit commitment's hash", "信用修复须提供信用承诺哈希")
				case !gateway.PrintableID(c.Actor, 128):
					return nil, bad(cat+"/actor", "actor must be 1–128 printable ASCII characters without spaces", "actor 应为 1 至 128 个不含空格的可打印 ASCII 字符")
				case r.Tier == credit.Bonus:
					return nil, bad(cat, "%s is a bonus: no objection or repair", "%s 为加分项，不可异议或修复", ev.Code)
				}
				if d := c.Decision; d != nil {
					switch {
					case d.Outcome != gateway.OutcomeUpheld && d.Outcome != gateway.OutcomePartial && d.Outcome != gateway.OutcomeRejected:
						return nil, bad(cat+"/decision/outcome", "outcome must be UPHELD, PARTIAL or REJECTED", "outcome 应为 UPHELD、PARTIAL 或 REJECTED")
					case !isSHA256(d.EvidenceHash):
						return nil, bad(cat+"/decision/evidenceHash", "evidenceHash must be sha256:<64 lowercase hex>", "evidenceHash 应为 sha256:<64位小写十六进制>")
					case !gateway.PrintableID(d.Reviewer, 128):
						return nil, bad(cat+"/decision/reviewer", "reviewer must be 1–128 printable ASCII characters without spaces", "reviewer 应为 1 至 128 个不含空格的可打印 ASCII 字符")
					case d.Reason == "":
						return nil, bad(cat+"/decision/reason", "a decision needs its reason", "决定须说明理由")
					}
				}
			}
		}
	}
	return &s, nil
}

func isSHA256(s string) bool {
	const pfx = "sha256:"
	if len(s) != len(pfx)+64 || s[:len(pfx)] != pfx {
		return false
	}
	for _, c := range []byte(s[len(pfx):]) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// SeedResult counts what Seed did.
type SeedResult struct {
	Seeded  int `json:"seeded"`  // exporters whose history was recorded (or completed)
	Skipped int `json:"skipped"` // exporters that already had their own credit events
	Events  int `json:"events"`  // events recorded
}

// Seed records the histories of s on the ledger, each event by its recorder organisation as
// a MANUAL event with its evidence hash, DaysAgo counted back from today (the service's
// clock, the day in China). It is idempotent: an exporter that already has credit events is skipped —
// unless those events are exactly the first events of its history (a start interrupted
// mid-history), which are then completed. Every exporter must be in the filing registry
// (ENOTFOUND otherwise, before anything is recorded); ledger errors stop the seeding.
func (s *Service) Seed(ctx context.Context, seed *Seed) (SeedResult, error) {
	var res SeedResult
	for _, ex := range seed.Exporters {
		if _, err := s.registry.Exporter(ctx, ex.USCC); err != nil {
			return res, fmt.Errorf("credit seed: exporter %s: %w", ex.USCC, err)
		}
	}
	today := s.today()
	for _, ex := range seed.Exporters {
		file, err := s.ledger.CreditFile(ctx, ex.USCC)
		if err != nil {
			return res, fmt.Errorf("credit seed: exporter %s: %w", ex.USCC, err)
		}
		have := file.Events
		if !seededPrefix(have, ex.Events) {
			res.Skipped++
			continue
		}
		complete := len(have) == len(ex.Events) && len(have) > 0
		for _, ev := range ex.Events[len(have):] {
			day := ev.OccurredAt
			if ev.DaysAgo != nil {
				day = gateway.Date(today.AddDate(0, 0, -*ev.DaysAgo).Format(time.DateOnly))
			}
			_, err := s.Record(ctx, ev.Org, gateway.CreditEventInput{ExporterUSCC: ex.USCC, Code: ev.Code, OccurredAt: day,
				Source: gateway.CreditManual, EvidenceHash: ev.EvidenceHash, Ref: ev.Ref, Actor: ev.Actor})
			if err != nil {
				return res, fmt.Errorf("credit seed: exporter %s, event %s of %s: %w", ex.USCC, ev.Code, day, err)
			}
			res.Events++
		}
		cases, err := s.seedCases(ctx, ex)
		if err != nil {
			return res, err
		}
		if complete && cases == 0 {
			res.Skipped++ // seeded on an earlier start
			continue
		}
		res.Seeded++
	}
	return res, nil
}

// seedCases files and decides the cases of a seeded history that the ledger does not hold
// yet (a start interrupted between an event and its case completes it); it returns how many
// ledger writes it made.
func (s *Service) seedCases(ctx context.Context, ex SeedExporter) (int, error) {
	file, err := s.ledger.CreditFile(ctx, ex.USCC)
	if err != nil {
		return 0, fmt.Errorf("credit seed: exporter %s: %w", ex.USCC, err)
	}
	writes := 0
	for i, ev := range ex.Events {
		sc := ev.Case
		if sc == nil || i >= len(file.Events) {
			continue
		}
		id := file.Events[i].ID
		var cs *gateway.CreditCase
		for j := range file.Cases {
			if file.Cases[j].EventID == id {
				cs = &file.Cases[j]
			}
		}
		if cs == nil {
			cs, err = s.ledger.FileCreditCase(ctx, gateway.CreditCaseInput{Kind: sc.Kind, EventID: id, EvidenceHash: sc.EvidenceHash,
				CommitmentHash: sc.CommitmentHash, Actor: sc.Actor})
			if err != nil {
				return writes, fmt.Errorf("credit seed: exporter %s, case about %s: %w", ex.USCC, id, err)
			}
			writes++
		}
		if d := sc.Decision; d != nil && cs.Status == gateway.CaseOpen {
			if _, err := s.ledger.DecideCreditCase(ctx, gateway.CaseDecisionInput{CaseID: cs.ID, Outcome: d.Outcome, Points: d.Points,
				Reviewer: d.Reviewer, Reason: d.Reason, EvidenceHash: d.EvidenceHash}); err != nil {
				return writes, fmt.Errorf("credit seed: exporter %s, decision on %s: %w", ex.USCC, cs.ID, err)
			}
			writes++
		}
	}
	return writes, nil
}

// seededPrefix reports whether the exporter's events on the ledger are the first events of
// its seed history (none at all included): same codes and evidence, MANUAL, in order.
func seededPrefix(have []gateway.CreditEvent, history []SeedEvent) bool {
	if len(have) > len(history) {
		return false
	}
	for i, e := range have {
		if e.Source != gateway.CreditManual || e.Code != history[i].Code || e.EvidenceHash != history[i].EvidenceHash {
			return false
		}
	}
	return true
}
