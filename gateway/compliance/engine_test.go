package compliance_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/compliance"
	"github.com/ucx-export/ucx/gateway/identity"
)

// cleanInput returns a filing (schemas/testdata/valid-m1.json) with agency look-ups that
// agree with it: the baseline every test changes one thing of.
func cleanInput(t testing.TB) *compliance.Input {
	t.Helper()
	data, err := os.ReadFile("../../schemas/testdata/valid-m1.json")
	require.NoError(t, err)
	var f gateway.Filing
	require.NoError(t, json.Unmarshal(data, &f))
	v := &f.Vehicle
	in := &compliance.Input{
		Filing: &f,
		VIN:    identity.ParseVIN(v.VIN),
		USCC:   identity.ParseUSCC(f.Exporter.USCC),
		Today:  time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
	}
	in.LookupResult = gateway.LookupResult{
		Police: &gateway.PoliceRecord{VIN: v.VIN, StatusCodes: []string{"A"}, RegistrationDate: v.RegistrationDate,
			TransferPendingExport: true, TransferPendingExportDate: v.TransferPendingExportDate},
		Maintenance: []gateway.MaintenanceRecord{
			{VIN: v.VIN, RepairInDate: "2023-05-01", RepairInMileage: 15000, SettlementNo: "S1", RepairItems: []string{"更换机油"}},
			{VIN: v.VIN, RepairInDate: "2024-05-01", RepairInMileage: 30000, SettlementNo: "S2", RepairItems: []string{"更换机油"}},
		},
		Licence: &gateway.Licence{LicenceNo: f.LicenceNo, Status: gateway.LicenceIssued, ExporterUSCC: f.Exporter.USCC,
			DestinationCountry: f.DestinationCountry, IssueDate: "2026-03-01", ExpiryDate: "2026-08-31",
			Lines: []gateway.LicenceLine{{VIN: v.VIN, Brand: v.Brand, Model: v.Model, RegistrationDate: v.RegistrationDate,
				TransferPendingExportDate: v.TransferPendingExportDate, HSCode: "8703609000"}}},
		Exporter:    &gateway.Exporter{USCC: f.Exporter.USCC, FilingStatus: gateway.ExporterApproved},
		Destination: &gateway.Destination{Country: "KZ", HasAccessStandard: true, StandardRef: "TR CU 018/2011"},
	}
	in.VIN.CheckModelYear(v.RegistrationDate.Time())
	return in
}

func evaluate(t testing.TB, in *compliance.Input) (string, []gateway.RuleResult) {
	t.Helper()
	e := compliance.New(compliance.DefaultConfig())
	rs, err := e.Ruleset(in.Filing.ApplicationDate)
	require.NoError(t, err)
	res := e.Evaluate(rs, in)
	return gateway.Decide(res), res
}

func codes(res []gateway.RuleResult, severities ...string) []string {
	var out []string
	for _, r := range res {
		if len(severities) == 0 || slices.Contains(severities, r.Severity) {
			out = append(out, r.Code)
		}
	}
	return out
}

func TestCleanFilingIsAccepted(t *testing.T) {
	decision, res := evaluate(t, cleanInput(t))
	assert.Equal(t, gateway.Accepted, decision)
	assert.Empty(t, res, "a clean filing has no findings")
}

func TestRulesetByApplicationDate(t *testing.T) {
	e := compliance.New(compliance.DefaultConfig())
	for date, want := range map[gateway.Date]string{
		"2024-03-01": "2024-03-01", "2025-12-31": "2024-03-01", "2026-01-01": "2026-01-01", "2026-11-26": "2026-01-01",
	} {
		rs, err := e.Ruleset(date)
		require.NoError(t, err)
		assert.Equal(t, want, rs.Version, "application date %s", date)
	}
	_, err := e.Ruleset("2024-02-29")
	assert.Equal(t, gateway.ERULESET, gateway.ErrorCode(err))
}

func TestEveryRuleIsDocumented(t *testing.T) {
	e := compliance.New(compliance.DefaultConfig())
	seen := map[string]bool{}
	for _, rs := range e.Rulesets() {
		for _, r := range rs.Rules {
			assert.NotEmpty(t, r.Code)
			assert.Contains(t, []string{gateway.SeverityFail, gateway.SeverityHold, gateway.SeverityWarn}, r.Severity, r.Code)
			assert.NotEmpty(t, r.Document, r.Code)
			assert.NotEmpty(t, r.Clause, r.Code)
			assert.NotEmpty(t, r.MessageEn, r.Code)
			assert.NotEmpty(t, r.MessageZh, r.Code)
			seen[r.Code] = true
		}
	}
	assert.GreaterOrEqual(t, len(seen), 50)
}

