package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// submitReport stores an inspection agency's signed WM/T 8/9 report and records INSPECTED on
// the vehicle's trace; filings may then reference it (inspectionReportRef).
func (s *Server) submitReport(c *gin.Context) error {
	body, err := readJSONBody(c, maxFilingBody)
	if err != nil {
		return err
	}
	v, err := s.filings.SubmitReport(c.Request.Context(), body)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, v)
	return nil
}

// getReport answers a stored signed report, checked again (hash and signature) on the way out.
func (s *Server) getReport(c *gin.Context) error {
	if err := own(c, c.Param("agency"), "inspection report"); err != nil {
		return err
	}
	v, err := s.filings.Report(c.Request.Context(), c.Param("agency"), c.Param("no"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}
