package compliance

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/identity"
)

// Source documents, cited by every rule.
const (
	docNo6   = "2024年第6号公告"
	doc25    = "商贸发〔2024〕25号"
	doc648   = "商贸函〔2025〕648号"
	docWMT   = "WM/T 8-2022 / WM/T 9-2022"
	docVIN   = "GB 16735-2019"
	docUSCC  = "GB 32100-2015"
	docID    = "GB 11643-1999"
	docScrap = "机动车强制报废标准规定 (2012)"
	docUCX   = "UCX policy (ASSUMPTION, docs/rules.md)"
)

func one(args ...any) []hit               { return []hit{{args: args}} }
func oneAt(p []string, args ...any) []hit { return []hit{{pointers: p, args: args}} }
func sev(s string, args ...any) []hit     { return []hit{{severity: s, args: args}} }
func when(cond bool, args ...any) []hit {
	if cond {
		return one(args...)
	}
	return nil
}

// --- application ---

var ruleApplicationFuture = &Rule{
	Code: "APPLICATION_DATE_FUTURE", Severity: gateway.SeverityFail, Document: docUCX, Clause: "application date",
	Pointers:  []string{"/applicationDate"},
	MessageEn: "application date %s lies in the future", MessageZh: "申请日期 %s 晚于当前日期",
	check: func(in *Input) []hit {
		d := in.Filing.ApplicationDate.Time()
		return when(d.After(in.Today.AddDate(0, 0, in.cfg.FutureToleranceDays)), in.Filing.ApplicationDate)
	},
}

var ruleDates = &Rule{
	Code: "DATE_INCONSISTENT", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第六条(五) inconsistent with the registration certificate",
	MessageEn: "dates are out of order: %[1]s", MessageZh: "日期先后顺序不合理：%[2]s",
	check: func(in *Input) []hit {
		v, app := &in.Filing.Vehicle, in.Filing.ApplicationDate
		var hits []hit
		add := func(pointers []string, en, zh string) {
			hits = append(hits, hit{pointers: pointers, args: []any{en, zh}})
		}
		if v.RegistrationDate > app {
			add([]string{"/vehicle/registrationDate", "/applicationDate"},
				fmt.Sprintf("registration %s after application %s", v.RegistrationDate, app),
				fmt.Sprintf("注册登记日期 %s 晚于申请日期 %s", v.RegistrationDate, app))
		}
		if v.ManufactureDate != "" && v.ManufactureDate > v.RegistrationDate {
			add([]string{"/vehicle/manufactureDate", "/vehicle/registrationDate"},
				fmt.Sprintf("manufacture %s after registration %s", v.ManufactureDate, v.RegistrationDate),
				fmt.Sprintf("出厂日期 %s 晚于注册登记日期 %s", v.ManufactureDate, v.RegistrationDate))
		}
		if t := v.TransferPendingExportDate; t != "" && (t < v.RegistrationDate || t > app) {
			add([]string{"/vehicle/transferPendingExportDate"},
				fmt.Sprintf("transfer pending export %s is not between registration %s and application %s", t, v.RegistrationDate, app),
				fmt.Sprintf("转让待出口日期 %s 不在注册登记日期 %s 与申请日期 %s 之间", t, v.RegistrationDate, app))
		}
		return hits
	},
}

// --- identity (GB 16735, GB 32100): the identity package's findings become rule results ---

func identityRule(code, document, clause, pointer, en, zh string, findings func(in *Input) []identity.Finding) *Rule {
	return &Rule{
		Code: code, Severity: gateway.SeverityFail, Document: document, Clause: clause, Pointers: []string{pointer},
		MessageEn: en, MessageZh: zh,
		check: func(in *Input) []hit {
			for _, f := range findings(in) {
				if f.Code == code {
					return []hit{{severity: string(f.Severity), args: []any{f.MessageEn, f.MessageZh}}}
				}
			}
			return nil
		},
	}
}

