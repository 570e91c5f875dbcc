package httpapi

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
	"github.com/ucx-export/ucx/gateway/ratelimit"
)

// abort renders err as the error envelope and stops the chain: what handle does for
// handlers, for middleware.
func (s *Server) abort(c *gin.Context, err error) {
	status, body := errorEnvelope(c, s.log, err)
	c.AbortWithStatusJSON(status, body)
}

// authenticate lets the public routes through and requires every other request to carry
// exactly one "Authorization: Bearer <token>" header with a token v accepts (never a token
// in the URL). The caller goes into the request's context (gateway.PrincipalFrom). Callers
// of the roles in certRoles must also have presented a verified TLS client certificate whose
// Subject Organization includes the token's org. Failures answer 401 UNAUTHENTICATED with a
// WWW-Authenticate challenge (RFC 6750): no error attribute when no token was sent,
// invalid_request for a malformed request, invalid_token otherwise.
func (s *Server) authenticate(v *auth.Verifier, public func(method, fullPath string) bool, certRoles []gateway.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if public(c.Request.Method, c.FullPath()) {
			c.Next()
			return
		}
		p, err := principal(c, v, certRoles)
		if err != nil {
			challenge := `Bearer realm="ucx"`
			switch auth.Reason(err) {
			case auth.ReasonMissing:
			case auth.ReasonHeader, auth.ReasonInQuery:
				challenge += `, error="invalid_request"`
			default:
				challenge += `, error="invalid_token"`
			}
			c.Header("WWW-Authenticate", challenge)
			s.abort(c, err)
			return
		}
		c.Request = c.Request.WithContext(gateway.WithPrincipal(c.Request.Context(), p))
		c.Next()
	}
}

// principal returns the caller a request authenticates as.
func principal(c *gin.Context, v *auth.Verifier, certRoles []gateway.Role) (*gateway.Principal, error) {
	if q, _ := url.ParseQuery(c.Request.URL.RawQuery); q.Has("access_token") {
		return nil, auth.Error(auth.ReasonInQuery, "", "tokens are accepted in the Authorization header only, never in the URL (URLs end up in logs)",
			"令牌只能放在 Authorization 请求头中，不能放在URL里（URL会被记录到日志）")
	}
	values := c.Request.Header.Values("Authorization")
	if len(values) == 0 {
		return nil, auth.Error(auth.ReasonMissing, "", "a bearer token is required: Authorization: Bearer <token>", "需要持有者令牌：Authorization: Bearer <令牌>")
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t,") {
		return nil, auth.Error(auth.ReasonHeader, "", "send exactly one Authorization header of the form Bearer <token>", "应只发送一个 Authorization 请求头，格式为 Bearer <令牌>")
	}
	p, err := v.Verify(token)
	if err != nil {
		return nil, err
	}
	if slices.Contains(certRoles, p.Role) {
		tls := c.Request.TLS
		if tls == nil || len(tls.VerifiedChains) == 0 || len(tls.VerifiedChains[0]) == 0 {
			return nil, auth.Error(auth.ReasonClientCert, "", "the role "+string(p.Role)+" must connect with a TLS client certificate issued to its organisation",
				"角色 "+string(p.Role)+" 必须使用签发给本机构的TLS客户端证书连接")
		}
		if !slices.Contains(tls.VerifiedChains[0][0].Subject.Organization, p.Org) {
			return nil, auth.Error(auth.ReasonClientCertOrg, "", "the TLS client certificate is not issued to the token's organisation",
				"TLS客户端证书不是签发给令牌所属机构的")
		}
	}
	return p, nil
}

// rateLimit takes a token from the caller's bucket of the route's class: on public routes
// (and without authentication) the caller is the client IP, otherwise the token's org and
// subject. An empty bucket answers 429 RATE_LIMITED with Retry-After in whole seconds. When
// the limiter fails the request goes through (fail open, logged): the limiter protects
// capacity, access is authentication's job, and exportgw's Redis limiter already falls back
// to in-process buckets.
func (s *Server) rateLimit(l ratelimit.Limiter, class func(method, fullPath string) ratelimit.Class) gin.HandlerFunc {
	return func(c *gin.Context) {
		cl := class(c.Request.Method, c.FullPath())
		key := "ip:" + c.ClientIP()
		if p := gateway.PrincipalFrom(c.Request.Context()); p != nil && cl != ratelimit.Public {
			key = "caller:" + p.Org + "|" + p.Subject
		}
		ok, wait, err := l.Allow(c.Request.Context(), key, cl)
		if err != nil {
			s.log.WarnContext(c.Request.Context(), "rate limiter failed: request let through", "requestId", requestID(c), "class", string(cl), "err", err)
			c.Next()
			return
		}
		if !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			c.Header("Retry-After", strconv.Itoa(secs))
			s.abort(c, gateway.Errorf(gateway.ERATELIMITED, "too many %s requests: retry after %d s", "%s 类请求过多：请 %d 秒后重试", cl, secs))
			return
		}
		c.Next()
	}
}

// securityHeaders sets the headers every response carries: no MIME sniffing, no framing
// (X-Frame-Options and CSP frame-ancestors), no Referer sent on, and on TLS connections HSTS.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		if c.Request.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		c.Next()
	}
}

// CORS answers of allowed origins: the methods and request headers the API uses, the
// response headers a browser client may read, and how long a preflight answer is cached.
const (
	corsMethods = "GET, POST, DELETE"
	corsHeaders = "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
	corsExpose  = "X-Request-Id, Retry-After, WWW-Authenticate, Idempotent-Replayed"
	corsMaxAge  = "600"
)

// cors lets browser pages of the allowed origins (exact scheme://host[:port]) call the API:
// it answers their preflight requests (204) and marks their responses readable. Other
// origins get no CORS headers (the browser then refuses the page the response). No
// credentials: the API takes bearer tokens, not cookies.
func cors(origins []string) gin.HandlerFunc {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[o] = true
	}
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" {
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Add("Vary", "Origin")
		if !allowed[origin] {
			c.Next()
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", corsExpose)
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}

// ParseOrigins reads a comma-separated list of CORS origins, each exactly
// scheme://host[:port] with scheme http or https (no path, no "*").
func ParseOrigins(s string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil ||
			o != u.Scheme+"://"+u.Host {
			return nil, &originError{o}
		}
		out = append(out, o)
	}
	return out, nil
}

type originError struct{ origin string }

func (e *originError) Error() string {
	return "CORS origin " + strconv.Quote(e.origin) + " is not scheme://host[:port] (http or https, lower case, no path or wildcard)"
}
