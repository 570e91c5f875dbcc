package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
)

// listDeadlines lists the journey deadlines: ?status=overdue|due-soon|open|met|cancelled
// (default: open, due-soon and overdue) and ?agency=police|commerce.
func (s *Server) listDeadlines(c *gin.Context) error {
	state, agency := c.Query("status"), c.Query("agency")
	switch state {
	case "", "overdue", "due-soon", "open", "met", "cancelled":
	default:
		return gateway.Errorf(gateway.EINVALID, "status must be overdue, due-soon, open, met or cancelled", "status 应为 overdue、due-soon、open、met 或 cancelled").
			WithDetails(gateway.Detail{Pointer: "status", Code: gateway.EINVALID, Message: "unknown status", MessageZh: "未知状态"})
	}
	if agency != "" && gateway.MSPID(agency) == "" {
		return gateway.Errorf(gateway.EINVALID, "agency must be police, commerce or customs", "agency 应为 police、commerce 或 customs").
			WithDetails(gateway.Detail{Pointer: "agency", Code: gateway.EINVALID, Message: "unknown agency", MessageZh: "未知机构"})
	}
	list, err := s.deadlines.List(c.Request.Context(), state, agency)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"deadlines": list})
	return nil
}
