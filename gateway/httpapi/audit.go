package httpapi

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/privacy"
)

// headerRedacted marks an answer whose personal data is masked for the caller: its bytes are
// no longer the stored document's (they do not hash to docHash).
const headerRedacted = "X-UCX-Redacted"

// audit writes one entry per resource to the audit log, as the request's caller, before the
// answer is sent. It fails with EUNAVAILABLE (the caller then sends nothing: no read goes
// unaudited) when the log cannot be written, or when the gateway has no audit log.
func (s *Server) audit(c *gin.Context, action string, resources ...string) error {
	if len(resources) == 0 {
		return nil
	}
	if s.auditLog == nil {
		return gateway.Errorf(gateway.EUNAVAILABLE, "this read is audited and the gateway has no audit log: nothing is sent",
			"此类读取须写入审计日志，而网关未配置审计日志：不返回数据")
	}
	ctx := c.Request.Context()
	p := gateway.PrincipalFrom(ctx)
	if p == nil {
		p = &gateway.Principal{}
	}
	entries := make([]*gateway.AuditEntry, len(resources))
	for i, r := range resources {
		entries[i] = &gateway.AuditEntry{RequestID: requestID(c), Subject: p.Subject, Role: p.Role, Org: p.Org, TokenID: p.TokenID,
			Action: action, Resource: r, Route: c.Request.Method + " " + c.FullPath()}
	}
	if err := s.auditLog.Append(ctx, entries...); err != nil {
		s.log.WarnContext(ctx, "audit log append failed: the read is refused", "requestId", requestID(c), "action", action, "err", err)
		return gateway.Wrap(err, gateway.EUNAVAILABLE, "the read cannot be written to the audit log, so nothing is sent; retry later",
			"无法写入审计日志，故不返回数据；请稍后重试")
	}
	return nil
}

// getFilingDocument answers a filing's stored document with its personal data as the caller's
// role may see it (gateway/privacy): police the document as stored (audited), customs the
// owner's name (audited) and the rest masked, every other caller masked values
// (X-UCX-Redacted: owner).
func (s *Server) getFilingDocument(c *gin.Context) error {
	ctx := c.Request.Context()
	id := c.Param("id")
	if _, ok := scoped(c); ok {
		rec, err := s.filings.Filing(ctx, id)
		if err != nil {
			return err
		}
		if err := own(c, rec.ExporterUSCC, "filing"); err != nil {
			return err
		}
	}
	doc, err := s.filings.Document(ctx, id)
	if err != nil {
		return err
	}
	r, err := privacy.RedactDocument(doc, privacy.LevelFor(gateway.PrincipalFrom(ctx)))
	if err != nil {
		return gateway.Wrap(err, gateway.EINTERNAL, "internal error", "内部错误")
	}
	if r.Disclosed {
		if err := s.audit(c, gateway.AuditReadPersonalData, "filing:"+id); err != nil {
			return err
		}
	}
	if r.Redacted {
		c.Header(headerRedacted, "owner")
	}
	c.Data(http.StatusOK, "application/json", r.Document)
	return nil
}

// exporterResource names an exporter in the audit log.
func exporterResource(uscc string) string { return "exporter:" + uscc }

// auditAnswer is the body of GET /v1/audit.
type auditAnswer struct {
	Entries []*gateway.AuditEntry      `json:"entries"`
	Next    uint64                     `json:"next,omitempty"`
	Chain   *gateway.AuditVerification `json:"chain"`
	// Anchor is the log's latest head anchored on the ledger (absent: never anchored, or the
	// gateway anchors none); the chain is held to it.
	Anchor *gateway.AuditAnchor `json:"anchor,omitempty"`
}

// auditActions are the actions the log records (a query for another is a mistake).
var auditActions = []string{gateway.AuditReadPersonalData, gateway.AuditReadCredit}

// listAudit answers the audit log: entries after ?after= (a seq; the previous page's next),
// at most ?limit= (1–500, default 50), filtered by exact ?subject=, ?org=, ?action= and
// ?resource=; with the verification of the whole chain. Who may read it is the access
// policy's business (commerce and admin).
func (s *Server) listAudit(c *gin.Context) error {
	q := c.Request.URL.Query()
	if err := checkQuery(q, nil, "after", "limit", "subject", "org", "action", "resource"); err != nil {
		return err
	}
	aq := gateway.AuditQuery{Subject: q.Get("subject"), Org: q.Get("org"), Action: q.Get("action"), Resource: q.Get("resource")}
	if v, ok := q["after"]; ok {
		n, err := strconv.ParseUint(v[0], 10, 64)
		if err != nil {
			return paramError("after", "after must be an entry's seq (a non-negative integer)", "after 应为记录序号（非负整数）")
		}
		aq.After = n
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > gateway.MaxAuditLimit {
			return paramError("limit", "limit must be 1–500", "limit 应为 1 至 500")
		}
		aq.Limit = n
	}
	if aq.Action != "" && !slices.Contains(auditActions, aq.Action) {
		return paramError("action", "action must be READ_PERSONAL_DATA or READ_CREDIT", "action 应为 READ_PERSONAL_DATA 或 READ_CREDIT")
	}
	if s.auditLog == nil {
		return gateway.Errorf(gateway.EUNAVAILABLE, "the gateway has no audit log", "网关未配置审计日志")
	}
	ctx := c.Request.Context()
	page, err := s.auditLog.Entries(ctx, aq)
	if err != nil {
		return err
	}
	chain, err := s.auditLog.Verify(ctx)
	if err != nil {
		return err
	}
	var anchor *gateway.AuditAnchor
	if s.auditChainID != "" && s.ledger != nil {
		if anchor, err = gateway.CheckAuditAnchor(ctx, s.auditLog, s.ledger, s.auditChainID, chain); err != nil {
			return err
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, auditAnswer{Entries: page.Entries, Next: page.Next, Chain: chain, Anchor: anchor})
	return nil
}

// paramError is EINVALID naming a query parameter.
func paramError(name, en, zh string) error {
	return gateway.Errorf(gateway.EINVALID, "%[1]s", "%[2]s", en, zh).
		WithDetails(gateway.Detail{Pointer: name, Code: gateway.EINVALID, Message: en, MessageZh: zh})
}
