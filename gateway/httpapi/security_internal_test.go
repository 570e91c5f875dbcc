package httpapi

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
	"github.com/ucx-export/ucx/gateway/ratelimit"
)

// TestPrincipalReachesHandlers: the authenticated caller is in the request context the
// handlers pass to the services; public routes and a server without Auth carry none.
func TestPrincipalReachesHandlers(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	v, err := auth.NewVerifier([]ed25519.PublicKey{key.Public().(ed25519.PublicKey)})
	require.NoError(t, err)
	tok, err := auth.NewIssuer(key).Issue("officer-9", gateway.RoleCustoms, "customs-5300", time.Hour)
	require.NoError(t, err)

	whoami := func(s *Server, path, token string) *gateway.Principal {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var p *gateway.Principal
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
		return p
	}
	echo := func(c *gin.Context) { c.JSON(http.StatusOK, gateway.PrincipalFrom(c.Request.Context())) }

	// Two test routes, in the policy table while the test runs: one for any role, one public.
	policy["GET /v1/test/whoami"] = access{roles: anyRole}
	policy["GET /v1/test/public/whoami"] = access{public: true}
	t.Cleanup(func() { delete(policy, "GET /v1/test/whoami"); delete(policy, "GET /v1/test/public/whoami") })
	s := New(Config{Auth: v, Limiter: ratelimit.NewMemory(ratelimit.DefaultRates())})
	s.engine.GET("/v1/test/whoami", echo)
	s.engine.GET("/v1/test/public/whoami", echo)
	p := whoami(s, "/v1/test/whoami", tok)
	require.NotNil(t, p)
	assert.Equal(t, "officer-9", p.Subject)
	assert.Equal(t, gateway.RoleCustoms, p.Role)
	assert.Equal(t, "customs-5300", p.Org)
	assert.Equal(t, auth.KeyID(key.Public().(ed25519.PublicKey)), p.KeyID)
	assert.NotEmpty(t, p.TokenID)
	assert.Nil(t, whoami(s, "/v1/test/public/whoami", tok), "a public route ignores the token")

	open := New(Config{})
	open.engine.GET("/v1/test/whoami", echo)
	assert.Nil(t, whoami(open, "/v1/test/whoami", ""), "without Auth nobody is authenticated, and nothing is refused")
}

func TestRouteClasses(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         ratelimit.Class
	}{
		{"GET", "/healthz", ratelimit.Public},
		{"GET", "/v1/verify/credit/:code", ratelimit.Public},
		{"GET", "/verify/vehicles/:code", ratelimit.Public},
		{"GET", "/v1/keys/credit-report", ratelimit.Public},
		{"GET", "", ratelimit.Public},
		{"GET", "/v1/filings/:id", ratelimit.Read},
		{"POST", "/v1/filings", ratelimit.Write},
		{"GET", "/v1/receipts/:txId", ratelimit.Public},
		{"POST", "/v1/verify/credit/:code", ratelimit.Write},
		{"DELETE", "/v1/webhooks/subscriptions/:id", ratelimit.Write},
	} {
		assert.Equal(t, c.want, routeClass(c.method, c.path), "%s %s", c.method, c.path)
	}
}