// TestRules changes one thing of the clean filing and expects exactly the named findings.
func TestRules(t *testing.T) {
	cases := []struct {
		name     string
		mutate   func(in *compliance.Input)
		decision string
		want     []string // codes of every finding, in rule order
	}{
		{"previous owner with a valid resident ID", func(in *compliance.Input) {
			in.Filing.PreviousOwner = &gateway.Owner{Name: "张伟", IDType: gateway.OwnerResidentID, IDNumber: "11010519491231002X"}
		}, gateway.Accepted, nil},
		{"resident ID check digit wrong", func(in *compliance.Input) {
			in.Filing.PreviousOwner = &gateway.Owner{Name: "张伟", IDType: gateway.OwnerResidentID, IDNumber: "110105194912310021"}
		}, gateway.Rejected, []string{"RESIDENT_ID_CHECK_DIGIT"}},
		{"resident ID of 15 digits", func(in *compliance.Input) {
			in.Filing.PreviousOwner = &gateway.Owner{Name: "张伟", IDType: gateway.OwnerResidentID, IDNumber: "110105491231002"}
		}, gateway.Rejected, []string{"RESIDENT_ID_LENGTH"}},
		{"resident ID of an unknown province only warns", func(in *compliance.Input) {
			in.Filing.PreviousOwner = &gateway.Owner{Name: "张伟", IDType: gateway.OwnerResidentID, IDNumber: "100000199001010011"}
		}, gateway.Accepted, []string{"RESIDENT_ID_DIVISION"}},
		{"company owner's USCC is not checked as a resident ID", func(in *compliance.Input) {
			in.Filing.PreviousOwner = &gateway.Owner{Name: "某某租赁有限公司", IDType: gateway.OwnerUSCC, IDNumber: "91440300192317458F"}
		}, gateway.Accepted, nil},
		{"company owner's USCC malformed", func(in *compliance.Input) {
			in.Filing.PreviousOwner = &gateway.Owner{Name: "某某租赁有限公司", IDType: gateway.OwnerUSCC, IDNumber: "9144O300192317458F"}
		}, gateway.Rejected, []string{"OWNER_ID_INVALID"}},
		{"passport number", func(in *compliance.Input) {
			in.Filing.PreviousOwner = &gateway.Owner{Name: "IVANOV IVAN", IDType: gateway.OwnerPassport, IDNumber: "75 1234567"}
		}, gateway.Accepted, nil},
		{"passport number too short", func(in *compliance.Input) {
			in.Filing.PreviousOwner = &gateway.Owner{Name: "IVANOV IVAN", IDType: gateway.OwnerPassport, IDNumber: "E12"}
		}, gateway.Rejected, []string{"OWNER_ID_INVALID"}},
		{"stolen", func(in *compliance.Input) { in.Police.StatusCodes = []string{"C"} }, gateway.Rejected, []string{"POLICE_STATUS_BLOCKED"}},
		{"inspection overdue only warns", func(in *compliance.Input) { in.Police.StatusCodes = []string{"A", "Q"} }, gateway.Accepted, []string{"POLICE_STATUS_WARN"}},
		{"mortgaged", func(in *compliance.Input) { in.Police.Mortgaged = true }, gateway.Rejected, []string{"VEHICLE_MORTGAGED"}},
		{"no police record", func(in *compliance.Input) {
			in.Police, in.PoliceErr = nil, gateway.Errorf(gateway.ENOTFOUND, "x", "x")
		}, gateway.Held, []string{"POLICE_RECORD_NOT_FOUND"}},
		{"police outage holds", func(in *compliance.Input) {
			in.Police, in.PoliceErr = nil, gateway.Errorf(gateway.EUNAVAILABLE, "x", "x")
		}, gateway.Held, []string{"LOOKUP_UNAVAILABLE"}},
		{"report 90 days old passes", func(in *compliance.Input) {
			in.Filing.InspectionReport.IssueDate, in.Filing.InspectionReport.InspectionDate = "2025-12-10", "2025-12-10"
		}, gateway.Accepted, nil},
		{"report 91 days old", func(in *compliance.Input) {
			in.Filing.InspectionReport.IssueDate, in.Filing.InspectionReport.InspectionDate = "2025-12-09", "2025-12-09"
		}, gateway.Rejected, []string{"REPORT_EXPIRED"}},
		{"180 days after registration needs the maker's confirmation", func(in *compliance.Input) {
			setRegistration(in, "2025-09-11") // 180 days before 2026-03-10
		}, gateway.Rejected, []string{"AFTER_SALES_CONFIRMATION_REQUIRED"}},
		{"181 days does not", func(in *compliance.Input) { setRegistration(in, "2025-09-10") }, gateway.Accepted, nil},
		{"180-day rule is 2026 only", func(in *compliance.Input) {
			in.Filing.ApplicationDate = "2025-12-31"
			in.Filing.InspectionReport.IssueDate, in.Filing.InspectionReport.InspectionDate = "2025-12-01", "2025-12-01"
			in.Licence.IssueDate = "2025-12-01"
			in.Filing.DestinationDeclaration.DeclarationDate = "2025-12-20"
			setRegistration(in, "2025-09-01")
			setTransfer(in, "2025-11-20")
		}, gateway.Accepted, []string{"LICENCE_NO_YEAR"}},
		{"taxi at 7 years of 8", func(in *compliance.Input) {
			in.Filing.Vehicle.ServiceLifeClass = "TAXI_SMALL"
			setRegistration(in, "2019-03-10") // ends 2027-03-10: one year (inclusive) after 2026-03-10
		}, gateway.Rejected, []string{"SERVICE_LIFE_EXCEEDED"}},
		{"taxi just over a year left", func(in *compliance.Input) {
			in.Filing.Vehicle.ServiceLifeClass = "TAXI_SMALL"
			setRegistration(in, "2019-03-11")
		}, gateway.Accepted, nil},
		{"private car near the guide mileage", func(in *compliance.Input) {
			in.Filing.Vehicle.OdometerKm = 545000
			in.Filing.InspectionReport.Vehicle.OdometerKm = 545000
		},
			gateway.Accepted, []string{"MILEAGE_GUIDE"}},
		{"licence expired", func(in *compliance.Input) { in.Licence.ExpiryDate = "2026-03-09" }, gateway.Rejected, []string{"LICENCE_EXPIRED"}},
		{"licence revoked", func(in *compliance.Input) { in.Licence.Status = "REVOKED" }, gateway.Rejected, []string{"LICENCE_NOT_ISSUED"}},
		{"licence of another exporter", func(in *compliance.Input) { in.Licence.ExporterUSCC = "91440300192317458F" }, gateway.Rejected, []string{"LICENCE_EXPORTER_MISMATCH"}},
		{"licence brand differs", func(in *compliance.Input) { in.Licence.Lines[0].Brand = "吉利" }, gateway.Rejected, []string{"LICENCE_DATA_MISMATCH"}},
		{"VIN not on schedule", func(in *compliance.Input) { in.Licence.Lines[0].VIN = "LSJA24U62JG269225" }, gateway.Rejected, []string{"LICENCE_VIN_NOT_LISTED"}},
		{"exporter suspended", func(in *compliance.Input) { in.Exporter.Suspended = true }, gateway.Rejected, []string{"EXPORTER_SUSPENDED"}},
		{"credit grade D", func(in *compliance.Input) { in.CreditGrade = "D" }, gateway.Rejected, []string{"EXPORTER_SUSPENDED"}},
		{"credit grade C", func(in *compliance.Input) { in.CreditGrade = "C" }, gateway.Held, []string{"CREDIT_REVIEW"}},
		{"credit grade B", func(in *compliance.Input) { in.CreditGrade = "B" }, gateway.Accepted, nil},
		{"grade A fast track, maintenance system down", func(in *compliance.Input) {
			in.CreditGrade, in.Maintenance, in.MaintenanceErr = "A", nil, gateway.Errorf(gateway.EUNAVAILABLE, "x", "x")
		}, gateway.Accepted, []string{"MAINT_QUERY_WAIVED"}},
		{"grade B, maintenance system down", func(in *compliance.Input) {
			in.CreditGrade, in.Maintenance, in.MaintenanceErr = "B", nil, gateway.Errorf(gateway.EUNAVAILABLE, "x", "x")
		}, gateway.Held, []string{"LOOKUP_UNAVAILABLE"}},
		{"grade A with a rollback in the records", func(in *compliance.Input) {
			in.CreditGrade, in.Maintenance[1].RepairInMileage = "A", 9000
		}, gateway.Rejected, []string{"MAINT_ODOMETER_ROLLBACK"}},
		{"credit unanswered", func(in *compliance.Input) {
			in.CreditErr = gateway.Errorf(gateway.EUNAVAILABLE, "x", "x")
		}, gateway.Held, []string{"LOOKUP_UNAVAILABLE"}},
		{"exporter not filed", func(in *compliance.Input) {
			in.Exporter, in.ExporterErr = nil, gateway.Errorf(gateway.ENOTFOUND, "x", "x")
		}, gateway.Rejected, []string{"EXPORTER_NOT_FILED"}},
		{"flood flag", func(in *compliance.Input) { in.Filing.InspectionReport.AccidentFlags.Flood = true }, gateway.Rejected, []string{"REPORT_FLOOD"}},
		{"wrong standard", func(in *compliance.Input) { in.Filing.Vehicle.Category = "N1" }, gateway.Rejected, []string{"STANDARD_MISMATCH"}},
		{"no accreditation", func(in *compliance.Input) {
			in.Filing.InspectionReport.Agency.CMACertNo, in.Filing.InspectionReport.Agency.CNASRegNo = "", ""
		}, gateway.Rejected, []string{"AGENCY_NOT_ACCREDITED"}},
		{"declaration missing", func(in *compliance.Input) { in.Filing.DestinationDeclaration = nil }, gateway.Rejected, []string{"DESTINATION_DECLARATION_REQUIRED"}},
		{"rollback in records", func(in *compliance.Input) { in.Maintenance[1].RepairInMileage = 9000 }, gateway.Rejected, []string{"MAINT_ODOMETER_ROLLBACK"}},
		{"1% lower reading is tolerated", func(in *compliance.Input) { in.Maintenance[1].RepairInMileage = 14900 }, gateway.Accepted, nil},
		{"structural repair without evidence", func(in *compliance.Input) {
			in.Maintenance[1].RepairItems = []string{"左前纵梁校正"}
			for i := range in.Filing.InspectionReport.Items {
				in.Filing.InspectionReport.Items[i].PhotoRefs = nil
			}
		}, gateway.Rejected, []string{"MAINT_STRUCTURAL_REPAIR"}},
		{"airbag without evidence holds", func(in *compliance.Input) {
			in.Maintenance[1].Parts = []gateway.MaintenancePart{{Name: "主驾驶安全气囊总成", Quantity: 1}}
			for i := range in.Filing.InspectionReport.Items {
				in.Filing.InspectionReport.Items[i].PhotoRefs = nil
			}
		}, gateway.Held, []string{"MAINT_AIRBAG"}},
		{"routine repairs are not damage", func(in *compliance.Input) {
			in.Maintenance[1].RepairItems = []string{"更换空气悬架气囊", "四轮定位校正", "核对车架号", "清理空调进水口"}
			in.Maintenance[1].Parts = []gateway.MaintenancePart{{Name: "Firestone 空气弹簧", Quantity: 2}}
			for i := range in.Filing.InspectionReport.Items {
				in.Filing.InspectionReport.Items[i].PhotoRefs = nil
			}
		}, gateway.Accepted, nil},
		{"declaration names another standard", func(in *compliance.Input) {
			in.Filing.DestinationDeclaration.StandardRef = "GSO 42:2015"
		}, gateway.Rejected, []string{"DESTINATION_DECLARATION_MISMATCH"}},
		{"licence without dates is only not issued", func(in *compliance.Input) {
			in.Licence.Status, in.Licence.IssueDate, in.Licence.ExpiryDate = "SUBMITTED", "", ""
		}, gateway.Rejected, []string{"LICENCE_NOT_ISSUED"}},
		{"records of another VIN are discarded", func(in *compliance.Input) { in.Maintenance[0].VIN = "LSJA24U62JG269225" }, gateway.Accepted, []string{"MAINT_VIN_MISMATCH"}},
		{"no records only warns", func(in *compliance.Input) { in.Maintenance = []gateway.MaintenanceRecord{} }, gateway.Accepted, []string{"MAINT_NO_RECORDS"}},
		{"modified without proof", func(in *compliance.Input) { in.Filing.Vehicle.Modified = true }, gateway.Rejected, []string{"MODIFIED_VEHICLE_UNDECLARED"}},
		{"future application", func(in *compliance.Input) { in.Today = time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC) }, gateway.Rejected, []string{"APPLICATION_DATE_FUTURE"}},
		{"report VIN differs", func(in *compliance.Input) { in.Filing.InspectionReport.Vehicle.VIN = "LSJA24U62JG269225" }, gateway.Rejected, []string{"VIN_MISMATCH"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := cleanInput(t)
			tc.mutate(in)
			decision, res := evaluate(t, in)
			assert.Equal(t, tc.want, codes(res), "results: %+v", res)
			assert.Equal(t, tc.decision, decision)
			for _, r := range res {
				assert.NotEmpty(t, r.Pointers, r.Code)
				assert.NotContains(t, r.MessageEn, "%!", r.Code)
				assert.NotContains(t, r.MessageZh, "%!", r.Code)
			}
		})
	}
}

