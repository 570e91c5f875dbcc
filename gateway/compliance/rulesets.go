package compliance

// builtinRulesets returns the rulesets in force from 2024-03-01 (2024年第6号公告, 25号) and
// from 2026-01-01 (648号 adds the 180-day rule, licence data standardisation and modified
// vehicles). The order of rules is the order of results.
func builtinRulesets() []*Ruleset {
	base := []*Rule{
		ruleApplicationFuture, ruleDates,
		ruleVINLength, ruleVINCharset, ruleVINCheckDigit, ruleVINModelYearCode, ruleVINModelYear,
		ruleUSCCLength, ruleUSCCCharset, ruleUSCCDivision, ruleUSCCAuthority, ruleUSCCCheckChar, ruleUSCCNotEnterprise,
		ruleResidentIDLength, ruleResidentIDCharset, ruleResidentIDBirthDate, ruleResidentIDDivision, ruleResidentIDCheckDigit, ruleOwnerIDInvalid,
		ruleExporterNotFiled, ruleExporterSuspended,
		ruleLookupUnavailable, ruleMaintQueryWaived,
		ruleStandardMismatch, ruleReportNotConforming, ruleReportInconsistent, ruleReportAccident, ruleReportFlood, ruleReportFire,
		ruleAgencyNotAccredited, ruleReportDates, ruleReportExpired, ruleVINMismatch, ruleDestinationMismatch, ruleReportVehicleMismatch,
		rulePoliceNotFound, rulePoliceBlocked, rulePoliceWarn, ruleMortgaged, ruleTransferPending, rulePoliceMismatch,
		ruleServiceLife, ruleMileageGuide,
		ruleLicenceNotFound, ruleLicenceNotIssued, ruleLicenceExpired, ruleLicenceExporter, ruleLicenceDestination, ruleLicenceVIN, ruleLicenceNoYear,
		ruleDeclarationRequired, ruleDeclarationMismatch,
		ruleMaintRollback, ruleMaintJump, ruleMaintStructural, ruleMaintAirbag, ruleMaintFloodFire, ruleMaintVINMismatch, ruleMaintNoRecords,
	}
	rules2026 := append(append([]*Rule{}, base...),
		ruleCreditReview, ruleLicenceData, ruleAfterSalesRequired, ruleAfterSalesMismatch, ruleModifiedUndeclared, ruleModifiedNotApproved)
	return []*Ruleset{
		{Version: "2024-03-01", Effective: "2024-03-01", Documents: []string{docNo6, doc25, docWMT}, Rules: base},
		{Version: "2026-01-01", Effective: "2026-01-01", Documents: []string{docNo6, doc25, doc648, docWMT}, Rules: rules2026},
	}
}
