package compliance

import (
	"strings"

	"github.com/ucx-export/ucx/gateway"
)

// --- export licence (brief §2) ---

var ruleLicenceNotFound = &Rule{
	Code: "LICENCE_NOT_FOUND", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第三条 export licence management",
	Pointers:  []string{"/licenceNo"},
	MessageEn: "export licence %s does not exist", MessageZh: "出口许可证 %s 不存在",
	check: func(in *Input) []hit { return when(isNotFound(in.LicenceErr), in.Filing.LicenceNo) },
}

var ruleLicenceNotIssued = &Rule{
	Code: "LICENCE_NOT_ISSUED", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第三条 only an issued licence is valid",
	Pointers:  []string{"/licenceNo"},
	MessageEn: "export licence %s is %s, not ISSUED", MessageZh: "出口许可证 %s 状态为 %s，非有效签发状态",
	check: func(in *Input) []hit {
		l := in.Licence
		if l == nil {
			return nil
		}
		return when(l.Status != gateway.LicenceIssued, l.LicenceNo, l.Status)
	},
}

var ruleLicenceExpired = &Rule{
	Code: "LICENCE_EXPIRED", Severity: gateway.SeverityFail, Document: "货物出口许可证管理办法", Clause: "validity ≤ 6 months, within the issue year (brief §2.5)",
	Pointers:  []string{"/licenceNo", "/applicationDate"},
	MessageEn: "export licence %s is not valid on %s (valid %s to %s)", MessageZh: "出口许可证 %s 在 %s 不在有效期内（%s 至 %s）",
	check: func(in *Input) []hit {
		l, app := in.Licence, in.Filing.ApplicationDate
		if l == nil || !l.IssueDate.Valid() || !l.ExpiryDate.Valid() {
			return nil // a licence without validity dates is not ISSUED: LICENCE_NOT_ISSUED says so
		}
		return when(app > l.ExpiryDate || app < l.IssueDate, l.LicenceNo, app, l.IssueDate, l.ExpiryDate)
	},
}

var ruleLicenceExporter = &Rule{
	Code: "LICENCE_EXPORTER_MISMATCH", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第三条 licence holder",
	Pointers:  []string{"/licenceNo", "/exporter/uscc"},
	MessageEn: "export licence %s is held by %s, not %s", MessageZh: "出口许可证 %s 的持证企业为 %s，而非 %s",
	check: func(in *Input) []hit {
		l := in.Licence
		if l == nil || !in.USCC.Valid {
			return nil
		}
		return when(l.ExporterUSCC != in.USCC.Normalized, l.LicenceNo, l.ExporterUSCC, in.USCC.Normalized)
	},
}

var ruleLicenceDestination = &Rule{
	Code: "LICENCE_DESTINATION_MISMATCH", Severity: gateway.SeverityFail, Document: "出口许可证证面内容规范", Clause: "one importing country per licence (brief §2.3, R-L-05)",
	Pointers:  []string{"/licenceNo", "/destinationCountry"},
	MessageEn: "export licence %s is for %s, the filing names %s", MessageZh: "出口许可证 %s 的目的国为 %s，申报为 %s",
	check: func(in *Input) []hit {
		l := in.Licence
		if l == nil {
			return nil
		}
		return when(l.DestinationCountry != in.Filing.DestinationCountry, l.LicenceNo, l.DestinationCountry, in.Filing.DestinationCountry)
	},
}

var ruleLicenceVIN = &Rule{
	Code: "LICENCE_VIN_NOT_LISTED", Severity: gateway.SeverityFail, Document: doc648, Clause: "licence schedule (附表) lists each vehicle (brief §2.6, R-L-02)",
	Pointers:  []string{"/licenceNo", "/vehicle/vin"},
	MessageEn: "VIN %s is not on the schedule of export licence %s", MessageZh: "车辆识别代号 %s 不在出口许可证 %s 的附表中",
	check: func(in *Input) []hit {
		l := in.Licence
		if l == nil || !in.VIN.Valid {
			return nil
		}
		return when(l.Line(in.VIN.Normalized) == nil, in.VIN.Normalized, l.LicenceNo)
	},
}