// identity messages come whole from the identity package: the template picks the language.
func vinRule(code, clause string) *Rule {
	r := identityRule(code, docVIN, clause, "/vehicle/vin", "%[1]s", "%[2]s", func(in *Input) []identity.Finding { return in.VIN.Findings })
	return r
}

func usccRule(code, clause string) *Rule {
	return identityRule(code, docUSCC, clause, "/exporter/uscc", "%[1]s", "%[2]s", func(in *Input) []identity.Finding { return in.USCC.Findings })
}

var (
	ruleVINLength        = vinRule("VIN_LENGTH", "4.1 (17 characters)")
	ruleVINCharset       = vinRule("VIN_CHARSET", "4.2 (I, O, Q not allowed)")
	ruleVINCheckDigit    = vinRule("VIN_CHECK_DIGIT", "附录 check digit (position 9); FAIL for China-market WMI L…, WARN otherwise")
	ruleVINModelYearCode = vinRule("VIN_MODEL_YEAR_CODE", "position 10 model-year code")
	ruleVINModelYear     = vinRule("VIN_MODEL_YEAR", "position 10 model year vs registration date")
	ruleUSCCLength       = usccRule("USCC_LENGTH", "4 (18 characters)")
	ruleUSCCCharset      = usccRule("USCC_CHARSET", "4 (character set without I, O, S, V, Z)")
	ruleUSCCDivision     = usccRule("USCC_DIVISION", "4 (positions 3–8 administrative division)")
	ruleUSCCAuthority    = usccRule("USCC_REGISTRATION_AUTHORITY", "附录A registration authority code")
	ruleUSCCCheckChar    = usccRule("USCC_CHECK_CHAR", "5 check character (WARN: some early legal codes fail it)")
)

// --- the previous owner's identity number (GB 11643 for resident IDs): personal data, so
// the messages never quote it ---

func residentIDRule(code, clause string) *Rule {
	return identityRule(code, docID, clause, "/previousOwner/idNumber", "%[1]s", "%[2]s", func(in *Input) []identity.Finding {
		if id := in.ownerResidentID(); id != nil {
			return id.Findings
		}
		return nil
	})
}

var (
	ruleResidentIDLength     = residentIDRule("RESIDENT_ID_LENGTH", "4 (18 characters)")
	ruleResidentIDCharset    = residentIDRule("RESIDENT_ID_CHARSET", "4 (17 digits and a check character 0-9 or X)")
	ruleResidentIDBirthDate  = residentIDRule("RESIDENT_ID_BIRTH_DATE", "4.3 birth date code (positions 7-14)")
	ruleResidentIDDivision   = warnRule(residentIDRule("RESIDENT_ID_DIVISION", "4.2 address code (positions 1-6, GB/T 2260)"))
	ruleResidentIDCheckDigit = residentIDRule("RESIDENT_ID_CHECK_DIGIT", "4.5 check character (ISO 7064 MOD 11-2)")
)

func warnRule(r *Rule) *Rule {
	r.Severity = gateway.SeverityWarn
	return r
}

// ownerResidentID parses the previous owner's resident ID number once per evaluation; nil
// when the filing names no owner or the owner's ID is of another type.
func (in *Input) ownerResidentID() *identity.ResidentID {
	o := in.Filing.PreviousOwner
	if o == nil || o.IDType != gateway.OwnerResidentID {
		return nil
	}
	if in.residentID == nil {
		id := identity.ParseResidentID(o.IDNumber)
		in.residentID = &id
	}
	return in.residentID
}

// passportNo: 5–20 letters and digits once normalised (ASSUMPTION: no country's passport
// number is shorter or longer, and none carries other characters).
var passportNo = regexp.MustCompile(`^[A-Z0-9]{5,20}$`)

