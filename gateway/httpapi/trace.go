package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/identity"
)

// vinParam normalises the {vin} path parameter; a malformed VIN is a 400 with its findings.
func vinParam(c *gin.Context) (string, error) {
	v := identity.ParseVIN(c.Param("vin"))
	if !v.Valid {
		e := gateway.Errorf(gateway.EINVALID, "malformed VIN %q", "车辆识别代号 %q 格式错误", c.Param("vin"))
		for _, f := range v.Findings {
			if f.Severity == identity.FAIL {
				e.Details = append(e.Details, gateway.Detail{Pointer: "vin", Code: f.Code, Message: f.MessageEn, MessageZh: f.MessageZh})
			}
		}
		return "", e
	}
	return v.Normalized, nil
}

// getTrace answers a vehicle's timeline on the ledger, each event with its receipt; paged by
// ?pageSize= (1–200, default 50) and ?bookmark= (from the previous page's nextBookmark).
func (s *Server) getTrace(c *gin.Context) error {
	vin, err := vinParam(c)
	if err != nil {
		return err
	}
	size := 0
	if q := c.Query("pageSize"); q != "" {
		size, err = strconv.Atoi(q)
		if err != nil || size < 1 || size > 200 {
			return gateway.Errorf(gateway.EINVALID, "pageSize must be 1–200", "pageSize 应为 1 至 200").
				WithDetails(gateway.Detail{Pointer: "pageSize", Code: gateway.EINVALID, Message: "out of range", MessageZh: "超出范围"})
		}
	}
	if _, ok := scoped(c); ok {
		// An exporter sees the trace of a vehicle whose current filing is its own.
		rec, err := s.filings.LatestFiling(c.Request.Context(), vin)
		if gateway.ErrorCode(err) == gateway.ENOTFOUND {
			return gateway.Errorf(gateway.ENOTFOUND, "vehicle not found", "未找到车辆")
		}
		if err != nil {
			return err
		}
		if err := own(c, rec.ExporterUSCC, "vehicle"); err != nil {
			return err
		}
	}
	page, err := s.ledger.Trace(c.Request.Context(), vin, size, c.Query("bookmark"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page)
	return nil
}

// eventRequest is the body of POST /v1/vehicles/{vin}/events.
type eventRequest struct {
	Org                 string       `json:"org"`
	Type                string       `json:"type"`
	EvidenceHash        string       `json:"evidenceHash"`
	Actor               string       `json:"actor"`
	TempPlateValidUntil gateway.Date `json:"tempPlateValidUntil,omitempty"`
	DeclarationNo       string       `json:"declarationNo,omitempty"`
}

// postEvent records an agency event on the vehicle's trace as the posting organisation. Which
// organisation may post which type is the chaincode's rule (403 EFORBIDDEN otherwise); who may
// speak for an organisation is access control's: the caller's role (agencyWrite).
func (s *Server) postEvent(c *gin.Context) error {
	vin, err := vinParam(c)
	if err != nil {
		return err
	}
	var req eventRequest
	if err := readStrict(c, &req); err != nil {
		return err
	}
	if req.Org, req.Actor, err = agencyWrite(c, req.Org, req.Actor); err != nil {
		return err
	}
	switch {
	case req.Type == "DECLARED" && req.Org == gateway.OrgCustoms:
		// A declaration is declared with its number: it must have been cleared for this vehicle.
		if req.DeclarationNo == "" {
			return gateway.Errorf(gateway.EINVALID, "DECLARED needs the declarationNo of a cleared declaration", "DECLARED 须提供已通过核验的报关单号").
				WithDetails(gateway.Detail{Pointer: "/declarationNo", Code: "SCHEMA_REQUIRED", Message: "declarationNo is required", MessageZh: "缺少 declarationNo"})
		}
		ev, err := s.customs.Declared(c.Request.Context(), vin, req.DeclarationNo, req.Actor, req.EvidenceHash)
		if err != nil {
			return err
		}
		c.JSON(http.StatusCreated, ev)
		return nil
	case req.DeclarationNo != "":
		return gateway.Errorf(gateway.EINVALID, "declarationNo belongs to a customs DECLARED event", "declarationNo 仅用于海关申报事件").
			WithDetails(gateway.Detail{Pointer: "/declarationNo", Code: gateway.EINVALID, Message: "not allowed here", MessageZh: "此处不允许"})
	}
	ev, err := s.ledger.RecordEvent(c.Request.Context(), req.Org, gateway.EventInput{VIN: vin, Type: req.Type, EvidenceHash: req.EvidenceHash, Actor: req.Actor, TempPlateValidUntil: req.TempPlateValidUntil})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, ev)
	return nil
}

// getReceipt answers the inclusion proof of a ledger transaction, so that anyone holding a
// receipt can check it (public: it carries hashes and codes only).
func (s *Server) getReceipt(c *gin.Context) error {
	p, err := s.ledger.Proof(c.Request.Context(), c.Param("txId"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, p)
	return nil
}

// checkOrg refuses a body's org that names none of the three organisations.
func checkOrg(org string) error {
	if gateway.MSPID(org) == "" {
		return gateway.Errorf(gateway.EINVALID, "org must be commerce, customs or police", "org 应为 commerce、customs 或 police").
			WithDetails(gateway.Detail{Pointer: "/org", Code: gateway.EINVALID, Message: "unknown organisation", MessageZh: "未知机构"})
	}
	return nil
}
