package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// clearDeclaration checks a customs export declaration line by line (CLEAR / HOLD / REFUSE
// with coded reasons, risk level, physical-inspection decision) and anchors each outcome.
func (s *Server) clearDeclaration(c *gin.Context) error {
	body, err := readJSONBody(c, maxFilingBody)
	if err != nil {
		return err
	}
	rec, err := s.customs.Clear(c.Request.Context(), body)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, rec)
	return nil
}

func (s *Server) getClearance(c *gin.Context) error {
	rec, err := s.customs.Clearance(c.Request.Context(), c.Param("no"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, rec)
	return nil
}