var ruleOwnerIDInvalid = &Rule{
	Code: "OWNER_ID_INVALID", Severity: gateway.SeverityFail, Document: docUCX, Clause: "previous owner's USCC (GB 32100) or passport number (5–20 letters and digits)",
	Pointers:  []string{"/previousOwner/idNumber"},
	MessageEn: "the previous owner's %[1]s is malformed", MessageZh: "原机动车所有人的%[2]s格式错误",
	check: func(in *Input) []hit {
		o := in.Filing.PreviousOwner
		if o == nil {
			return nil
		}
		switch o.IDType {
		case gateway.OwnerUSCC:
			return when(!identity.ParseUSCC(o.IDNumber).Valid, "unified social credit code", "统一社会信用代码")
		case gateway.OwnerPassport:
			norm := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(o.IDNumber))
			return when(!passportNo.MatchString(norm), "passport number", "护照号码")
		}
		return nil
	},
}

var ruleUSCCNotEnterprise = &Rule{
	Code: "USCC_NOT_ENTERPRISE", Severity: gateway.SeverityWarn, Document: docNo6, Clause: "第二条 exporters are enterprises (USCC 91…)",
	Pointers:  []string{"/exporter/uscc"},
	MessageEn: "exporter code %s is not an enterprise code (91…)", MessageZh: "出口企业代码 %s 不是企业类代码（应以91开头）",
	check: func(in *Input) []hit {
		return when(in.USCC.Valid && !in.USCC.Enterprise, in.USCC.Normalized)
	},
}

// --- exporter filing (备案) ---

var ruleExporterNotFiled = &Rule{
	Code: "EXPORTER_NOT_FILED", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第二条 exporter filing (备案) before licence application",
	Pointers:  []string{"/exporter/uscc"},
	MessageEn: "exporter %s is not filed with the commerce authority (status %s)", MessageZh: "出口企业 %s 未在商务主管部门备案（状态：%s）",
	check: func(in *Input) []hit {
		if isNotFound(in.ExporterErr) {
			return one(in.USCC.Normalized, "NOT_FILED")
		}
		if in.Exporter != nil && in.Exporter.FilingStatus != gateway.ExporterApproved {
			return one(in.USCC.Normalized, in.Exporter.FilingStatus)
		}
		return nil
	},
}

var ruleExporterSuspended = &Rule{
	Code: "EXPORTER_SUSPENDED", Severity: gateway.SeverityFail, Document: doc648, Clause: "§一(三) dishonest exporters stopped",
	Pointers:  []string{"/exporter/uscc"},
	MessageEn: "exporter %s is suspended: new filings are refused", MessageZh: "出口企业 %s 已被暂停，不受理新的申报",
	check: func(in *Input) []hit {
		return when(in.Exporter != nil && (in.Exporter.Suspended || in.CreditGrade == "D"), in.USCC.Normalized)
	},
}

// ruleCreditReview holds a grade-C exporter's filings for manual review (ASSUMPTION: brief
// §7.4's "enhanced" treatment; the grade comes from the exporter's credit events on the ledger).
var ruleCreditReview = &Rule{
	Code: "CREDIT_REVIEW", Severity: gateway.SeverityHold, Document: doc648, Clause: "§一(三) credit evaluation: enhanced review of low-credit exporters",
	Pointers:  []string{"/exporter/uscc"},
	MessageEn: "exporter %s has credit grade C: the filing awaits manual review", MessageZh: "出口企业 %s 信用等级为 C，申报转人工审核",
	check: func(in *Input) []hit {
		return when(in.CreditGrade == "C", in.USCC.Normalized)
	},
}

// --- look-up availability (never ACCEPTED on missing data, never REJECTED for an outage) ---

var ruleLookupUnavailable = &Rule{
	Code: "LOOKUP_UNAVAILABLE", Severity: gateway.SeverityHold, Document: docUCX, Clause: "agency system outage → manual review",
	MessageEn: "the %[1]s system could not be reached; the filing awaits manual review", MessageZh: "%[2]s系统暂不可用，申报转人工审核",
	check: func(in *Input) []hit {
		var hits []hit
		add := func(err error, en, zh, pointer string) {
			if lookupFailed(err) {
				hits = append(hits, hit{pointers: []string{pointer}, args: []any{en, zh}})
			}
		}
		add(in.ExporterErr, "exporter registry", "出口企业备案", "/exporter/uscc")
		add(in.PoliceErr, "police registration", "公安交管", "/vehicle/vin")
		add(in.LicenceErr, "export licence", "出口许可证", "/licenceNo")
		if !fastTrack(in) {
			add(in.MaintenanceErr, "maintenance record", "汽车维修电子健康档案", "/vehicle/vin")
		}
		add(in.DestinationErr, "destination standard", "目的国准入标准", "/destinationCountry")
		add(in.CreditErr, "exporter credit", "出口企业信用", "/exporter/uscc")
		return hits
	},
}

