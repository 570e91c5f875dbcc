package filings

import (
	"context"
	"time"

	"github.com/ucx-export/ucx/gateway"
)

// Automatic credit events from filing outcomes (issue 6 §2). A stored filing whose check
// failed one of these rules charges its exporter once per vehicle and code (the event's ref is
// the VIN; the ledger records an AUTOMATIC event about a ref once, so the anchoring worker's
// retries charge nothing more). Dry runs are never charged.
//
// Decisions (ASSUMPTION, brief §7.4): E04 — the 180-day rule breached: applied without a valid
// maker's after-sales confirmation; E11 — licence data false or inconsistent with the vehicle
// (the licence does not list the VIN, or its vehicle data differ). E02 (forged documents) is
// a direct D: no check of ours tells forgery from error reliably enough to charge it without
// an investigation, so commerce records it by hand (POST /v1/exporters/{uscc}/credit-events).
var creditCharges = map[string]string{
	"AFTER_SALES_CONFIRMATION_REQUIRED": "E04",
	"AFTER_SALES_CONFIRMATION_MISMATCH": "E04",
	"LICENCE_VIN_NOT_LISTED":            "E11",
	"LICENCE_DATA_MISMATCH":             "E11",
}

// CreditCharges returns the rule codes that charge a credit event, with the event's code.
func CreditCharges() map[string]string {
	out := make(map[string]string, len(creditCharges))
	for k, v := range creditCharges {
		out[k] = v
	}
	return out
}

// chargeCredit records the automatic credit events a stored filing's failed rules call for.
// An event already recorded (ECONFLICT) is not an error; EUNAVAILABLE is, so the anchoring
// worker retries the filing.
func (s *Service) chargeCredit(ctx context.Context, rec *gateway.FilingRecord) error {
	done := map[string]bool{}
	for _, r := range rec.Results {
		code, ok := creditCharges[r.Code]
		if !ok || r.Severity != gateway.SeverityFail || done[code] {
			continue
		}
		done[code] = true
		_, err := s.ledger.RecordCreditEvent(ctx, gateway.OrgCommerce, gateway.CreditEventInput{ExporterUSCC: rec.ExporterUSCC,
			Code: code, OccurredAt: gateway.Date(rec.CreatedAt.In(china).Format(time.DateOnly)), Source: gateway.CreditAutomatic,
			Ref: rec.VIN, Actor: "filings:" + r.Code})
		switch {
		case err == nil:
			s.log.Info("credit event recorded from a filing", "code", code, "rule", r.Code, "filingId", rec.FilingID)
		case gateway.ErrorCode(err) == gateway.ECONFLICT:
		case permanent(err):
			s.log.Error("credit event from a filing refused by the ledger", "code", code, "filingId", rec.FilingID, "err", err)
		default:
			return err
		}
	}
	return nil
}

// china is the zone of the filing day a credit event is dated (UTC+8).
var china = time.FixedZone("CST", 8*3600)
