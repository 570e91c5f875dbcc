package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
)

// licenceResponse is a licence on the ledger with the receipt of the write that made it so.
type licenceResponse struct {
	Licence *gateway.Licence `json:"licence"`
	Receipt *gateway.Receipt `json:"receipt,omitempty"`
}

// issueLicence records an issued export licence on the ledger (commerce). The chaincode
// checks its form, validity (≤ 6 months, within the issue year) and that no VIN on it is on
// another issued licence.
func (s *Server) issueLicence(c *gin.Context) error {
	var l gateway.Licence
	if err := readStrict(c, &l); err != nil {
		return err
	}
	out, receipt, err := s.ledger.IssueLicence(c.Request.Context(), l)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, licenceResponse{Licence: out, Receipt: receipt})
	return nil
}

func (s *Server) getLicence(c *gin.Context) error {
	l, err := s.ledger.Licence(c.Request.Context(), c.Param("no"))
	if err != nil {
		return err
	}
	if err := own(c, l.ExporterUSCC, "licence"); err != nil {
		return err
	}
	c.JSON(http.StatusOK, licenceResponse{Licence: l})
	return nil
}

// revocationRequest is the body of POST /v1/licences/{no}/revocation.
type revocationRequest struct {
	ReasonCode string `json:"reasonCode"`
	Actor      string `json:"actor"`
}

func (s *Server) revokeLicence(c *gin.Context) error {
	var req revocationRequest
	if err := readStrict(c, &req); err != nil {
		return err
	}
	actor, err := actingUser(c, req.Actor)
	if err != nil {
		return err
	}
	l, receipt, err := s.ledger.RevokeLicence(c.Request.Context(), c.Param("no"), req.ReasonCode, actor)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, licenceResponse{Licence: l, Receipt: receipt})
	return nil
}
