package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/ucx-export/ucx/gateway/decode"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
)

const (
	headerRequestID = "X-Request-Id"
	ctxRequestID    = "requestId"
)

// requestIDs takes a well-formed X-Request-Id from the caller or makes one, and echoes it.
func requestIDs() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(headerRequestID)
		if !gateway.PrintableID(id, 128) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Header(headerRequestID, id)
		c.Next()
	}
}

func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// accessLog writes one structured line per request. Bodies are never logged.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("requestId", requestID(c)),
			slog.String("method", c.Request.Method),
			slog.String("route", c.FullPath()),
			slog.Int("status", c.Writer.Status()),
			slog.Int("bytesIn", int(c.Request.ContentLength)),
			slog.Duration("latency", time.Since(start)),
		)
	}
}

// recovery renders a panic as the internal-error envelope and logs it.
func (s *Server) recovery() gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, rec any) {
		s.log.ErrorContext(c.Request.Context(), "panic", "requestId", requestID(c), "panic", rec, "stack", string(debug.Stack()))
		status, body := errorEnvelope(c, s.log, gateway.Errorf(gateway.EINTERNAL, "internal error", "内部错误"))
		c.AbortWithStatusJSON(status, body)
	})
}

// readJSONBody checks the content type and reads at most limit bytes of the body.
func readJSONBody(c *gin.Context, limit int64) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, gateway.Errorf(gateway.EUNSUPPORTEDMEDIA, "content type must be application/json", "请求内容类型应为 application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, gateway.Errorf(gateway.EBODYTOOLARGE, "request body exceeds %d bytes", "请求体超过 %d 字节", limit)
	}
	if err != nil {
		return nil, gateway.Wrap(err, gateway.EINVALID, "request body could not be read", "无法读取请求体")
	}
	return body, nil
}

// readStrict reads a small JSON body (at most maxFilingBody) into v, strictly: unknown
// members, duplicates and trailing data are refused with coded errors.
func readStrict(c *gin.Context, v any) error {
	body, err := readJSONBody(c, maxFilingBody)
	if err != nil {
		return err
	}
	return decode.Strict(body, v)
}
