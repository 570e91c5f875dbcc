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
	"github.com/ucx-export/ucx/gateway/auth"
	"github.com/ucx-export/ucx/gateway/creditreport"
	"github.com/ucx-export/ucx/gateway/customs"
	"github.com/ucx-export/ucx/gateway/deadlines"
	"github.com/ucx-export/ucx/gateway/exporters"
	"github.com/ucx-export/ucx/gateway/filings"
	"github.com/ucx-export/ucx/gateway/ratelimit"
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
	// AuditChainID is the audit log's name on the ledger, where its head is anchored: GET
	// /v1/audit holds the log to its latest anchor ("": not checked).
	AuditChainID string

	// Auth verifies the bearer tokens every route but the public ones requires. nil: no
	// authentication at all (and no principal in any request) — for tests of business
	// behaviour and for embedding only; exportgw always sets it.
	Auth *auth.Verifier
	// ClientCertRoles are the roles that must connect with a verified TLS client certificate
	// whose Subject Organization includes the token's org (mTLS, see TLSConfig); with Auth.
	ClientCertRoles []gateway.Role
	// Limiter limits requests per caller and route class (public, read, write; see
	// routeClass); nil: no limits.
	Limiter ratelimit.Limiter
	// CORSOrigins are the browser origins (scheme://host[:port]) allowed to call the API;
	// none: no CORS headers at all.
	CORSOrigins []string
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose X-Forwarded-For names
	// the client (for the public routes' per-IP rate limit); none: the peer address is the
	// client. An invalid entry is logged and none is trusted.
	TrustedProxies []string
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
	auditChainID  string
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New returns the API with its middleware, in this order: recovery, request ID, access log,
// security headers, CORS (with CORSOrigins), authentication (with Auth), rate limit (with
// Limiter), authorisation (the policy table, on authenticated requests).
func New(cfg Config) *Server {
	s := &Server{engine: gin.New(), filings: cfg.Filings, customs: cfg.Customs, deadlines: cfg.Deadlines, exporters: cfg.Exporters, ledger: cfg.Ledger,
		creditFeed: cfg.CreditFeed, webhooks: cfg.Webhooks, log: cfg.Logger, ready: cfg.Ready}
	s.creditReports = cfg.CreditReports
	s.auditLog = cfg.Audit
	s.auditChainID = cfg.AuditChainID
	if s.log == nil {
		s.log = slog.Default()
	}
	s.engine.HandleMethodNotAllowed = true
	s.engine.ContextWithFallback = true
	if err := s.engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		s.log.Error("trusted proxies ignored", "err", err)
		_ = s.engine.SetTrustedProxies(nil)
	}
	s.engine.Use(s.recovery(), requestIDs(), accessLog(s.log), securityHeaders())
	if len(cfg.CORSOrigins) > 0 {
		s.engine.Use(cors(cfg.CORSOrigins))
	}
	if cfg.Auth != nil {
		s.engine.Use(s.authenticate(cfg.Auth, publicRoute, cfg.ClientCertRoles))
	}
	if cfg.Limiter != nil {
		s.engine.Use(s.rateLimit(cfg.Limiter, routeClass))
	}
	s.engine.Use(s.authorize())
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
