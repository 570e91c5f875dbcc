package httpapi

import "github.com/ucx-export/ucx/gateway"

// routes registers the whole API on one screen. Every route here is in openapi.json and the
// reverse (TestOpenAPICoversRoutes).
func (s *Server) routes() {
	r := s.engine

	r.GET("/healthz", s.handle(s.healthz))
	r.GET("/readyz", s.handle(s.readyz))
	r.GET("/openapi.json", s.handle(s.openAPI))

	v1 := r.Group("/v1")
	v1.POST("/filings", s.handle(s.createFiling))
	v1.GET("/filings/:id", s.handle(s.getFiling))
	v1.GET("/filings/:id/document", s.handle(s.getFilingDocument))
	v1.POST("/filing-batches", s.handle(s.createFilingBatch))
	v1.GET("/vins/:vin", s.handle(s.checkVIN))
	v1.GET("/usccs/:code", s.handle(s.checkUSCC))
	v1.GET("/rulesets", s.handle(s.listRulesets))
	v1.GET("/vehicles/:vin/trace", s.handle(s.getTrace))
	v1.POST("/vehicles/:vin/events", s.handle(s.postEvent))
	v1.POST("/inspection-reports", s.handle(s.submitReport))
	v1.GET("/inspection-reports/:agency/:no", s.handle(s.getReport))
	v1.POST("/customs/clearances", s.handle(s.clearDeclaration))
	v1.GET("/customs/clearances/:no", s.handle(s.getClearance))
	v1.GET("/deadlines", s.handle(s.listDeadlines))
	v1.GET("/receipts/:txId", s.handle(s.getReceipt))
	v1.GET("/verify/vehicles/:code", s.handle(s.getDossier))
	r.GET("/verify/vehicles/:code", s.handle(s.getDossierPage))
	v1.POST("/licences", s.handle(s.issueLicence))
	v1.GET("/licences/:no", s.handle(s.getLicence))
	v1.POST("/licences/:no/revocation", s.handle(s.revokeLicence))
	v1.GET("/exporters", s.handle(s.listExporters))
	v1.GET("/exporters/:uscc/credit", s.handle(s.getCredit))
	v1.POST("/exporters/:uscc/credit-events", s.handle(s.postCreditEvent))
	v1.GET("/credit/codes", s.handle(s.listCreditCodes))
	v1.POST("/exporters/:uscc/credit-cases", s.handle(s.postCreditCase))
	v1.GET("/credit/cases", s.handle(s.listCreditCases))
	v1.POST("/credit/cases/:caseId/extension", s.handle(s.postCaseExtension))
	v1.POST("/credit/cases/:caseId/decision", s.handle(s.postCaseDecision))
	v1.POST("/exporters/:uscc/suspension", s.handle(s.setExporterStatus(gateway.ExporterSuspended)))
	v1.POST("/exporters/:uscc/reinstatement", s.handle(s.setExporterStatus(gateway.ExporterActive)))
	v1.GET("/exporters/:uscc/credit-report", s.handle(s.getCreditReport))
	v1.GET("/verify/credit/:code", s.handle(s.verifyCreditReport))
	r.GET("/verify/credit/:code", s.handle(s.verifyCreditReportPage))
	v1.GET("/keys/credit-report", s.handle(s.getCreditReportKey))
	v1.GET("/credit/changes", s.handle(s.listCreditChanges))
	v1.POST("/webhooks/subscriptions", s.handle(s.createSubscription))
	v1.GET("/webhooks/subscriptions", s.handle(s.listSubscriptions))
	v1.GET("/webhooks/subscriptions/:id", s.handle(s.getSubscription))
	v1.DELETE("/webhooks/subscriptions/:id", s.handle(s.deleteSubscription))
	v1.GET("/webhooks/subscriptions/:id/dead-letters", s.handle(s.listDeadLetters))
	v1.POST("/webhooks/subscriptions/:id/dead-letters/:eventId/redelivery", s.handle(s.redeliver))
	v1.GET("/audit", s.handle(s.listAudit))

	r.NoRoute(s.handle(notFound))
	r.NoMethod(s.handle(methodNotAllowed))
}

// Body limits.
const (
	maxFilingBody = 1 << 20  // 1 MiB
	maxBatchBody  = 32 << 20 // 32 MiB
	maxBatchRows  = 1000
)
