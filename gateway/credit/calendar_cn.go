package credit

// China2026 is the working-day calendar the objection and repair time limits count in by
// default: the 2026 public holidays and the weekend days worked in their place (调休), as the
// State Council General Office's notice on the 2026 holiday arrangements gives them.
// ASSUMPTION: transcribed by us, not checked against the gazette here; deployments load the
// official list with --credit-calendar (a JSON {"holidays":[…],"workdays":[…]}), and the
// years after 2026 need it.
var China2026 = Calendar{
	Holidays: days(
		"2026-01-01", "2026-01-02", "2026-01-03", // 元旦
		"2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
		"2026-02-21", "2026-02-22", "2026-02-23", // 春节
		"2026-04-04", "2026-04-05", "2026-04-06", // 清明节
		"2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", // 劳动节
		"2026-06-19", "2026-06-20", "2026-06-21", // 端午节
		"2026-09-25", "2026-09-26", "2026-09-27", // 中秋节
		"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07", // 国庆节
	),
	Workdays: days("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"),
}

func days(ds ...string) map[string]bool {
	m := make(map[string]bool, len(ds))
	for _, d := range ds {
		m[d] = true
	}
	return m
}
