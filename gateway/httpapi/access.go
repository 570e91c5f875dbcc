package httpapi

import (
	"net/http"

	"github.com/ucx-export/ucx/gateway/ratelimit"
)

// publicRoute reports whether a request may come without a token: a public route of the
// policy table (isPublic), or no route at all (fullPath ""), which then answers 404 or 405
// rather than 401.
func publicRoute(method, fullPath string) bool {
	return fullPath == "" || isPublic(method, fullPath)
}

// routeClass is the rate-limit class of a route: public for the public routes (limited per
// client IP), read for GET and HEAD, write for every other method (limited per caller).
func routeClass(method, fullPath string) ratelimit.Class {
	switch {
	case publicRoute(method, fullPath):
		return ratelimit.Public
	case method == http.MethodGet || method == http.MethodHead:
		return ratelimit.Read
	default:
		return ratelimit.Write
	}
}
