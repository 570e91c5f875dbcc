package httpapi

import (
	_ "embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/creditreport"
)

// getCreditReport issues a signed credit report of the exporter (a new report, number and
// code on every call): the signed JSON as stored, or the printable bilingual page with
// ?format=html or a browser's Accept header. Audited (READ_CREDIT) before it is sent.
func (s *Server) getCreditReport(c *gin.Context) error {
	if err := own(c, c.Param("uscc"), "exporter"); err != nil {
		return err
	}
	html, err := wantHTML(c)
	if err != nil {
		return err
	}
	issued, err := s.creditReports.Issue(c.Request.Context(), c.Param("uscc"))
	if err == nil {
		err = s.audit(c, gateway.AuditReadCredit, exporterResource(issued.Report.Credit.USCC))
	}
	c.Header("Cache-Control", "no-store")
	if html {
		var data creditReportData
		if issued != nil {
			data.R = &issued.Report
		}
		return s.renderCreditReport(c, data, err)
	}
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", issued.JSON)
	return nil
}

// wantHTML reads ?format=json|html, else the Accept header: HTML when it names text/html (or
// XHTML) before any application/json, as browsers do; JSON otherwise.
func wantHTML(c *gin.Context) (bool, error) {
	switch c.Query("format") {
	case "html":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, gateway.Errorf(gateway.EINVALID, "format must be json or html", "format 应为 json 或 html").
			WithDetails(gateway.Detail{Pointer: "format", Code: gateway.EINVALID, Message: "not json or html", MessageZh: "不是 json 或 html"})
	}
	for _, part := range strings.Split(c.GetHeader("Accept"), ",") {
		mediaType, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mediaType)) {
		case "text/html", "application/xhtml+xml":
			return true, nil
		case "application/json":
			return false, nil
		}
	}
	return false, nil
}

// verifyCreditReport answers a verification code (public, JSON): the report as issued,
// whether its signature is valid, and whether it is still current. Audited (READ_CREDIT)
// before it is sent: the report holds the exporter's credit events.
func (s *Server) verifyCreditReport(c *gin.Context) error {
	v, err := s.creditReports.Verify(c.Request.Context(), c.Param("code"))
	if err == nil {
		err = s.auditVerification(c, v)
	}
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, v)
	return nil
}

// verifyCreditReportPage is the same answer as a bilingual page, for a browser.
func (s *Server) verifyCreditReportPage(c *gin.Context) error {
	v, err := s.creditReports.Verify(c.Request.Context(), c.Param("code"))
	if err == nil {
		err = s.auditVerification(c, v)
	}
	var data creditReportData
	if v != nil {
		data.R, data.V = v.Issued(), v
	}
	c.Header("Cache-Control", "no-store")
	return s.renderCreditReport(c, data, err)
}

// auditVerification audits the read of a verified credit report: by its exporter, or by its
// code when the stored report cannot be decoded (it is still shown, byte for byte).
func (s *Server) auditVerification(c *gin.Context, v *creditreport.Verification) error {
	resource := "credit-report:" + v.VerificationCode
	if r := v.Issued(); r != nil {
		resource = exporterResource(r.Credit.USCC)
	}
	return s.audit(c, gateway.AuditReadCredit, resource)
}

// getCreditReportKey publishes the public key credit reports are signed with.
func (s *Server) getCreditReportKey(c *gin.Context) error {
	c.JSON(http.StatusOK, s.creditReports.PublicKey())
	return nil
}

//go:embed creditreport.html
var creditReportHTML string

var creditReportPage = template.Must(template.New("creditreport").Funcs(template.FuncMap{
	"gradeZh": func(g credit.Grade) string {
		return map[credit.Grade]string{credit.GradeA: "快速通道", credit.GradeB: "正常", credit.GradeC: "加强审核", credit.GradeD: "暂停出口申报"}[g]
	},
	"gradeEn": func(g credit.Grade) string {
		return map[credit.Grade]string{credit.GradeA: "fast track", credit.GradeB: "normal", credit.GradeC: "enhanced review", credit.GradeD: "filings suspended"}[g]
	},
}).Parse(creditReportHTML))

// creditReportData is what the page shows: a report (R), with the verification (V) on the
// verification page; or an error.
type creditReportData struct {
	R         *creditreport.Report
	V         *creditreport.Verification
	ErrorEn   string
	ErrorZh   string
	RequestID string
}

// renderCreditReport writes the page; an error is a page too, with the error's status.
func (s *Server) renderCreditReport(c *gin.Context, data creditReportData, err error) error {
	status := http.StatusOK
	data.RequestID = requestID(c)
	if err != nil {
		code := gateway.ErrorCode(err)
		status = HTTPStatus(code)
		data.R, data.V = nil, nil
		data.ErrorEn, data.ErrorZh = gateway.ErrorMessages(err)
		if code == gateway.EINTERNAL {
			s.log.ErrorContext(c.Request.Context(), "internal error", "requestId", requestID(c), "err", err)
			data.ErrorEn, data.ErrorZh = "internal error", "内部错误"
		}
	}
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	return creditReportPage.Execute(c.Writer, data)
}