var ruleLicenceData = &Rule{
	Code: "LICENCE_DATA_MISMATCH", Severity: gateway.SeverityFail, Document: doc648, Clause: "§licence data standardisation: brand, model, registration and transfer-pending-export dates as on the registration certificate",
	MessageEn: "the licence schedule's %s (%s) differs from the filing (%s)", MessageZh: "许可证附表中的%[1]s（%[2]s）与申报（%[3]s）不一致",
	check: func(in *Input) []hit {
		if in.Licence == nil || !in.VIN.Valid {
			return nil
		}
		line := in.Licence.Line(in.VIN.Normalized)
		if line == nil {
			return nil
		}
		v := &in.Filing.Vehicle
		var hits []hit
		cmp := func(field, ptr, onLicence, filed string) {
			if !strings.EqualFold(strings.TrimSpace(onLicence), strings.TrimSpace(filed)) {
				hits = append(hits, hit{pointers: []string{ptr, "/licenceNo"}, args: []any{field, onLicence, filed}})
			}
		}
		cmp("brand", "/vehicle/brand", line.Brand, v.Brand)
		cmp("model", "/vehicle/model", line.Model, v.Model)
		cmp("registrationDate", "/vehicle/registrationDate", string(line.RegistrationDate), string(v.RegistrationDate))
		cmp("transferPendingExportDate", "/vehicle/transferPendingExportDate", string(line.TransferPendingExportDate), string(v.TransferPendingExportDate))
		return hits
	},
}

var ruleLicenceNoYear = &Rule{
	Code: "LICENCE_NO_YEAR", Severity: gateway.SeverityWarn, Document: "出口许可证证面内容规范", Clause: "licence number YY-CC-NNNNNN, YY = issue year (brief §2.4)",
	Pointers:  []string{"/licenceNo"},
	MessageEn: "licence number %s does not start with the issue year %s", MessageZh: "许可证号 %s 的年份与签发年份 %s 不符",
	check: func(in *Input) []hit {
		l := in.Licence
		if l == nil || len(l.IssueDate) < 4 || len(l.LicenceNo) < 2 {
			return nil
		}
		return when(l.LicenceNo[:2] != string(l.IssueDate[2:4]), l.LicenceNo, l.IssueDate[:4])
	},
}

// --- 180-day rule (648号 §一(一)) ---

// afterSalesWindowDays is the 180-day window (inclusive) from registration to application.
const afterSalesWindowDays = 180

func within180(in *Input) (int, bool) {
	n, err := days(in.Filing.Vehicle.RegistrationDate, in.Filing.ApplicationDate)
	return n, err == nil && n <= afterSalesWindowDays
}

var ruleAfterSalesRequired = &Rule{
	Code: "AFTER_SALES_CONFIRMATION_REQUIRED", Severity: gateway.SeverityFail, Document: doc648, Clause: "§一(一) vehicles exported ≤ 180 days after registration need the maker's after-sales service confirmation",
	Pointers:  []string{"/afterSalesConfirmation", "/vehicle/registrationDate"},
	MessageEn: "registered %d days before the application (≤ 180): the maker's after-sales service confirmation is required", MessageZh: "车辆注册登记至申请仅 %d 天（不超过180天），须提交生产企业出具的售后维修服务确认书",
	check: func(in *Input) []hit {
		n, ok := within180(in)
		return when(ok && in.Filing.AfterSalesConfirmation == nil, n)
	},
}

var ruleAfterSalesMismatch = &Rule{
	Code: "AFTER_SALES_CONFIRMATION_MISMATCH", Severity: gateway.SeverityFail, Document: doc648, Clause: "§一(一) the confirmation names destination and vehicle",
	MessageEn: "the after-sales confirmation's %s (%s) differs from the filing (%s)", MessageZh: "售后维修服务确认书中的%[1]s（%[2]s）与申报（%[3]s）不一致",
	check: func(in *Input) []hit {
		c := in.Filing.AfterSalesConfirmation
		if c == nil {
			return nil
		}
		v := &in.Filing.Vehicle
		var hits []hit
		cmp := func(field, ptr, got, want string) {
			if !strings.EqualFold(strings.TrimSpace(got), strings.TrimSpace(want)) {
				hits = append(hits, hit{pointers: []string{ptr}, args: []any{field, got, want}})
			}
		}
		cmp("brand", "/afterSalesConfirmation/brand", c.Brand, v.Brand)
		cmp("model", "/afterSalesConfirmation/model", c.Model, v.Model)
		cmp("destinationCountry", "/afterSalesConfirmation/destinationCountry", c.DestinationCountry, in.Filing.DestinationCountry)
		if c.IssueDate > in.Filing.ApplicationDate {
			hits = append(hits, hit{pointers: []string{"/afterSalesConfirmation/issueDate"}, args: []any{"issueDate", string(c.IssueDate), "≤ " + string(in.Filing.ApplicationDate)}})
		}
		for i, o := range c.ServiceNetwork {
			if o.Country != in.Filing.DestinationCountry {
				hits = append(hits, hit{pointers: []string{"/afterSalesConfirmation/serviceNetwork/" + itoa(i) + "/country"}, args: []any{"service outlet country", o.Country, in.Filing.DestinationCountry}})
			}
		}
		return hits
	},
}

// --- modified vehicles (648号 §二(四)) ---

