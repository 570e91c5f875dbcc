package chaincode

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// licenceActor is the actor recorded on LICENCE_ISSUED events.
const licenceActor = "commerce"

// IssueLicence records an issued export licence (a Licence as JSON) and appends a
// LICENCE_ISSUED event to the trace of every VIN on its schedule. CommerceMSP only. The status
// is forced to ISSUED and the transaction fields are set by the contract (revokedReason,
// issuedTxId, updatedTxId sent by the caller are ignored). Checks: licence number form and
// its year matching the issue year; dates; expiry not before issue, at most six months after
// it and not after 31 December of the issue year; 1 to MaxLicenceLines lines, no VIN twice.
// Errors: FORBIDDEN, INVALID_ARGUMENT, CONFLICT when the number was used before or a VIN is
// on another ISSUED licence, ILLEGAL_TRANSITION ("lines[i].vin: …") when any VIN's lifecycle
// refuses LICENCE_ISSUED (the whole licence is then refused).
func (c *Contract) IssueLicence(ctx contractapi.TransactionContextInterface, licenceJSON string) (*Licence, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireMSP(t.mspID, MSPCommerce, "issuing a licence"); err != nil {
		return nil, err
	}
	var l Licence
	if err := decodeStrict("licence", licenceJSON, &l); err != nil {
		return nil, err
	}
	if err := validateLicence(&l); err != nil {
		return nil, err
	}
	prev, err := t.get(licenceKey(l.LicenceNo))
	if err != nil {
		return nil, err
	}
	if prev != nil {
		return nil, fail(CodeConflict, "licence %s is already recorded", l.LicenceNo)
	}
	for i, line := range l.Lines {
		holder, err := t.get(licenceVINKey(line.VIN))
		if err != nil {
			return nil, err
		}
		if holder != nil {
			return nil, fail(CodeConflict, "lines[%d].vin: %s is on ISSUED licence %s", i, line.VIN, holder)
		}
	}
	l.Status = LicenceIssued
	l.RevokedReason = ""
	l.IssuedTxID = t.txID
	l.UpdatedTxID = t.txID
	if err := t.putJSON(licenceKey(l.LicenceNo), &l); err != nil {
		return nil, err
	}
	for i, line := range l.Lines {
		t.put(licenceVINKey(line.VIN), []byte(l.LicenceNo))
		e := &TraceEvent{VIN: line.VIN, Type: EventLicenceIssued, LicenceNo: l.LicenceNo,
			ExporterUSCC: l.ExporterUSCC, Actor: licenceActor}
		if err := t.appendEvent(e); err != nil {
			return nil, atLine(i, err)
		}
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return &l, nil
}

// validateLicence checks a licence's fields; field names in errors are JSON paths.
func validateLicence(l *Licence) error {
	if err := checkLicenceNo("licenceNo", l.LicenceNo); err != nil {
		return err
	}
	if err := checkUSCC("exporterUscc", l.ExporterUSCC); err != nil {
		return err
	}
	if err := checkCountry("destinationCountry", l.DestinationCountry); err != nil {
		return err
	}
	issue, err := parseDate("issueDate", l.IssueDate)
	if err != nil {
		return err
	}
	expiry, err := parseDate("expiryDate", l.ExpiryDate)
	if err != nil {
		return err
	}
	if yy := fmt.Sprintf("%02d", issue.Year()%100); l.LicenceNo[:2] != yy {
		return fail(CodeInvalidArgument, "licenceNo: year %s does not match issueDate", l.LicenceNo[:2])
	}
	if expiry.Before(issue) {
		return fail(CodeInvalidArgument, "expiryDate: before issueDate")
	}
	limit := addMonths(issue, 6)
	if dec31 := time.Date(issue.Year(), time.December, 31, 0, 0, 0, 0, time.UTC); dec31.Before(limit) {
		limit = dec31
	}
	if expiry.After(limit) {
		return fail(CodeInvalidArgument, "expiryDate: must be on or before %s (six months from issue, capped at 31 December)", limit.Format(dateLayout))
	}
	if len(l.Lines) == 0 || len(l.Lines) > MaxLicenceLines {
		return fail(CodeInvalidArgument, "lines: must hold 1 to %d lines, got %d", MaxLicenceLines, len(l.Lines))
	}
	seen := make(map[string]int, len(l.Lines))
	for i, line := range l.Lines {
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		if err := checkVIN(f("vin"), line.VIN); err != nil {
			return err
		}
		if j, dup := seen[line.VIN]; dup {
			return fail(CodeInvalidArgument, "%s: %s is also on lines[%d]", f("vin"), line.VIN, j)
		}
		seen[line.VIN] = i
		if err := checkLabel(f("brand"), line.Brand); err != nil {
			return err
		}
		if err := checkLabel(f("model"), line.Model); err != nil {
			return err
		}
		reg, err := parseDate(f("registrationDate"), line.RegistrationDate)
		if err != nil {
			return err
		}
		if reg.After(issue) {
			return fail(CodeInvalidArgument, "%s: after issueDate", f("registrationDate"))
		}
		if line.TransferPendingExportDate != "" {
			tpe, err := parseDate(f("transferPendingExportDate"), line.TransferPendingExportDate)
			if err != nil {
				return err
			}
			if tpe.Before(reg) || tpe.After(issue) {
				return fail(CodeInvalidArgument, "%s: must be between registrationDate and issueDate", f("transferPendingExportDate"))
			}
		}
		if err := checkHSCode(f("hsCode"), line.HSCode); err != nil {
			return err
		}
	}
	return nil
}

// RevokeLicence revokes an ISSUED licence: status REVOKED with reasonCode (an uppercase code
// such as FRAUD or EXPORTER_REQUEST, never free text), a LICENCE_REVOKED event on every VIN of
// its schedule, and its VINs freed for another licence. CommerceMSP only. Errors: FORBIDDEN,
// INVALID_ARGUMENT, NOT_FOUND, CONFLICT when the licence is not ISSUED, ILLEGAL_TRANSITION
// ("lines[i].vin: …") when a VIN on it is CLOSED.
func (c *Contract) RevokeLicence(ctx contractapi.TransactionContextInterface, licenceNo, reasonCode, actor string) (*Licence, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireMSP(t.mspID, MSPCommerce, "revoking a licence"); err != nil {
		return nil, err
	}
	if err := checkLicenceNo("licenceNo", licenceNo); err != nil {
		return nil, err
	}
	if err := checkReasonCode("reasonCode", reasonCode); err != nil {
		return nil, err
	}
	if err := checkActor("actor", actor); err != nil {
		return nil, err
	}
	b, err := t.get(licenceKey(licenceNo))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fail(CodeNotFound, "licence %s is not recorded", licenceNo)
	}
	var l Licence
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("corrupt licence %s: %w", licenceNo, err)
	}
	if l.Status != LicenceIssued {
		return nil, fail(CodeConflict, "licence %s is %s, not ISSUED", licenceNo, l.Status)
	}
	l.Status = LicenceRevoked
	l.RevokedReason = reasonCode
	l.UpdatedTxID = t.txID
	if err := t.putJSON(licenceKey(licenceNo), &l); err != nil {
		return nil, err
	}
	for i, line := range l.Lines {
		holder, err := t.get(licenceVINKey(line.VIN))
		if err != nil {
			return nil, err
		}
		if string(holder) == licenceNo {
			t.put(licenceVINKey(line.VIN), nil)
		}
		// A closed vehicle's journey is over: the revocation does not reach its trace, but it
		// does not block revoking the licence for the others (e.g. for fraud).
		st, err := t.vehicleState(line.VIN)
		if err != nil {
			return nil, err
		}
		if st.Closed {
			continue
		}
		e := &TraceEvent{VIN: line.VIN, Type: EventLicenceRevoked, LicenceNo: licenceNo,
			ExporterUSCC: l.ExporterUSCC, Actor: actor}
		if err := t.appendEvent(e); err != nil {
			return nil, atLine(i, err)
		}
	}
	if err := t.commit(); err != nil {
		return nil, err
	}
	return &l, nil
}