func setTransfer(in *compliance.Input, d gateway.Date) {
	in.Filing.Vehicle.TransferPendingExportDate = d
	in.Police.TransferPendingExportDate = d
	in.Licence.Lines[0].TransferPendingExportDate = d
}

// setRegistration moves the registration date everywhere, and the VIN's model-year code (with
// a recomputed check digit) to the registration year so no model-year warning distracts.
func setRegistration(in *compliance.Input, d gateway.Date) {
	vin := []byte(in.Filing.Vehicle.VIN)
	vin[9] = "ABCDEFGHJKLMNPRSTVWXY123456789"[(d.Time().Year()-1980)%30]
	for _, c := range []byte("0123456789X") {
		vin[8] = c
		if identity.ParseVIN(string(vin)).Severity == identity.OK {
			break
		}
	}
	in.Filing.Vehicle.VIN = string(vin)
	in.Filing.InspectionReport.Vehicle.VIN = string(vin)
	if in.Filing.DestinationDeclaration != nil {
		in.Filing.DestinationDeclaration.VIN = string(vin)
	}
	for i := range in.Maintenance {
		in.Maintenance[i].VIN = string(vin)
	}
	in.Licence.Lines[0].VIN = string(vin)
	in.Filing.Vehicle.RegistrationDate = d
	in.Filing.Vehicle.ManufactureDate = ""
	in.Filing.InspectionReport.Vehicle.RegistrationDate = d
	in.Police.RegistrationDate = d
	in.Licence.Lines[0].RegistrationDate = d
	in.VIN = identity.ParseVIN(in.Filing.Vehicle.VIN)
	in.VIN.CheckModelYear(d.Time())
}