var ruleModifiedUndeclared = &Rule{
	Code: "MODIFIED_VEHICLE_UNDECLARED", Severity: gateway.SeverityFail, Document: doc648, Clause: "§二(四) declare chassis brand, modified brand and model, proof of authenticity",
	MessageEn: "modified vehicle: %s missing", MessageZh: "改装车缺少：%s",
	check: func(in *Input) []hit {
		v := &in.Filing.Vehicle
		if !v.Modified {
			return nil
		}
		m := v.Modification
		if m == nil {
			return oneAt([]string{"/vehicle/modification"}, "modification")
		}
		var ptrs, miss []string
		for _, f := range []struct{ name, val string }{{"chassisBrand", m.ChassisBrand}, {"modifiedBrand", m.ModifiedBrand}, {"modifiedModel", m.ModifiedModel}, {"proofRef", m.ProofRef}} {
			if strings.TrimSpace(f.val) == "" {
				ptrs, miss = append(ptrs, "/vehicle/modification/"+f.name), append(miss, f.name)
			}
		}
		if len(miss) == 0 {
			return nil
		}
		return oneAt(ptrs, strings.Join(miss, ", "))
	},
}

var ruleModifiedNotApproved = &Rule{
	Code: "MODIFIED_VEHICLE_NOT_APPROVED", Severity: gateway.SeverityFail, Document: doc648, Clause: "§二(四) modified product in the MIIT announcement catalogue with valid CCC",
	MessageEn: "modified vehicle not approved: %s", MessageZh: "改装车不符合要求：%s",
	check: func(in *Input) []hit {
		v := &in.Filing.Vehicle
		if !v.Modified || v.Modification == nil {
			return nil
		}
		var ptrs, why []string
		if !v.Modification.MIITCatalogued {
			ptrs, why = append(ptrs, "/vehicle/modification/miitCatalogued"), append(why, "not in the MIIT catalogue")
		}
		if strings.TrimSpace(v.Modification.CCCCertNo) == "" {
			ptrs, why = append(ptrs, "/vehicle/modification/cccCertNo"), append(why, "no CCC certificate")
		}
		if len(why) == 0 {
			return nil
		}
		return oneAt(ptrs, strings.Join(why, "; "))
	},
}

// --- destination access standard (25号; brief §1.4) ---

var ruleDeclarationRequired = &Rule{
	Code: "DESTINATION_DECLARATION_REQUIRED", Severity: gateway.SeverityFail, Document: doc25, Clause: "destination with an access standard: declaration of conformity",
	Pointers:  []string{"/destinationDeclaration"},
	MessageEn: "%s has an access standard (%s): a destination-standard declaration is required", MessageZh: "目的国 %s 有准入标准（%s），须提交符合目的国准入标准声明",
	check: func(in *Input) []hit {
		d := in.Destination
		if d == nil {
			return nil
		}
		return when(d.HasAccessStandard && in.Filing.DestinationDeclaration == nil, d.Country, d.StandardRef)
	},
}

var ruleDeclarationMismatch = &Rule{
	Code: "DESTINATION_DECLARATION_MISMATCH", Severity: gateway.SeverityFail, Document: doc25, Clause: "declaration by the exporter for this vehicle and destination",
	MessageEn: "the declaration's %s (%s) differs from the filing (%s)", MessageZh: "准入声明中的%[1]s（%[2]s）与申报（%[3]s）不一致",
	check: func(in *Input) []hit {
		d := in.Filing.DestinationDeclaration
		if d == nil {
			return nil
		}
		var hits []hit
		if d.DestinationCountry != in.Filing.DestinationCountry {
			hits = append(hits, hit{pointers: []string{"/destinationDeclaration/destinationCountry"}, args: []any{"destinationCountry", d.DestinationCountry, in.Filing.DestinationCountry}})
		}
		if in.USCC.Valid && d.Declarant.USCC != in.USCC.Normalized {
			hits = append(hits, hit{pointers: []string{"/destinationDeclaration/declarant/uscc"}, args: []any{"declarant", d.Declarant.USCC, in.USCC.Normalized}})
		}
		if std := in.Destination; std != nil && std.HasAccessStandard && std.StandardRef != "" &&
			!strings.Contains(strings.ToUpper(d.StandardRef), strings.ToUpper(std.StandardRef)) {
			hits = append(hits, hit{pointers: []string{"/destinationDeclaration/standardRef"}, args: []any{"standardRef", d.StandardRef, std.StandardRef}})
		}
		if d.DeclarationDate > in.Filing.ApplicationDate {
			hits = append(hits, hit{pointers: []string{"/destinationDeclaration/declarationDate"}, args: []any{"declarationDate", string(d.DeclarationDate), "≤ " + string(in.Filing.ApplicationDate)}})
		}
		return hits
	},
}