// fastTrack: the exporter has credit grade A (brief §7.4 fast track: the maintenance-record
// query is optional).
func fastTrack(in *Input) bool { return in.CreditGrade == "A" }

// ruleMaintQueryWaived: on the fast track an unavailable maintenance-record system does not
// hold the filing; the result says the query was waived. ASSUMPTION: §7.4's "maintenance query
// optional" for grade A, read as: its outage is no reason for manual review. Records that are
// found are still checked (rollback, flood, …) whatever the grade.
var ruleMaintQueryWaived = &Rule{
	Code: "MAINT_QUERY_WAIVED", Severity: gateway.SeverityWarn, Document: docUCX, Clause: "brief §7.4 grade A fast track: maintenance-record query optional",
	Pointers:  []string{"/vehicle/vin"},
	MessageEn: "exporter %s has credit grade A (fast track): the maintenance-record system could not be reached and the query is waived", MessageZh: "出口企业 %s 信用等级为 A（快速通道）：维修电子健康档案系统暂不可用，免于查询",
	check: func(in *Input) []hit {
		return when(fastTrack(in) && lookupFailed(in.MaintenanceErr), in.USCC.Normalized)
	},
}

// --- inspection report (WM/T 8 / WM/T 9) ---

var ruleStandardMismatch = &Rule{
	Code: "STANDARD_MISMATCH", Severity: gateway.SeverityFail, Document: doc25, Clause: "WM/T 8-2022 for passenger cars (M1), WM/T 9-2022 for commercial vehicles and trailers",
	Pointers:  []string{"/inspectionReport/standard", "/vehicle/category"},
	MessageEn: "category %s must be inspected under %s, the report follows %s", MessageZh: "车辆类别 %s 应依据 %s 检验，报告依据的是 %s",
	check: func(in *Input) []hit {
		want := gateway.StandardFor(in.Filing.Vehicle.Category)
		return when(in.Filing.InspectionReport.Standard != want, in.Filing.Vehicle.Category, want, in.Filing.InspectionReport.Standard)
	},
}

func failedItems(r *gateway.InspectionReport) (pointers []string, codes []string) {
	for i, it := range r.Items {
		if it.Result == gateway.ItemFail {
			pointers = append(pointers, "/inspectionReport/items/"+itoa(i)+"/result")
			codes = append(codes, it.Code)
		}
	}
	return pointers, codes
}

var ruleReportNotConforming = &Rule{
	Code: "REPORT_NOT_CONFORMING", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第六条(八) vehicles failing inspection are prohibited",
	Pointers:  []string{"/inspectionReport/conclusion"},
	MessageEn: "the inspection report concludes DOES_NOT_CONFORM (failed items: %s)", MessageZh: "检验报告结论为不符合（不合格项：%s）",
	check: func(in *Input) []hit {
		r := &in.Filing.InspectionReport
		if r.Conclusion != gateway.ConclusionDoesNotConform {
			return nil
		}
		ptrs, codes := failedItems(r)
		return oneAt(append([]string{"/inspectionReport/conclusion"}, ptrs...), listOrNone(codes))
	},
}