// TestOwnerRulesQuoteNoPersonalData: rule results go to every caller of the filing and are
// committed to on the ledger (resultsHash), so the owner rules never quote the owner's data.
func TestOwnerRulesQuoteNoPersonalData(t *testing.T) {
	for _, o := range []gateway.Owner{
		{Name: "张伟", IDType: gateway.OwnerResidentID, IDNumber: "110105194912310021", Phone: "13812345678", Address: "北京市朝阳区建国路88号"},
		{Name: "张伟", IDType: gateway.OwnerResidentID, IDNumber: "1101051949123100", Phone: "13812345678"},
		{Name: "张伟", IDType: gateway.OwnerResidentID, IDNumber: "110105194902300021"},
		{Name: "某某租赁有限公司", IDType: gateway.OwnerUSCC, IDNumber: "9144O300192317458F"},
		{Name: "IVANOV IVAN", IDType: gateway.OwnerPassport, IDNumber: "E1#"},
	} {
		in := cleanInput(t)
		in.Filing.PreviousOwner = &o
		_, res := evaluate(t, in)
		require.NotEmpty(t, res, "%+v", o)
		out, err := json.Marshal(res)
		require.NoError(t, err)
		id := o.IDNumber
		for _, personal := range []string{o.Name, id, id[:min(6, len(id))], id[max(0, len(id)-4):], o.Phone, o.Address} {
			if personal != "" {
				assert.NotContains(t, string(out), personal)
			}
		}
	}
}
