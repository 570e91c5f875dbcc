package compliance

import (
	"sort"
	"strings"

	"github.com/ucx-export/ucx/gateway"
)

// --- maintenance e-health records (25号 encourages the query; brief §4.4 M-01..M-07) ---

// maintView is the maintenance records of one evaluation, prepared once: the records of the
// filed VIN ordered by repair-in date, how many named another VIN (M-07: discarded), and each
// record's searchable text (fault, items, parts; lower case).
type maintView struct {
	recs      []gateway.MaintenanceRecord
	discarded int
	texts     []string
}

func maintenance(in *Input) (recs []gateway.MaintenanceRecord, discarded int) {
	v := view(in)
	return v.recs, v.discarded
}

func view(in *Input) *maintView {
	if in.maint != nil {
		return in.maint
	}
	v := &maintView{}
	for _, r := range in.Maintenance {
		if r.VIN != in.VIN.Normalized {
			v.discarded++
			continue
		}
		v.recs = append(v.recs, r)
	}
	sort.SliceStable(v.recs, func(i, j int) bool { return v.recs[i].RepairInDate < v.recs[j].RepairInDate })
	v.texts = make([]string, len(v.recs))
	for i, r := range v.recs {
		var b strings.Builder
		b.WriteString(r.FaultDescription)
		for _, it := range r.RepairItems {
			b.WriteByte(0)
			b.WriteString(it)
		}
		for _, p := range r.Parts {
			b.WriteByte(0)
			b.WriteString(p.Name)
		}
		v.texts[i] = strings.ToLower(b.String())
	}
	in.maint = v
	return v
}

// rollbackTolerance is the share a later reading may fall below an earlier one (1 %).
const rollbackTolerance = 0.01

var ruleMaintRollback = &Rule{
	Code: "MAINT_ODOMETER_ROLLBACK", Severity: gateway.SeverityFail, Document: docUCX, Clause: "brief M-01 odometer rollback (suspected tampering); 2024年第6号公告 第六条(五)",
	Pointers:  []string{"/vehicle/odometerKm"},
	MessageEn: "odometer rollback suspected: %d km on %s after %d km on %s", MessageZh: "疑似调表：%[2]s 里程 %[1]d 公里，低于 %[4]s 记录的 %[3]d 公里",
	check: func(in *Input) []hit {
		recs, _ := maintenance(in)
		maxKm, maxDate := 0, gateway.Date("")
		for _, r := range recs {
			if float64(r.RepairInMileage) < float64(maxKm)*(1-rollbackTolerance) {
				return one(r.RepairInMileage, r.RepairInDate, maxKm, maxDate)
			}
			if r.RepairInMileage > maxKm {
				maxKm, maxDate = r.RepairInMileage, r.RepairInDate
			}
		}
		if odo := in.Filing.Vehicle.OdometerKm; maxKm > 0 && float64(odo) < float64(maxKm)*(1-rollbackTolerance) {
			return one(odo, in.Filing.ApplicationDate, maxKm, maxDate)
		}
		return nil
	},
}

var ruleMaintJump = &Rule{
	Code: "MAINT_MILEAGE_JUMP", Severity: gateway.SeverityWarn, Document: docUCX, Clause: "brief M-02 implausible mileage (> 1,000 km/day M1, > 2,000 km/day others)",
	Pointers:  []string{"/vehicle/odometerKm"},
	MessageEn: "implausible mileage: %d km/day between %s and %s", MessageZh: "里程增长异常：%[2]s 至 %[3]s 间日均 %[1]d 公里",
	check: func(in *Input) []hit {
		limit := 2000
		if in.Filing.Vehicle.Category == gateway.CategoryM1 {
			limit = 1000
		}
		recs, _ := maintenance(in)
		for i := 1; i < len(recs); i++ {
			d, err := days(recs[i-1].RepairInDate, recs[i].RepairInDate)
			if err != nil || d <= 0 {
				continue
			}
			if perDay := (recs[i].RepairInMileage - recs[i-1].RepairInMileage) / d; perDay > limit {
				return one(perDay, recs[i-1].RepairInDate, recs[i].RepairInDate)
			}
		}
		return nil
	},
}

// keyword sets of brief §4.4 (ASSUMPTION: matched in fault text, repair items and part names).
// Words are specific on purpose: 车架 alone also means the VIN (车架号), 校正 wheel alignment
// (四轮定位校正), 气囊 the air-suspension bags of trucks and buses (空气悬架气囊), 进水 an air
// intake — none of those is structural, airbag or flood damage.
var (
	structuralWords = []string{"纵梁", "A柱", "B柱", "C柱", "减震器座", "避震器座", "减震塔", "防火墙", "车身底板", "后备箱底板",
		"大梁", "车架切割", "车架焊接", "车架校正", "车架矫正", "车架更换", "longitudinal rail", "pillar", "frame rail", "shock tower"}
	airbagWords    = []string{"安全气囊", "气囊模块", "气囊控制", "气囊总成", "主驾驶气囊", "副驾驶气囊", "侧气囊", "气帘", "SRS", "airbag"}
	floodFireWords = []string{"泡水", "水淹", "涉水", "火烧", "自燃", "过火", "flood damage", "water damage", "fire damage", "burnt"}
)

func init() {
	for _, ws := range [][]string{structuralWords, airbagWords, floodFireWords} {
		for i, w := range ws {
			ws[i] = strings.ToLower(w)
		}
	}
}

