package httpapi

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ucx-export/ucx/gateway"
)

// TestPolicyNamesScopes: every route an exporter or an inspection agency may call names how it
// keeps them to their own organisation's data, unless it holds no one's (the reference
// routes). A route opened to them without a scope fails here, so the handler's check is not
// forgotten.
func TestPolicyNamesScopes(t *testing.T) {
	reference := []string{"GET /v1/vins/:vin", "GET /v1/usccs/:code", "GET /v1/rulesets", "GET /v1/credit/codes"}
	for route, a := range policy {
		scopedRole := slices.Contains(a.roles, gateway.RoleExporter) || slices.Contains(a.roles, gateway.RoleInspector)
		if a.public || !scopedRole || slices.Contains(reference, route) {
			continue
		}
		assert.NotEmpty(t, a.scope, "%s is open to exporters or inspectors and names no scope", route)
	}
}
