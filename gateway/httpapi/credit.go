package httpapi

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/exporters"
)

// creditEventRequest is the body of POST /v1/exporters/{uscc}/credit-events: an agency
// records a credit event by hand, with evidence (events from outcomes are the gateway's own).
type creditEventRequest struct {
	Org          string       `json:"org"`
	Code         string       `json:"code"`
	OccurredAt   gateway.Date `json:"occurredAt"`
	EvidenceHash string       `json:"evidenceHash"`
	Ref          string       `json:"ref,omitempty"`
	Actor        string       `json:"actor"`
}

func (s *Server) postCreditEvent(c *gin.Context) error {
	var req creditEventRequest
	if err := readStrict(c, &req); err != nil {
		return err
	}
	org, actor, err := agencyWrite(c, req.Org, req.Actor)
	if err != nil {
		return err
	}
	req.Actor = actor
	ev, err := s.exporters.Record(c.Request.Context(), org, gateway.CreditEventInput{
		ExporterUSCC: c.Param("uscc"), Code: req.Code, OccurredAt: req.OccurredAt, Source: gateway.CreditManual,
		EvidenceHash: req.EvidenceHash, Ref: req.Ref, Actor: req.Actor,
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, ev)
	return nil
}

// getCredit answers an exporter's credit with the events behind it: credit details, audited
// (READ_CREDIT) before they are sent.
func (s *Server) getCredit(c *gin.Context) error {
	if err := own(c, c.Param("uscc"), "exporter"); err != nil {
		return err
	}
	cr, err := s.exporters.Credit(c.Request.Context(), c.Param("uscc"))
	if err != nil {
		return err
	}
	if err := s.audit(c, gateway.AuditReadCredit, exporterResource(cr.USCC)); err != nil {
		return err
	}
	c.JSON(http.StatusOK, cr)
	return nil
}

// listExporters answers the credit list for commerce review: every exporter of the filing
// registry with its credit today. ?grade= A–D, repeated or comma-separated (default: all);
// ?sort= score, -score, changedAt or -changedAt (default score: worst first); ?limit= 1–500
// (default 50); ?cursor= the previous page's next. Any other parameter, or sort, limit or
// cursor given twice, is EINVALID naming it. Not audited: a row holds the score and grade
// (which the credit change feed publishes to every agency), not the events behind them.
func (s *Server) listExporters(c *gin.Context) error {
	q := c.Request.URL.Query()
	if err := checkQuery(q, []string{"grade"}, "sort", "limit", "cursor"); err != nil {
		return err
	}
	lq := exporters.ListQuery{Sort: q.Get("sort"), Cursor: q.Get("cursor")}
	for _, v := range q["grade"] {
		for _, g := range strings.Split(v, ",") {
			lq.Grades = append(lq.Grades, credit.Grade(strings.TrimSpace(g)))
		}
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 {
			return exporters.LimitError()
		}
		lq.Limit = n
	}
	page, err := s.exporters.List(c.Request.Context(), lq)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page)
	return nil
}

// checkQuery refuses unknown query parameters and repeats of the single-valued ones, naming
// the parameter (repeatable ones may appear any number of times).
func checkQuery(q url.Values, repeatable []string, single ...string) error {
	for _, name := range slices.Sorted(maps.Keys(q)) {
		switch {
		case slices.Contains(repeatable, name):
		case slices.Contains(single, name):
			if len(q[name]) > 1 {
				return gateway.Errorf(gateway.EINVALID, "%s is given more than once", "参数 %s 重复", name).
					WithDetails(gateway.Detail{Pointer: name, Code: gateway.EINVALID, Message: "given more than once", MessageZh: "参数重复"})
			}
		default:
			known := strings.Join(append(slices.Clone(repeatable), single...), ", ")
			return gateway.Errorf(gateway.EINVALID, "unknown query parameter %q: %s", "未知查询参数 %q：应为 %s", name, known).
				WithDetails(gateway.Detail{Pointer: name, Code: gateway.EINVALID, Message: "unknown parameter", MessageZh: "未知参数"})
		}
	}
	return nil
}

