// Package compliance is the rules engine of the filing check: versioned rulesets of coded rules,
// each a pure function of the filing, its identity checks, the agency look-ups and the
// application date. It performs no I/O.
package compliance

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/identity"
)

// Config holds the tunable limits of the rules. The zero value is not useful: use DefaultConfig.
type Config struct {
	// ReportMaxAgeDays is how many days before the application date an inspection report may
	// have been issued (brief R-L-09 ASSUMPTION: 90).
	ReportMaxAgeDays int
	// FutureToleranceDays is how far past today an application date may lie (time zones).
	FutureToleranceDays int
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config { return Config{ReportMaxAgeDays: 90, FutureToleranceDays: 1} }

// Input is everything a ruleset looks at. Look-up fields are nil when the look-up was not made
// (for example because the VIN is malformed); the matching *Err field holds a look-up failure.
type Input struct {
	Filing *gateway.Filing
	VIN    identity.VIN  // parsed /vehicle/vin, model year checked against the registration date
	USCC   identity.USCC // parsed /exporter/uscc
	Today  time.Time     // the date the check runs (UTC midnight)

	gateway.LookupResult

	cfg Config

	// derived once per evaluation, shared by the maintenance rules
	maint *maintView
	// derived once per evaluation, shared by the resident ID rules
	residentID *identity.ResidentID
}

// Rule is one coded check. Code is stable; Severity is the default severity of a hit (a check
// may lower or raise it, e.g. a check digit is FAIL for China-market VINs, WARN for others).
type Rule struct {
	Code      string   `json:"code"`
	Severity  string   `json:"severity"`
	Document  string   `json:"document"`
	Clause    string   `json:"clause"`
	Pointers  []string `json:"pointers"`
	MessageEn string   `json:"messageEn"` // fmt template; arguments come from the check
	MessageZh string   `json:"messageZh"`
	check     func(in *Input) []hit
}

// hit is one firing of a rule.
type hit struct {
	severity string   // "" = the rule's severity
	pointers []string // nil = the rule's pointers
	args     []any
}

// Ruleset is the set of rules in force from an effective date.
type Ruleset struct {
	Version   string   `json:"version"`   // the effective date, e.g. "2026-01-01"
	Effective string   `json:"effective"` // same as Version; kept for readers
	Documents []string `json:"documents"`
	Rules     []*Rule  `json:"rules"`
}

// Engine chooses the ruleset for a filing and evaluates it.
type Engine struct {
	cfg      Config
	rulesets []*Ruleset // ascending by effective date
}

// New returns an engine with the built-in rulesets (2024-03-01 and 2026-01-01).
func New(cfg Config) *Engine {
	rs := builtinRulesets()
	sort.Slice(rs, func(i, j int) bool { return rs[i].Version < rs[j].Version })
	return &Engine{cfg: cfg, rulesets: rs}
}

// Rulesets returns the rulesets, oldest first.
func (e *Engine) Rulesets() []*Ruleset { return e.rulesets }

// Ruleset returns the ruleset in force on the application date, or a RULESET_UNAVAILABLE
// error when the date precedes the licence regime.
func (e *Engine) Ruleset(applicationDate gateway.Date) (*Ruleset, error) {
	var found *Ruleset
	for _, rs := range e.rulesets {
		if string(applicationDate) >= rs.Version {
			found = rs
		}
	}
	if found == nil {
		return nil, gateway.Errorf(gateway.ERULESET,
			"no ruleset is in force on %s: the export licence regime starts on %s",
			"%s 无适用规则集：二手车出口许可制度自 %s 起施行",
			applicationDate, e.rulesets[0].Version).WithDetails(gateway.Detail{
			Pointer: "/applicationDate", Code: gateway.ERULESET,
			Message: "application date precedes the licence regime", MessageZh: "申请日期早于出口许可制度施行日期",
		})
	}
	return found, nil
}

// Evaluate runs every rule of rs over in and returns the hits in rule order.
func (e *Engine) Evaluate(rs *Ruleset, in *Input) []gateway.RuleResult {
	in.cfg = e.cfg
	in.maint = nil
	in.residentID = nil
	results := make([]gateway.RuleResult, 0, 8)
	for _, r := range rs.Rules {
		for _, h := range r.check(in) {
			res := gateway.RuleResult{
				Code:      r.Code,
				Severity:  r.Severity,
				Pointers:  r.Pointers,
				MessageEn: r.MessageEn,
				MessageZh: r.MessageZh,
				Clause:    r.Document + " " + r.Clause,
			}
			if h.severity != "" {
				res.Severity = h.severity
			}
			if h.pointers != nil {
				res.Pointers = h.pointers
			}
			if len(h.args) > 0 {
				res.MessageEn = fmt.Sprintf(r.MessageEn, h.args...)
				res.MessageZh = fmt.Sprintf(r.MessageZh, h.args...)
			}
			results = append(results, res)
		}
	}
	return results
}

// lookupFailed reports whether err is an outage rather than a not-found answer.
func lookupFailed(err error) bool {
	return err != nil && gateway.ErrorCode(err) != gateway.ENOTFOUND
}

func isNotFound(err error) bool { return err != nil && gateway.ErrorCode(err) == gateway.ENOTFOUND }

var errNoDate = errors.New("no date")

// days returns b − a in whole days; both must be valid dates.
func days(a, b gateway.Date) (int, error) {
	ta, tb := a.Time(), b.Time()
	if ta.IsZero() || tb.IsZero() {
		return 0, errNoDate
	}
	return int(tb.Sub(ta).Hours() / 24), nil
}