var ruleReportInconsistent = &Rule{
	Code: "REPORT_INCONSISTENT", Severity: gateway.SeverityFail, Document: docUCX, Clause: "brief R-Q-02: a CONFORMS conclusion with failed items",
	MessageEn: "the report concludes CONFORMS but items failed: %s", MessageZh: "检验报告结论为符合，但存在不合格项：%s",
	check: func(in *Input) []hit {
		r := &in.Filing.InspectionReport
		if r.Conclusion != gateway.ConclusionConforms {
			return nil
		}
		ptrs, codes := failedItems(r)
		if len(codes) == 0 {
			return nil
		}
		return oneAt(ptrs, strings.Join(codes, ", "))
	},
}

var ruleReportAccident = &Rule{
	Code: "REPORT_ACCIDENT", Severity: gateway.SeverityFail, Document: docWMT, Clause: "4 quality requirements: no structural damage (Q9-4; P-ACC-*), no airbag deployment (P-ACC-19)",
	MessageEn: "the report flags an accident vehicle (%s)", MessageZh: "检验报告认定为事故车（%s）",
	check: func(in *Input) []hit {
		f := in.Filing.InspectionReport.AccidentFlags
		var ptrs, what []string
		if f.StructuralDamage {
			ptrs, what = append(ptrs, "/inspectionReport/accidentFlags/structuralDamage"), append(what, "structural damage")
		}
		if f.AirbagDeployed {
			ptrs, what = append(ptrs, "/inspectionReport/accidentFlags/airbagDeployed"), append(what, "airbag deployed")
		}
		if len(ptrs) == 0 {
			return nil
		}
		return oneAt(ptrs, strings.Join(what, ", "))
	},
}

var ruleReportFlood = &Rule{
	Code: "REPORT_FLOOD", Severity: gateway.SeverityFail, Document: docWMT, Clause: "4 quality requirements: no signs of flooding (Q9-5; P-FLD-01)",
	Pointers:  []string{"/inspectionReport/accidentFlags/flood"},
	MessageEn: "the report flags a flood-damaged vehicle", MessageZh: "检验报告认定为泡水车",
	check: func(in *Input) []hit { return when(in.Filing.InspectionReport.AccidentFlags.Flood) },
}

var ruleReportFire = &Rule{
	Code: "REPORT_FIRE", Severity: gateway.SeverityFail, Document: docWMT, Clause: "4 quality requirements: no signs of fire (Q9-5; P-FIR-01)",
	Pointers:  []string{"/inspectionReport/accidentFlags/fire"},
	MessageEn: "the report flags a fire-damaged vehicle", MessageZh: "检验报告认定为火烧车",
	check: func(in *Input) []hit { return when(in.Filing.InspectionReport.AccidentFlags.Fire) },
}

var ruleAgencyNotAccredited = &Rule{
	Code: "AGENCY_NOT_ACCREDITED", Severity: gateway.SeverityFail, Document: doc25, Clause: "third-party inspection body with CMA or CNAS qualification",
	Pointers:  []string{"/inspectionReport/agency/cmaCertNo", "/inspectionReport/agency/cnasRegNo"},
	MessageEn: "inspection agency %s has neither a CMA certificate nor a CNAS registration", MessageZh: "检验机构 %s 无CMA资质认定或CNAS认可",
	check: func(in *Input) []hit {
		a := in.Filing.InspectionReport.Agency
		return when(a.CMACertNo == "" && a.CNASRegNo == "", a.Name)
	},
}

var ruleReportDates = &Rule{
	Code: "REPORT_DATE_INVALID", Severity: gateway.SeverityFail, Document: docWMT, Clause: "quality report dates",
	MessageEn: "report dates are out of order: %s", MessageZh: "检验报告日期不合理：%s",
	check: func(in *Input) []hit {
		r := &in.Filing.InspectionReport
		var hits []hit
		if r.InspectionDate > r.IssueDate {
			hits = append(hits, hit{pointers: []string{"/inspectionReport/inspectionDate", "/inspectionReport/issueDate"}, args: []any{"inspected after issue"}})
		}
		if r.IssueDate > in.Filing.ApplicationDate {
			hits = append(hits, hit{pointers: []string{"/inspectionReport/issueDate", "/applicationDate"}, args: []any{"issued after the application date"}})
		}
		return hits
	},
}

