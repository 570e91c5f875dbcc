package httpapi

import (
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/decode"
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
	body, err := readJSONBody(c, maxFilingBody)
	if err != nil {
		return err
	}
	var req creditEventRequest
	if err := decode.Strict(body, &req); err != nil {
		return err
	}
	if err := checkOrg(req.Org); err != nil {
		return err
	}
	ev, err := s.exporters.Record(c.Request.Context(), req.Org, gateway.CreditEventInput{
		ExporterUSCC: c.Param("uscc"), Code: req.Code, OccurredAt: req.OccurredAt, Source: gateway.CreditManual,
		EvidenceHash: req.EvidenceHash, Ref: req.Ref, Actor: req.Actor,
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, ev)
	return nil
}

func (s *Server) getCredit(c *gin.Context) error {
	cr, err := s.exporters.Credit(c.Request.Context(), c.Param("uscc"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, cr)
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
