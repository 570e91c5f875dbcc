package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/exporters"
	"github.com/ucx-export/ucx/gateway/inspection"
)

// Codes of transport-level errors.
const (
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	gateway.EINTERNAL:            http.StatusInternalServerError,
	gateway.EINVALID:             http.StatusBadRequest,
	gateway.ENOTFOUND:            http.StatusNotFound,
	gateway.ECONFLICT:            http.StatusConflict,
	exporters.ETIMELIMIT:         http.StatusConflict,
	gateway.EUNAVAILABLE:         http.StatusServiceUnavailable,
	gateway.EINVALIDJSON:         http.StatusBadRequest,
	gateway.EUNKNOWNFIELD:        http.StatusBadRequest,
	gateway.ETYPEMISMATCH:        http.StatusBadRequest,
	gateway.ETRAILINGDATA:        http.StatusBadRequest,
	gateway.EBODYTOOLARGE:        http.StatusRequestEntityTooLarge,
	gateway.EUNSUPPORTEDMEDIA:    http.StatusUnsupportedMediaType,
	gateway.ESCHEMA:              http.StatusUnprocessableEntity,
	gateway.ERULESET:             http.StatusUnprocessableEntity,
	gateway.EIDEMPOTENCYREUSED:   http.StatusConflict,
	gateway.EIDEMPOTENCYINVALID:  http.StatusBadRequest,
	gateway.EBATCHTOOLARGE:       http.StatusRequestEntityTooLarge,
	gateway.EFORBIDDEN:           http.StatusForbidden,
	gateway.EUNAUTHENTICATED:     http.StatusUnauthorized,
	gateway.ERATELIMITED:         http.StatusTooManyRequests,
	gateway.EDOCTAMPERED:         http.StatusConflict,
	gateway.EREPORTNOTFOUND:      http.StatusUnprocessableEntity,
	gateway.EILLEGALTRANSITION:   http.StatusConflict,
	inspection.EUNSIGNED:         http.StatusUnprocessableEntity,
	inspection.ESIGNATUREINVALID: http.StatusUnprocessableEntity,
	inspection.EAGENCYUNKNOWN:    http.StatusUnprocessableEntity,
	inspection.EAGENCYMISMATCH:   http.StatusUnprocessableEntity,
	inspection.EKEYNOTVALID:      http.StatusUnprocessableEntity,
	codeMethodNotAllowed:         http.StatusMethodNotAllowed,
}

// HTTPStatus returns the HTTP status of an error code (500 for unknown codes).
func HTTPStatus(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// envelope is the one error body (ARCHITECTURE.md §6).
type envelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code      string           `json:"code"`
	Message   string           `json:"message"`
	MessageZh string           `json:"messageZh"`
	Details   []gateway.Detail `json:"details"`
	RequestID string           `json:"requestId"`
}

// errorEnvelope renders err for the caller: coded errors show their safe messages; anything
// else is logged with the request ID and shown as a generic internal error.
func errorEnvelope(c *gin.Context, log *slog.Logger, err error) (int, envelope) {
	code := gateway.ErrorCode(err)
	en, zh := gateway.ErrorMessages(err)
	if code == gateway.EINTERNAL {
		log.ErrorContext(c.Request.Context(), "internal error", "requestId", requestID(c), "err", err)
		en, zh = "internal error", "内部错误"
	}
	details := gateway.ErrorDetails(err)
	if details == nil {
		details = []gateway.Detail{}
	}
	return HTTPStatus(code), envelope{Error: errorBody{Code: code, Message: en, MessageZh: zh, Details: details, RequestID: requestID(c)}}
}

// handlerFunc is the shape of every handler: it writes its success response or returns an
// error for the adapter to render.
type handlerFunc func(c *gin.Context) error

// handle adapts a handlerFunc to Gin: the one place errors become responses.
func (s *Server) handle(h handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			status, body := errorEnvelope(c, s.log, err)
			c.AbortWithStatusJSON(status, body)
		}
	}
}
