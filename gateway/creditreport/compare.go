package creditreport

import (
	"fmt"
	"strconv"

	"github.com/ucx-export/ucx/gateway/exporters"
)

// Kinds of change between a report and the exporter's credit now.
const (
	ChangeScore            = "SCORE"              // was, now: the scores
	ChangeGrade            = "GRADE"              // was, now: the grades
	ChangeModelVersion     = "MODEL_VERSION"      // was, now: the credit model versions
	ChangeEventAdded       = "EVENT_ADDED"        // now: the new event's weight
	ChangeEventRemoved     = "EVENT_REMOVED"      // was: the event's weight in the report
	ChangeEventStatus      = "EVENT_STATUS"       // was, now: the event's statuses
	ChangeEventWeight      = "EVENT_WEIGHT"       // was, now: the event's weights (decay, expiry, caps)
	ChangeExporterNotFiled = "EXPORTER_NOT_FILED" // the exporter has left the filing registry
)

// Change is one difference between a report and the exporter's credit now.
type Change struct {
	Kind string `json:"kind"`
	// EventID and Code name the event of an EVENT_* change.
	EventID   string `json:"eventId,omitempty"`
	Code      string `json:"code,omitempty"`
	Was       any    `json:"was,omitempty"`
	Now       any    `json:"now,omitempty"`
	Message   string `json:"message"`
	MessageZh string `json:"messageZh"`
}

// Compare lists what differs between the credit in a report and the credit now: the model
// version, the score, the grade, then each event of the report (removed, status, weight) in
// the report's order, then each event recorded since, in order. Nil when nothing differs.
func Compare(was, now *exporters.Credit) []Change {
	var out []Change
	if was.ModelVersion != now.ModelVersion {
		out = append(out, Change{Kind: ChangeModelVersion, Was: was.ModelVersion, Now: now.ModelVersion,
			Message:   fmt.Sprintf("credit model %s → %s", was.ModelVersion, now.ModelVersion),
			MessageZh: fmt.Sprintf("信用模型 %s → %s", was.ModelVersion, now.ModelVersion)})
	}
	if was.Score != now.Score {
		out = append(out, Change{Kind: ChangeScore, Was: was.Score, Now: now.Score,
			Message:   fmt.Sprintf("score %d → %d", was.Score, now.Score),
			MessageZh: fmt.Sprintf("信用分 %d → %d", was.Score, now.Score)})
	}
	if was.Grade != now.Grade {
		out = append(out, Change{Kind: ChangeGrade, Was: was.Grade, Now: now.Grade,
			Message:   fmt.Sprintf("grade %s → %s", was.Grade, now.Grade),
			MessageZh: fmt.Sprintf("信用等级 %s → %s", was.Grade, now.Grade)})
	}
	nowByID := make(map[string]exporters.Event, len(now.Events))
	for _, e := range now.Events {
		nowByID[e.ID] = e
	}
	wasIDs := make(map[string]bool, len(was.Events))
	for _, w := range was.Events {
		wasIDs[w.ID] = true
		n, ok := nowByID[w.ID]
		switch {
		case !ok:
			out = append(out, Change{Kind: ChangeEventRemoved, EventID: w.ID, Code: w.Code, Was: w.Weight,
				Message:   fmt.Sprintf("event %s (%s) is no longer on record", w.ID, w.Code),
				MessageZh: fmt.Sprintf("信用事件 %s（%s）已不在记录中", w.ID, w.Code)})
			continue
		case w.Status != n.Status:
			out = append(out, Change{Kind: ChangeEventStatus, EventID: w.ID, Code: w.Code, Was: w.Status, Now: n.Status,
				Message:   fmt.Sprintf("event %s (%s): status %s → %s", w.ID, w.Code, w.Status, n.Status),
				MessageZh: fmt.Sprintf("信用事件 %s（%s）：状态 %s → %s", w.ID, w.Code, w.Status, n.Status)})
		}
		if w.Weight != n.Weight {
			out = append(out, Change{Kind: ChangeEventWeight, EventID: w.ID, Code: w.Code, Was: w.Weight, Now: n.Weight,
				Message:   fmt.Sprintf("event %s (%s): weight %s → %s", w.ID, w.Code, num(w.Weight), num(n.Weight)),
				MessageZh: fmt.Sprintf("信用事件 %s（%s）：权重 %s → %s", w.ID, w.Code, num(w.Weight), num(n.Weight))})
		}
	}
	for _, n := range now.Events {
		if wasIDs[n.ID] {
			continue
		}
		out = append(out, Change{Kind: ChangeEventAdded, EventID: n.ID, Code: n.Code, Now: n.Weight,
			Message:   fmt.Sprintf("new event %s: %s %s (%s), weight %s", n.ID, n.Code, n.NameEn, n.OccurredAt, num(n.Weight)),
			MessageZh: fmt.Sprintf("新增信用事件 %s：%s %s（%s），权重 %s", n.ID, n.Code, n.NameZh, n.OccurredAt, num(n.Weight))})
	}
	return out
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
