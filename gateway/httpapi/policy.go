package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
)

// Who may call what (issue 7 §2): one table, route × role, with the scoping rule each route
// applies to the caller's organisation. TestPolicyCoversRoutes fails when a registered route
// is missing here (or the table names a route that is not registered), and TestPolicyTable
// spells out every route × role decision.
//
// Scoping: exporters and inspection agencies act for their own organisation only. A resource
// of another organisation answers 404 ENOTFOUND, exactly as a missing one, so its existence
// does not leak; a write naming another organisation (a filing of another exporter, a report
// of another agency) is 403 EFORBIDDEN. The agencies (police, customs, commerce) act as their
// organisation: a body's "org", when given, must be the caller's, and the ledger lets each
// post only its own event types and credit codes (by MSP ID).
type access struct {
	// public routes need no token: health, the API description, the verification pages
	// anyone abroad may open, published keys and receipt proofs.
	public bool
	roles  []gateway.Role
	// scope names how the handler hides other organisations' resources from exporters and
	// inspectors ("" where the route holds nothing of theirs).
	scope string
}

// Scopes (what "own" means on the route).
const (
	scopePathUSCC     = "the exporter in the path is the caller"
	scopeFiling       = "the filing's exporter is the caller"
	scopeVehicle      = "the vehicle's current filing is the caller's"
	scopeLicence      = "the licence's holder is the caller"
	scopeReportAgency = "the report's agency is the caller"
	scopeOwnWrite     = "the body's exporter or agency is the caller (403 otherwise)"
	scopeSubscription = "an agency's own subscriptions (admin: all)"
)

var (
	anyRole    = gateway.Roles
	agencies   = []gateway.Role{gateway.RolePolice, gateway.RoleCustoms, gateway.RoleCommerce}
	officials  = []gateway.Role{gateway.RolePolice, gateway.RoleCustoms, gateway.RoleCommerce, gateway.RoleAdmin}
	exporter   = gateway.RoleExporter
	inspector  = gateway.RoleInspector
	customsR   = gateway.RoleCustoms
	commerce   = gateway.RoleCommerce
	withAgency = func(rs ...gateway.Role) []gateway.Role { return append(append([]gateway.Role{}, agencies...), rs...) }
)

// policy is the table, keyed by "METHOD path" as Gin registers the route.
var policy = map[string]access{
	"GET /healthz":                  {public: true},
	"GET /readyz":                   {public: true},
	"GET /openapi.json":             {public: true},
	"GET /v1/verify/vehicles/:code": {public: true},
	"GET /verify/vehicles/:code":    {public: true},
	"GET /v1/verify/credit/:code":   {public: true},
	"GET /verify/credit/:code":      {public: true},
	"GET /v1/keys/credit-report":    {public: true},
	"GET /v1/receipts/:txId":        {public: true},

	// Identity checks and reference tables hold no one's data.
	"GET /v1/vins/:vin":                      {roles: anyRole},
	"GET /v1/usccs/:code":                    {roles: anyRole},
	"GET /v1/rulesets":                       {roles: anyRole},
	"GET /v1/credit/codes":                   {roles: anyRole},
	"POST /v1/filings":                       {roles: []gateway.Role{exporter}, scope: scopeOwnWrite},
	"POST /v1/filing-batches":                {roles: []gateway.Role{exporter}, scope: scopeOwnWrite},
	"GET /v1/filings/:id":                    {roles: withAgency(exporter), scope: scopeFiling},
	"GET /v1/filings/:id/document":           {roles: withAgency(exporter), scope: scopeFiling},
	"GET /v1/vehicles/:vin/trace":            {roles: withAgency(exporter), scope: scopeVehicle},
	"POST /v1/vehicles/:vin/events":          {roles: agencies},
	"POST /v1/inspection-reports":            {roles: []gateway.Role{inspector}, scope: scopeOwnWrite},
	"GET /v1/inspection-reports/:agency/:no": {roles: withAgency(inspector), scope: scopeReportAgency},
	"POST /v1/customs/clearances":            {roles: []gateway.Role{customsR}},
	"GET /v1/customs/clearances/:no":         {roles: agencies},
	"GET /v1/deadlines":                      {roles: agencies},
	"POST /v1/licences":                      {roles: []gateway.Role{commerce}},
	"GET /v1/licences/:no":                   {roles: withAgency(exporter), scope: scopeLicence},
	"POST /v1/licences/:no/revocation":       {roles: []gateway.Role{commerce}},

	// Exporter credit: commerce reviews and decides; customs and police act on it; the
	// exporter sees its own, objects and applies for repair.
	"GET /v1/exporters":                                                    {roles: agencies},
	"GET /v1/exporters/:uscc/credit":                                       {roles: withAgency(exporter), scope: scopePathUSCC},
	"GET /v1/exporters/:uscc/credit-report":                                {roles: []gateway.Role{exporter, commerce}, scope: scopePathUSCC},
	"POST /v1/exporters/:uscc/credit-events":                               {roles: agencies},
	"POST /v1/exporters/:uscc/credit-cases":                                {roles: []gateway.Role{exporter}, scope: scopePathUSCC},
	"GET /v1/credit/cases":                                                 {roles: []gateway.Role{commerce}},
	"POST /v1/credit/cases/:caseId/extension":                              {roles: []gateway.Role{commerce}},
	"POST /v1/credit/cases/:caseId/decision":                               {roles: []gateway.Role{commerce}},
	"POST /v1/exporters/:uscc/suspension":                                  {roles: []gateway.Role{commerce}},
	"POST /v1/exporters/:uscc/reinstatement":                               {roles: []gateway.Role{commerce}},
	"GET /v1/credit/changes":                                               {roles: officials},
	"POST /v1/webhooks/subscriptions":                                      {roles: officials, scope: scopeSubscription},
	"GET /v1/webhooks/subscriptions":                                       {roles: officials, scope: scopeSubscription},
	"GET /v1/webhooks/subscriptions/:id":                                   {roles: officials, scope: scopeSubscription},
	"DELETE /v1/webhooks/subscriptions/:id":                                {roles: officials, scope: scopeSubscription},
	"GET /v1/webhooks/subscriptions/:id/dead-letters":                      {roles: officials, scope: scopeSubscription},
	"POST /v1/webhooks/subscriptions/:id/dead-letters/:eventId/redelivery": {roles: officials, scope: scopeSubscription},

	// The audit log of personal-data and credit reads (issue 7 §3): commerce and the operators.
	"GET /v1/audit": {roles: []gateway.Role{commerce, gateway.RoleAdmin}},
}