var ruleReportExpired = &Rule{
	Code: "REPORT_EXPIRED", Severity: gateway.SeverityFail, Document: docUCX, Clause: "brief R-L-09: report issued ≤ N days (default 90) before application",
	Pointers:  []string{"/inspectionReport/issueDate"},
	MessageEn: "the report was issued %d days before the application, more than %d", MessageZh: "检验报告出具已 %d 天，超过 %d 天有效期",
	check: func(in *Input) []hit {
		n, err := days(in.Filing.InspectionReport.IssueDate, in.Filing.ApplicationDate)
		return when(err == nil && n > in.cfg.ReportMaxAgeDays, n, in.cfg.ReportMaxAgeDays)
	},
}

var ruleVINMismatch = &Rule{
	Code: "VIN_MISMATCH", Severity: gateway.SeverityFail, Document: doc648, Clause: "licence data consistency; 2024年第6号公告 第六条(五)",
	MessageEn: "VIN %s differs from the filing's VIN %s", MessageZh: "车辆识别代号 %s 与申报的 %s 不一致",
	check: func(in *Input) []hit {
		if !in.VIN.Valid {
			return nil
		}
		want := in.VIN.Normalized
		var hits []hit
		cmp := func(p, got string) {
			if identity.ParseVIN(got).Normalized != want {
				hits = append(hits, hit{pointers: []string{p}, args: []any{got, want}})
			}
		}
		f := in.Filing
		cmp("/inspectionReport/vehicle/vin", f.InspectionReport.Vehicle.VIN)
		if f.AfterSalesConfirmation != nil {
			cmp("/afterSalesConfirmation/vin", f.AfterSalesConfirmation.VIN)
		}
		if f.DestinationDeclaration != nil {
			cmp("/destinationDeclaration/vin", f.DestinationDeclaration.VIN)
		}
		return hits
	},
}

var ruleDestinationMismatch = &Rule{
	Code: "DESTINATION_MISMATCH", Severity: gateway.SeverityFail, Document: docUCX, Clause: "brief R-L-05: one destination, same on report and filing",
	Pointers:  []string{"/inspectionReport/destinationCountry", "/destinationCountry"},
	MessageEn: "the report names destination %s, the filing %s", MessageZh: "检验报告目的国为 %s，申报为 %s",
	check: func(in *Input) []hit {
		r := in.Filing.InspectionReport.DestinationCountry
		return when(r != in.Filing.DestinationCountry, r, in.Filing.DestinationCountry)
	},
}

var ruleReportVehicleMismatch = &Rule{
	Code: "REPORT_VEHICLE_MISMATCH", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第六条(五) information inconsistent with the vehicle",
	MessageEn: "the report's %s (%v) differs from the filing (%v)", MessageZh: "检验报告中的%[1]s（%[2]v）与申报（%[3]v）不一致",
	check: func(in *Input) []hit {
		rv, v := &in.Filing.InspectionReport.Vehicle, &in.Filing.Vehicle
		var hits []hit
		if rv.RegistrationDate != v.RegistrationDate {
			hits = append(hits, hit{pointers: []string{"/inspectionReport/vehicle/registrationDate"}, args: []any{"registrationDate", rv.RegistrationDate, v.RegistrationDate}})
		}
		if float64(rv.OdometerKm) > float64(v.OdometerKm)*(1+rollbackTolerance) {
			hits = append(hits, hit{pointers: []string{"/inspectionReport/vehicle/odometerKm", "/vehicle/odometerKm"}, args: []any{"odometerKm", rv.OdometerKm, v.OdometerKm}})
		}
		return hits
	},
}

// --- police registration status (brief §3.1) ---

var (
	blockedStatus = map[string]string{
		"C": "被盗抢 stolen/robbed", "E": "注销 deregistered", "G": "违法未处理 unresolved violations",
		"H": "海关监管 under customs supervision", "I": "事故未处理 unresolved accident", "J": "嫌疑车 suspect vehicle",
		"K": "查封 sealed", "L": "暂扣 detained", "M": "强制注销 compulsorily deregistered", "N": "事故逃逸 hit-and-run",
		"O": "锁定 locked", "P": "达到报废标准 reached scrapping standard",
	}
	warnStatus = map[string]string{"D": "停驶 out of service", "Q": "逾期未检验 inspection overdue", "B": "转出 transferred out"}
)

