// Package httpapi is the Gin transport of the gateway: routes.go lists the whole API; every
// handler returns an error that one adapter renders as the JSON error envelope.
package httpapi

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/creditreport"
	"github.com/ucx-export/ucx/gateway/customs"
	"github.com/ucx-export/ucx/gateway/deadlines"
	"github.com/ucx-export/ucx/gateway/exporters"
	"github.com/ucx-export/ucx/gateway/filings"
	"github.com/ucx-export/ucx/gateway/webhooks"
)

// OpenAPI is the API description served at /openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// Config wires a Server.
type Config struct {
	Filings   *filings.Service
	Customs   *customs.Service
	Deadlines *deadlines.Ledger
	Exporters *exporters.Service
	Ledger    gateway.Ledger
	// CreditFeed serves GET /v1/credit/changes (503 without one).
	CreditFeed gateway.CreditFeed
	// Webhooks serves the webhook subscriptions (503 without it: --webhooks=false).
	Webhooks *webhooks.Service
	Logger   *slog.Logger
	// Ready reports whether the gateway's dependencies can serve requests (for /readyz).
	Ready func(ctx context.Context) error
	// CreditReports issues and verifies signed exporter credit reports.
	CreditReports *creditreport.Service
	// Audit is the audit log of reads of personal data and credit details, and GET /v1/audit.
	// Without it those reads answer 503 EUNAVAILABLE: none goes unaudited.
	Audit gateway.AuditLog
}

// Server is the HTTP API.
type Server struct {
	engine     *gin.Engine
	filings    *filings.Service
	customs    *customs.Service
	deadlines  *deadlines.Ledger
	exporters  *exporters.Service
	ledger     gateway.Ledger
	creditFeed gateway.CreditFeed
	webhooks   *webhooks.Service
	log        *slog.Logger
	ready      func(ctx context.Context) error
	// creditReports issues and verifies signed exporter credit reports.
	creditReports *creditreport.Service
	auditLog      gateway.AuditLog
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New returns the API with its middleware: recovery, request ID, access log.
func New(cfg Config) *Server {
	s := &Server{engine: gin.New(), filings: cfg.Filings, customs: cfg.Customs, deadlines: cfg.Deadlines, exporters: cfg.Exporters, ledger: cfg.Ledger,
		creditFeed: cfg.CreditFeed, webhooks: cfg.Webhooks, log: cfg.Logger, ready: cfg.Ready}
	s.creditReports = cfg.CreditReports
	s.auditLog = cfg.Audit
	if s.log == nil {
		s.log = slog.Default()
	}
	s.engine.HandleMethodNotAllowed = true
	s.engine.ContextWithFallback = true
	s.engine.Use(s.recovery(), requestIDs(), accessLog(s.log), s.authorize())
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Routes returns the registered method and path of every route (Gin path syntax).
func (s *Server) Routes() [][2]string {
	var out [][2]string
	for _, r := range s.engine.Routes() {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}