// listCreditCases answers commerce's review queue of objections and repair applications:
// credit details (the contested events), audited as one READ_CREDIT entry per exporter the
// answer shows, before it is sent.
func (s *Server) listCreditCases(c *gin.Context) error {
	q := c.Request.URL.Query()
	if err := checkQuery(q, nil, "status", "kind", "overdue", "limit"); err != nil {
		return err
	}
	cq := exporters.CaseQuery{Status: q.Get("status"), Kind: q.Get("kind")}
	if v, ok := q["overdue"]; ok {
		b, err := strconv.ParseBool(v[0])
		if err != nil {
			return gateway.Errorf(gateway.EINVALID, "overdue must be true or false", "overdue 应为 true 或 false").
				WithDetails(gateway.Detail{Pointer: "overdue", Code: gateway.EINVALID, Message: "true or false", MessageZh: "true 或 false"})
		}
		cq.Overdue = b
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 {
			return exporters.LimitError()
		}
		cq.Limit = n
	}
	out, err := s.exporters.Queue(c.Request.Context(), cq)
	if err != nil {
		return err
	}
	var shown []string
	for _, cs := range out.Cases {
		if r := exporterResource(cs.ExporterUSCC); !slices.Contains(shown, r) {
			shown = append(shown, r)
		}
	}
	if err := s.audit(c, gateway.AuditReadCredit, shown...); err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// listCreditCodes answers the event table in force, in code order.
func (s *Server) listCreditCodes(c *gin.Context) error {
	tab := s.exporters.Codes()
	rules := make([]credit.Rule, 0, len(tab.Rules))
	for _, r := range tab.Rules {
		rules = append(rules, r)
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].Code < rules[j].Code })
	c.JSON(http.StatusOK, gin.H{"version": tab.Version, "codes": rules})
	return nil
}

// creditCaseRequest is the body of POST /v1/exporters/{uscc}/credit-cases: the exporter's
// objection (异议) to one of its credit events, or its application to repair one (信用修复).
type creditCaseRequest struct {
	Kind           string `json:"kind"`
	EventID        string `json:"eventId"`
	EvidenceHash   string `json:"evidenceHash"`
	CommitmentHash string `json:"commitmentHash,omitempty"`
	Actor          string `json:"actor"`
}

func (s *Server) postCreditCase(c *gin.Context) error {
	var req creditCaseRequest
	if err := readStrict(c, &req); err != nil {
		return err
	}
	if err := own(c, c.Param("uscc"), "exporter"); err != nil {
		return err
	}
	actor, err := actingUser(c, req.Actor)
	if err != nil {
		return err
	}
	req.Actor = actor
	cs, err := s.exporters.FileCase(c.Request.Context(), c.Param("uscc"), gateway.CreditCaseInput(req))
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, cs)
	return nil
}

// caseExtensionRequest is the body of POST /v1/credit/cases/{caseId}/extension.
type caseExtensionRequest struct {
	Reason string `json:"reason"`
	Actor  string `json:"actor"`
}

func (s *Server) postCaseExtension(c *gin.Context) error {
	var req caseExtensionRequest
	if err := readStrict(c, &req); err != nil {
		return err
	}
	actor, err := actingUser(c, req.Actor)
	if err != nil {
		return err
	}
	cs, err := s.exporters.ExtendCase(c.Request.Context(), gateway.CaseExtensionInput{CaseID: c.Param("caseId"), Reason: req.Reason, Actor: actor})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, cs)
	return nil
}

// caseDecisionRequest is the body of POST /v1/credit/cases/{caseId}/decision.
type caseDecisionRequest struct {
	Outcome      string `json:"outcome"`
	Points       int    `json:"points,omitempty"`
	Reviewer     string `json:"reviewer"`
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
}

func (s *Server) postCaseDecision(c *gin.Context) error {
	var req caseDecisionRequest
	if err := readStrict(c, &req); err != nil {
		return err
	}
	reviewer, err := actingUser(c, req.Reviewer)
	if err != nil {
		return err
	}
	cs, err := s.exporters.DecideCase(c.Request.Context(), gateway.CaseDecisionInput{CaseID: c.Param("caseId"), Outcome: req.Outcome,
		Points: req.Points, Reviewer: reviewer, Reason: req.Reason, EvidenceHash: req.EvidenceHash})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, cs)
	return nil
}

// exporterStatusRequest is the body of the suspension and reinstatement routes.
type exporterStatusRequest struct {
	Reason       string `json:"reason"`
	EvidenceHash string `json:"evidenceHash"`
	Actor        string `json:"actor"`
}

// setExporterStatus answers a route that suspends or reinstates the exporter in the path.
func (s *Server) setExporterStatus(status string) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		var req exporterStatusRequest
		if err := readStrict(c, &req); err != nil {
			return err
		}
		actor, err := actingUser(c, req.Actor)
		if err != nil {
			return err
		}
		st, err := s.exporters.SetStatus(c.Request.Context(), gateway.ExporterStatusInput{ExporterUSCC: c.Param("uscc"), Status: status,
			Reason: req.Reason, EvidenceHash: req.EvidenceHash, Actor: actor})
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, st)
		return nil
	}
}