var rulePoliceNotFound = &Rule{
	Code: "POLICE_RECORD_NOT_FOUND", Severity: gateway.SeverityHold, Document: docNo6, Clause: "第六条(七) legal certificates complete",
	Pointers:  []string{"/vehicle/vin"},
	MessageEn: "the police registration system has no record of VIN %s; manual review", MessageZh: "公安交管系统无车辆识别代号 %s 的登记记录，转人工审核",
	check: func(in *Input) []hit { return when(isNotFound(in.PoliceErr), in.VIN.Normalized) },
}

func statusList(codes []string, table map[string]string) (hit []string) {
	for _, c := range codes {
		if d, ok := table[c]; ok {
			hit = append(hit, c+" "+d)
		}
	}
	slices.Sort(hit)
	return hit
}

var rulePoliceBlocked = &Rule{
	Code: "POLICE_STATUS_BLOCKED", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第六条(二)(三)(四)(九) prohibited vehicles",
	Pointers:  []string{"/vehicle/vin"},
	MessageEn: "police status forbids export: %s", MessageZh: "公安交管状态禁止出口：%s",
	check: func(in *Input) []hit {
		if in.Police == nil {
			return nil
		}
		l := statusList(in.Police.StatusCodes, blockedStatus)
		return when(len(l) > 0, strings.Join(l, "; "))
	},
}

var rulePoliceWarn = &Rule{
	Code: "POLICE_STATUS_WARN", Severity: gateway.SeverityWarn, Document: docUCX, Clause: "brief §3.1 warn set D, Q, B",
	Pointers:  []string{"/vehicle/vin"},
	MessageEn: "police status needs attention: %s", MessageZh: "公安交管状态需关注：%s",
	check: func(in *Input) []hit {
		if in.Police == nil {
			return nil
		}
		l := statusList(in.Police.StatusCodes, warnStatus)
		return when(len(l) > 0, strings.Join(l, "; "))
	},
}

var ruleMortgaged = &Rule{
	Code: "VEHICLE_MORTGAGED", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第六条(二) mortgaged or pledged vehicles are prohibited",
	Pointers:  []string{"/vehicle/vin"},
	MessageEn: "the vehicle is %s", MessageZh: "车辆处于%s状态",
	check: func(in *Input) []hit {
		if in.Police == nil {
			return nil
		}
		switch {
		case in.Police.Mortgaged:
			return one("mortgaged (抵押)")
		case in.Police.Pledged:
			return one("pledged (质押)")
		}
		return nil
	},
}

var ruleTransferPending = &Rule{
	Code: "TRANSFER_PENDING_EXPORT_MISSING", Severity: gateway.SeverityFail, Document: docNo6, Clause: "转让登记: registration certificate annotated 转让待出口 before the licence application",
	Pointers:  []string{"/vehicle/transferPendingExportDate"},
	MessageEn: "the police record shows no transfer pending export (转让待出口) for this vehicle", MessageZh: "公安交管记录显示该车未办理转让待出口登记",
	check: func(in *Input) []hit { return when(in.Police != nil && !in.Police.TransferPendingExport) },
}

