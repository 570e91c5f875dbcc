package credit

// Table2026 is the event table in force: brief §7.4's proposal (ASSUMPTION, by analogy to
// GACC enterprise credit, tax credit grades and the NDRC repair periods; docs/rules.md).
// Decisions of ours: §7.4's E16 "−2 / −3" is two codes, E16 (late trace-event reporting, −2)
// and E17 (filing change not updated within 30 days, −3); the E14 cap (−20 per 12 months) is
// a cap on the weight of all active E14 events, which expire after 12 months; bonuses
// together add at most 20 points. Recorder: the organisation whose MSP may record the code
// on the ledger; Automatic codes are recorded by the gateway from an outcome.
var Table2026 = Table{Version: "ucx-credit-2026.1", Rules: map[string]Rule{}}

func init() {
	for _, r := range []Rule{
		{Code: "E01", Tier: Severe, Recorder: "police", NameZh: "出口或企图出口禁止出口车辆（盗抢、走私、非法拼装、报废、查封），经公安或海关确认", NameEn: "Prohibited vehicle exported or attempted (stolen, smuggled, illegally assembled, scrapped, seized), confirmed by police or customs"},
		{Code: "E02", Tier: Severe, Recorder: "commerce", Automatic: true, NameZh: "伪造、变造证明文件（登记证书、检验报告、售后确认、许可证）", NameEn: "Forged or altered document (registration certificate, inspection report, after-sales confirmation, licence)"},
		{Code: "E03", Tier: Severe, Recorder: "customs", NameZh: "海关失信企业、严重失信主体名单或走私处罚", NameEn: "Customs dishonest enterprise, severe-dishonesty list or smuggling penalty"},
		{Code: "E04", Points: 30, Tier: Major, Recorder: "commerce", Automatic: true, NameZh: "登记不满 180 日车辆未取得有效生产企业售后确认即申请或出口", NameEn: "Vehicle registered ≤180 days applied for or exported without a valid maker's confirmation"},
		{Code: "E05", Points: 25, Tier: Major, Recorder: "commerce", NameZh: "改装车辆无真实性证明、不在工信部目录或无 CCC 认证", NameEn: "Modified vehicle without proof of authenticity, not in the MIIT catalogue, or without CCC"},
		{Code: "E06", Points: 25, Tier: Major, Recorder: "police", NameZh: "转让待出口车辆在境内转售", NameEn: "Vehicle transferred pending export resold at home"},
		{Code: "E07", Points: 20, Tier: Major, Recorder: "commerce", NameZh: "被责令整改", NameEn: "Ordered to rectify"},
		{Code: "E08", Points: 20, Tier: Major, FloorC: true, Recorder: "commerce", NameZh: "逾期未落实整改", NameEn: "Rectification not implemented by the deadline"},
		{Code: "E09", Points: 15, Tier: Major, Recorder: "commerce", NameZh: "经查实未提供售后服务、配件或维修技术", NameEn: "Substantiated failure to provide after-sales service, spare parts or repair technology"},
		{Code: "E10", Points: 15, Tier: Major, Recorder: "commerce", NameZh: "未履行质量保证义务（境外发现车辆不符合要求）", NameEn: "Quality-assurance obligation not fulfilled (vehicle found non-conforming abroad)"},
		{Code: "E11", Points: 10, Tier: General, Recorder: "commerce", Automatic: true, NameZh: "因数据虚假或不一致（VIN、日期、车型）被拒发许可证", NameEn: "Licence refused for false or inconsistent data (VIN, date, model)"},
		{Code: "E12", Points: 10, Tier: General, Recorder: "commerce", NameZh: "被主管部门约谈", NameEn: "Regulator talk (约谈)"},
		{Code: "E13", Points: 10, Tier: General, Recorder: "customs", NameZh: "海关行政处罚（非走私）", NameEn: "Customs administrative penalty (not smuggling)"},
		{Code: "E14", Points: 5, Tier: General, Cap: 20, Recorder: "commerce", Automatic: true, NameZh: "出口后 2 个月内未办理注销登记（每车）", NameEn: "Deregistration not done within 2 months of exit (per vehicle)"},
		{Code: "E15", Points: 5, Tier: General, Recorder: "customs", NameZh: "因不符合要求被目的国拒收或退运", NameEn: "Rejected or returned by the destination for non-conformity"},
		{Code: "E16", Points: 2, Tier: Minor, Recorder: "commerce", Automatic: true, NameZh: "追溯事件逾期报送（超过 5 个工作日）", NameEn: "Trace event reported late (more than 5 working days)"},
		{Code: "E17", Points: 3, Tier: Minor, Recorder: "commerce", NameZh: "备案信息变更 30 日内未更新", NameEn: "Filing (备案) change not updated within 30 days"},
		{Code: "B01", Points: 5, Tier: Bonus, Cap: 10, Recorder: "commerce", Automatic: true, NameZh: "连续 12 个月无一般及以上失信事件", NameEn: "12 consecutive months with no active general or worse event"},
		{Code: "B02", Points: 2, Tier: Bonus, Cap: 8, Recorder: "commerce", Automatic: true, NameZh: "季度内 95% 以上出口车辆附维修记录查询", NameEn: "At least 95 % of a quarter's exported vehicles with a maintenance-record query"},
		{Code: "B03", Points: 5, Tier: Bonus, Cap: 5, Recorder: "customs", NameZh: "海关高级认证企业（AEO）", NameEn: "Customs advanced certified enterprise (AEO)"},
		{Code: "B04", Points: 3, Tier: Bonus, Cap: 3, Recorder: "commerce", NameZh: "当年纳税信用 A 级", NameEn: "Tax credit grade A this year"},
	} {
		Table2026.Rules[r.Code] = r
	}
}