// allowed reports whether role may call the route (method and Gin path); public routes allow
// anyone, an unknown route no one.
func allowed(method, path string, role gateway.Role) bool {
	a, ok := policy[method+" "+path]
	if !ok {
		return false
	}
	if a.public {
		return true
	}
	for _, r := range a.roles {
		if r == role {
			return true
		}
	}
	return false
}

// isPublic reports whether a route needs no token.
func isPublic(method, path string) bool { return policy[method+" "+path].public }

// authorize enforces the table on authenticated requests: a role the route does not list is
// 403 EFORBIDDEN. Unmatched paths pass on to the 404/405 answers. Without authentication (no
// principal: a gateway built without a verifier, for tests) it does nothing.
func (s *Server) authorize() gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error {
		p := gateway.PrincipalFrom(c.Request.Context())
		path := c.FullPath()
		if p == nil || path == "" || isPublic(c.Request.Method, path) {
			return nil
		}
		if !allowed(c.Request.Method, path, p.Role) {
			return gateway.Errorf(gateway.EFORBIDDEN, "the %s role may not call %s %s", "%s 角色无权调用 %s %s", p.Role, c.Request.Method, path)
		}
		return nil
	})
}

// scoped returns the caller's organisation when its role acts for its own organisation only
// (exporters and inspection agencies); ok is false for everyone else and without a principal.
func scoped(c *gin.Context) (org string, ok bool) {
	p := gateway.PrincipalFrom(c.Request.Context())
	if p == nil || (p.Role != gateway.RoleExporter && p.Role != gateway.RoleInspector) {
		return "", false
	}
	return p.Org, true
}

// own hides a resource of another organisation from a scoped caller: ENOTFOUND, as when it
// does not exist. what names the resource in the message ("filing", "vehicle", …).
func own(c *gin.Context, owner, what string) error {
	if org, ok := scoped(c); ok && org != owner {
		return gateway.Errorf(gateway.ENOTFOUND, "%s not found", "未找到%s", what)
	}
	return nil
}

// ownWrite refuses a scoped caller's write for another organisation: 403.
func ownWrite(c *gin.Context, owner, what string) error {
	if org, ok := scoped(c); ok && org != owner {
		return gateway.Errorf(gateway.EFORBIDDEN, "a %s of organisation %s may not be submitted by %s", "不得代其他机构 %[2]s 提交%[1]s（调用方 %[3]s）", what, owner, org)
	}
	return nil
}

// actingOrg is the organisation an agency's write acts as: its role's (police, customs,
// commerce). bodyOrg, when given, must be that organisation (403 otherwise). Without a
// principal (tests) the body names it.
func actingOrg(c *gin.Context, bodyOrg string) (string, error) {
	p := gateway.PrincipalFrom(c.Request.Context())
	if p == nil {
		return bodyOrg, nil
	}
	org := string(p.Role)
	if bodyOrg != "" && bodyOrg != org {
		return "", gateway.Errorf(gateway.EFORBIDDEN, "the caller acts as %s, not %q", "调用方代表 %s，而非 %q", org, bodyOrg).
			WithDetails(gateway.Detail{Pointer: "/org", Code: gateway.EFORBIDDEN, Message: "not the caller's organisation", MessageZh: "非调用方所属机构"})
	}
	return org, nil
}

// agencyWrite is the organisation and the user an agency's write is recorded as (actingOrg,
// actingUser); without a principal the body's organisation must be a known one.
func agencyWrite(c *gin.Context, bodyOrg, bodyActor string) (org, actor string, err error) {
	if org, err = actingOrg(c, bodyOrg); err != nil {
		return "", "", err
	}
	if err := checkOrg(org); err != nil {
		return "", "", err
	}
	actor, err = actingUser(c, bodyActor)
	return org, actor, err
}

// actingUser is who an agency's write is recorded as: the token's subject. bodyActor, when
// given, must be it (403 otherwise). Without a principal (tests) the body names it.
func actingUser(c *gin.Context, bodyActor string) (string, error) {
	p := gateway.PrincipalFrom(c.Request.Context())
	if p == nil {
		return bodyActor, nil
	}
	if bodyActor != "" && bodyActor != p.Subject {
		return "", gateway.Errorf(gateway.EFORBIDDEN, "the caller is %s, not %q", "调用方为 %s，而非 %q", p.Subject, bodyActor).
			WithDetails(gateway.Detail{Pointer: "/actor", Code: gateway.EFORBIDDEN, Message: "not the caller", MessageZh: "非调用方本人"})
	}
	return p.Subject, nil
}

// PolicyRoutes lists the routes the access table covers, "METHOD path" (for tests and docs).
func PolicyRoutes() []string {
	out := make([]string, 0, len(policy))
	for k := range policy {
		out = append(out, k)
	}
	return out
}