var rulePoliceMismatch = &Rule{
	Code: "POLICE_DATA_MISMATCH", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第六条(五) inconsistent with the registration certificate",
	MessageEn: "%s on the filing (%s) differs from the police record (%s)", MessageZh: "申报的%[1]s（%[2]s）与公安交管记录（%[3]s）不一致",
	check: func(in *Input) []hit {
		p, v := in.Police, &in.Filing.Vehicle
		if p == nil {
			return nil
		}
		var hits []hit
		if p.RegistrationDate != "" && p.RegistrationDate != v.RegistrationDate {
			hits = append(hits, hit{pointers: []string{"/vehicle/registrationDate"}, args: []any{"registrationDate", v.RegistrationDate, p.RegistrationDate}})
		}
		if p.TransferPendingExportDate != "" && v.TransferPendingExportDate != "" && p.TransferPendingExportDate != v.TransferPendingExportDate {
			hits = append(hits, hit{pointers: []string{"/vehicle/transferPendingExportDate"}, args: []any{"transferPendingExportDate", v.TransferPendingExportDate, p.TransferPendingExportDate}})
		}
		return hits
	},
}

// --- service life (机动车强制报废标准规定 Art. 5; 2024年第6号公告 第六条(一)) ---

// ServiceLifeYears maps /vehicle/serviceLifeClass to its service life in years; 0 = no limit.
var ServiceLifeYears = map[string]int{
	"PRIVATE_PASSENGER": 0, "TAXI_SMALL": 8, "TAXI_MEDIUM": 10, "TAXI_LARGE": 12, "RENTAL": 15,
	"DRIVING_SCHOOL_SMALL": 10, "DRIVING_SCHOOL_MEDIUM": 12, "DRIVING_SCHOOL_LARGE": 15, "CITY_BUS": 13,
	"OPERATING_PASSENGER_SMALL": 10, "OPERATING_PASSENGER_LARGE": 15, "SCHOOL_BUS": 15, "NON_OPERATING_BUS": 20,
	"MINI_TRUCK": 12, "DANGEROUS_GOODS_TRUCK": 10, "TRUCK": 15, "SPECIAL_PURPOSE_CARGO": 15, "SPECIAL_PURPOSE": 30,
	"FULL_TRAILER": 10, "DANGEROUS_SEMI_TRAILER": 10, "CONTAINER_SEMI_TRAILER": 20, "SEMI_TRAILER": 15,
}

// mileageGuideKm is the guide mileage of vehicles without a service-life limit.
const mileageGuideKm = 600000

var ruleServiceLife = &Rule{
	Code: "SERVICE_LIFE_EXCEEDED", Severity: gateway.SeverityFail, Document: docNo6, Clause: "第六条(一) at or within one year of mandatory scrapping; " + docScrap + " 第五条",
	Pointers:  []string{"/vehicle/registrationDate", "/vehicle/serviceLifeClass"},
	MessageEn: "service life of %d years ends on %s, less than one year after the application", MessageZh: "车辆规定使用年限 %d 年，于 %s 到期，距申请日不足一年",
	check: func(in *Input) []hit {
		v := &in.Filing.Vehicle
		life := ServiceLifeYears[v.ServiceLifeClass]
		start := v.RegistrationDate.Time()
		if life == 0 || start.IsZero() {
			return nil
		}
		// [MEMORY] a vehicle registered more than two years after manufacture counts from manufacture.
		if m := v.ManufactureDate.Time(); !m.IsZero() && start.After(m.AddDate(2, 0, 0)) {
			start = m
		}
		end := start.AddDate(life, 0, 0)
		app := in.Filing.ApplicationDate.Time()
		return when(!app.AddDate(1, 0, 0).Before(end), life, end.Format("2006-01-02"))
	},
}

var ruleMileageGuide = &Rule{
	Code: "MILEAGE_GUIDE", Severity: gateway.SeverityWarn, Document: docUCX, Clause: "brief R-AGE-02: ≥ 90 % of the 600,000 km guide mileage",
	Pointers:  []string{"/vehicle/odometerKm"},
	MessageEn: "odometer %d km is near the guide mileage of %d km", MessageZh: "行驶里程 %d 公里接近引导报废里程 %d 公里",
	check: func(in *Input) []hit {
		v := &in.Filing.Vehicle
		return when(ServiceLifeYears[v.ServiceLifeClass] == 0 && v.OdometerKm*10 >= mileageGuideKm*9, v.OdometerKm, mileageGuideKm)
	},
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none listed"
	}
	return strings.Join(l, ", ")
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