// GetLicence returns a licence. Errors: INVALID_ARGUMENT, NOT_FOUND.
func (c *Contract) GetLicence(ctx contractapi.TransactionContextInterface, licenceNo string) (*Licence, error) {
	if err := checkLicenceNo("licenceNo", licenceNo); err != nil {
		return nil, err
	}
	return readLicence(ctx, licenceNo)
}

// LicenceForVIN returns the ISSUED licence listing vin. Errors: INVALID_ARGUMENT, NOT_FOUND.
func (c *Contract) LicenceForVIN(ctx contractapi.TransactionContextInterface, vin string) (*Licence, error) {
	if err := checkVIN("vin", vin); err != nil {
		return nil, err
	}
	no, err := getState(ctx.GetStub(), licenceVINKey(vin))
	if err != nil {
		return nil, err
	}
	if no == nil {
		return nil, fail(CodeNotFound, "no ISSUED licence lists %s", vin)
	}
	l, err := readLicence(ctx, string(no))
	if err != nil {
		return nil, err
	}
	if l.Status != LicenceIssued {
		return nil, fail(CodeNotFound, "no ISSUED licence lists %s", vin)
	}
	return l, nil
}

func readLicence(ctx contractapi.TransactionContextInterface, licenceNo string) (*Licence, error) {
	b, err := getState(ctx.GetStub(), licenceKey(licenceNo))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fail(CodeNotFound, "licence %s is not recorded", licenceNo)
	}
	var l Licence
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("corrupt licence %s: %w", licenceNo, err)
	}
	return &l, nil
}
