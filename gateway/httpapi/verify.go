package httpapi

import (
	_ "embed"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
)

// getDossier answers the public export dossier of a verification code (JSON). No account is
// needed; the dossier carries no personal data.
func (s *Server) getDossier(c *gin.Context) error {
	d, err := s.filings.Dossier(c.Request.Context(), c.Param("code"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, d)
	return nil
}

//go:embed dossier.html
var dossierHTML string

var dossierPage = template.Must(template.New("dossier").Parse(dossierHTML))

// getDossierPage is the same dossier as a plain bilingual HTML page, for a buyer's browser.
func (s *Server) getDossierPage(c *gin.Context) error {
	d, err := s.filings.Dossier(c.Request.Context(), c.Param("code"))
	status := http.StatusOK
	var data struct {
		D         any
		ErrorEn   string
		ErrorZh   string
		RequestID string
	}
	data.D, data.RequestID = d, requestID(c)
	if err != nil {
		status = HTTPStatus(gateway.ErrorCode(err))
		if gateway.ErrorCode(err) == gateway.EINTERNAL {
			s.log.ErrorContext(c.Request.Context(), "internal error", "requestId", requestID(c), "err", err)
		}
		data.D = nil
		data.ErrorEn, data.ErrorZh = gateway.ErrorMessages(err)
	}
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	return dossierPage.Execute(c.Writer, data)
}
