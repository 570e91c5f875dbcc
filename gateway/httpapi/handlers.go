package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/identity"
)

func (s *Server) healthz(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
	return nil
}

func (s *Server) readyz(c *gin.Context) error {
	if s.ready != nil {
		if err := s.ready(c.Request.Context()); err != nil {
			return gateway.Wrap(err, gateway.EUNAVAILABLE, "not ready", "服务未就绪")
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
	return nil
}

func (s *Server) openAPI(c *gin.Context) error {
	c.Data(http.StatusOK, "application/json", OpenAPI)
	return nil
}

func notFound(c *gin.Context) error {
	return gateway.Errorf(gateway.ENOTFOUND, "no route %s %s", "不存在的接口 %s %s", c.Request.Method, c.Request.URL.Path)
}

func methodNotAllowed(c *gin.Context) error {
	return gateway.Errorf(codeMethodNotAllowed, "method %s not allowed on %s", "接口 %[2]s 不支持 %[1]s 方法", c.Request.Method, c.Request.URL.Path)
}

// dryRunResponse is the body of a check that stores nothing.
type dryRunResponse struct {
	DryRun         bool                 `json:"dryRun"`
	VIN            string               `json:"vin"`
	ExporterUSCC   string               `json:"exporterUscc"`
	Decision       string               `json:"decision"`
	RulesetVersion string               `json:"rulesetVersion"`
	DocHash        string               `json:"docHash"`
	Results        []gateway.RuleResult `json:"results"`
}

func dryRun(c *gin.Context) bool { return c.Query("dryRun") == "true" }

const headerIdempotencyKey = "Idempotency-Key"

func (s *Server) createFiling(c *gin.Context) error {
	body, err := readJSONBody(c, maxFilingBody)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	key := c.GetHeader(headerIdempotencyKey)
	var idem *gateway.Idempotency
	if key != "" && !dryRun(c) {
		if !gateway.PrintableID(key, 255) {
			return gateway.Errorf(gateway.EIDEMPOTENCYINVALID, "Idempotency-Key must be 1–255 printable ASCII characters", "Idempotency-Key 应为1至255个可打印ASCII字符")
		}
		if org, ok := scoped(c); ok {
			key = org + "/" + key // each exporter's keys are its own
		}
		sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.FullPath()+"\n"), body...))
		idem = &gateway.Idempotency{Key: key, RequestHash: hex.EncodeToString(sum[:])}
		if replayed, err := s.replay(c, idem.Key, idem.RequestHash); replayed || err != nil {
			return err
		}
	}
	chk, err := s.filings.Check(ctx, body)
	if err != nil {
		return err
	}
	if err := ownWrite(c, chk.ExporterUSCC, "filing"); err != nil {
		return err
	}
	if dryRun(c) {
		c.JSON(http.StatusOK, dryRunOf(chk.VIN, chk.ExporterUSCC, chk.Decision, chk.RulesetVersion, chk.DocHash, chk.Results))
		return nil
	}
	rec, err := s.filings.Record(ctx, chk, idem, waitAnchored(c))
	if gateway.ErrorCode(err) == gateway.EIDEMPOTENCYREUSED {
		// Another request with this key landed meanwhile: answer as it did, or 409.
		if replayed, err := s.replay(c, idem.Key, idem.RequestHash); replayed || err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, rec)
	return nil
}

// replay answers a request whose Idempotency-Key is already bound: the same request gets the
// filing it created (201, as first answered, with its current receipt); a different request
// under the same key is a conflict.
func (s *Server) replay(c *gin.Context, key, hash string) (bool, error) {
	stored, err := s.filings.Idempotent(c.Request.Context(), key)
	switch {
	case gateway.ErrorCode(err) == gateway.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, err
	case stored.RequestHash != hash:
		return false, gateway.Errorf(gateway.EIDEMPOTENCYREUSED, "Idempotency-Key was used with a different request", "该 Idempotency-Key 已用于不同的请求")
	}
	rec, err := s.filings.Filing(c.Request.Context(), stored.FilingID)
	if err != nil {
		return false, err
	}
	c.Header("Idempotent-Replayed", "true")
	c.JSON(http.StatusCreated, rec)
	return true, nil
}

// waitAnchored reports ?wait=anchored: answer only once the filing's anchor is committed.
func waitAnchored(c *gin.Context) bool { return c.Query("wait") == "anchored" }

func (s *Server) getFiling(c *gin.Context) error {
	rec, err := s.filings.Filing(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if err := own(c, rec.ExporterUSCC, "filing"); err != nil {
		return err
	}
	c.JSON(http.StatusOK, rec)
	return nil
}

func (s *Server) checkVIN(c *gin.Context) error {
	v := identity.ParseVIN(c.Param("vin"))
	if rd := c.Query("registrationDate"); rd != "" {
		t, err := time.Parse(time.DateOnly, rd)
		if err != nil {
			return gateway.Errorf(gateway.EINVALID, "registrationDate must be YYYY-MM-DD", "registrationDate 应为 YYYY-MM-DD 格式").
				WithDetails(gateway.Detail{Pointer: "registrationDate", Code: gateway.EINVALID, Message: "not a date", MessageZh: "不是有效日期"})
		}
		v.CheckModelYear(t)
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (s *Server) checkUSCC(c *gin.Context) error {
	c.JSON(http.StatusOK, identity.ParseUSCC(c.Param("code")))
	return nil
}

func (s *Server) listRulesets(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"rulesets": s.filings.Rulesets()})
	return nil
}