// matching returns the settlement numbers of the filed VIN's records that mention any of
// words (lower case).
func matching(in *Input, words []string) []string {
	v := view(in)
	var hits []string
	for i, text := range v.texts {
		for _, w := range words {
			if strings.Contains(text, w) {
				hits = append(hits, v.recs[i].SettlementNo)
				break
			}
		}
	}
	return hits
}

// evidenced reports whether the report has at least one item with a code starting with one of
// the prefixes and every such item PASSED with at least one photo.
func evidenced(r *gateway.InspectionReport, prefixes ...string) bool {
	seen := false
	for _, it := range r.Items {
		for _, p := range prefixes {
			if strings.HasPrefix(it.Code, p) {
				if it.Result != gateway.ItemPass || len(it.PhotoRefs) == 0 {
					return false
				}
				seen = true
			}
		}
	}
	return seen
}

// evidence item prefixes per standard (ASSUMPTION: WM/T 9 areas Q9-4 accident, Q9-5 flood/fire, Q9-8 cab interior).
func structuralEvidence(r *gateway.InspectionReport) bool {
	if r.Standard == gateway.StandardWMT8 {
		return evidenced(r, "P-ACC-0", "P-ACC-10", "P-ACC-11", "P-ACC-12", "P-ACC-13", "P-ACC-14", "P-ACC-15", "P-ACC-16", "P-ACC-17", "P-ACC-18")
	}
	return evidenced(r, "Q9-4")
}

func airbagEvidence(r *gateway.InspectionReport) bool {
	if r.Standard == gateway.StandardWMT8 {
		return evidenced(r, "P-ACC-19")
	}
	return evidenced(r, "Q9-8")
}

func floodFireEvidence(r *gateway.InspectionReport) bool {
	if r.Standard == gateway.StandardWMT8 {
		return evidenced(r, "P-FLD-") && evidenced(r, "P-FIR-")
	}
	return evidenced(r, "Q9-5")
}

func evidenceRule(code, severityWithout, clause, en, zh string, words []string, ok func(*gateway.InspectionReport) bool) *Rule {
	return &Rule{
		Code: code, Severity: severityWithout, Document: docUCX, Clause: clause,
		Pointers:  []string{"/inspectionReport/items"},
		MessageEn: en, MessageZh: zh,
		check: func(in *Input) []hit {
			m := matching(in, words)
			if len(m) == 0 {
				return nil
			}
			if ok(&in.Filing.InspectionReport) {
				return sev(gateway.SeverityWarn, strings.Join(m, ", "), "the inspection report clears it with photo evidence", "检验报告已附照片排除")
			}
			return one(strings.Join(m, ", "), "the inspection report lacks passed items with photos", "检验报告缺少附照片的合格检验项")
		},
	}
}

var (
	ruleMaintStructural = evidenceRule("MAINT_STRUCTURAL_REPAIR", gateway.SeverityFail,
		"brief M-03 structural repair needs P-ACC-01..18 (WM/T 8) / Q9-4 (WM/T 9) PASS with photos",
		"maintenance records show structural repair (settlements %[1]s); %[2]s", "维修记录显示结构件维修（结算单 %[1]s）；%[3]s",
		structuralWords, structuralEvidence)
	ruleMaintAirbag = evidenceRule("MAINT_AIRBAG", gateway.SeverityHold,
		"brief M-04 airbag replaced needs P-ACC-19 (WM/T 8) / Q9-8 (WM/T 9) PASS with photos",
		"maintenance records show airbag replacement (settlements %[1]s); %[2]s", "维修记录显示更换安全气囊（结算单 %[1]s）；%[3]s",
		airbagWords, airbagEvidence)
	ruleMaintFloodFire = evidenceRule("MAINT_FLOOD_FIRE", gateway.SeverityFail,
		"brief M-05 flood/fire history needs P-FLD-01 and P-FIR-01 (WM/T 8) / Q9-5 (WM/T 9) PASS with photos",
		"maintenance records mention flood or fire (settlements %[1]s); %[2]s", "维修记录涉及泡水或火烧（结算单 %[1]s）；%[3]s",
		floodFireWords, floodFireEvidence)
)

var ruleMaintVINMismatch = &Rule{
	Code: "MAINT_VIN_MISMATCH", Severity: gateway.SeverityWarn, Document: docUCX, Clause: "brief M-07 records of another VIN are discarded",
	Pointers:  []string{"/vehicle/vin"},
	MessageEn: "%d maintenance record(s) named another VIN and were discarded", MessageZh: "%d 条维修记录的车辆识别代号不符，已剔除",
	check: func(in *Input) []hit {
		_, n := maintenance(in)
		return when(n > 0, n)
	},
}

var ruleMaintNoRecords = &Rule{
	Code: "MAINT_NO_RECORDS", Severity: gateway.SeverityWarn, Document: doc25, Clause: "maintenance-record query encouraged; absence only warns",
	Pointers:  []string{"/vehicle/vin"},
	MessageEn: "no maintenance records were found for VIN %s", MessageZh: "未查询到车辆识别代号 %s 的维修记录",
	check: func(in *Input) []hit {
		if in.MaintenanceErr != nil || in.Maintenance == nil || !in.VIN.Valid {
			return nil
		}
		recs, _ := maintenance(in)
		return when(len(recs) == 0, in.VIN.Normalized)
	},
}
