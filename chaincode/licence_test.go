package chaincode_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
)

// testLicence returns a valid licence issued 2026-03-01 for vins.
func testLicence(no string, vins ...string) chaincode.Licence {
	l := chaincode.Licence{
		LicenceNo: no, Status: "ISSUED", ExporterUSCC: uscc1, DestinationCountry: "KZ",
		IssueDate: "2026-03-01", ExpiryDate: "2026-08-31",
	}
	for _, v := range vins {
		l.Lines = append(l.Lines, chaincode.LicenceLine{
			VIN: v, Brand: "比亚迪", Model: "宋PLUS DM-i", RegistrationDate: "2025-08-20",
			TransferPendingExportDate: "2026-02-10", HSCode: "8703601190",
		})
	}
	return l
}

func toJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func licenceJSON(t testing.TB, no string, vins ...string) string {
	t.Helper()
	return toJSON(t, testLicence(no, vins...))
}

func TestIssueAndRevokeLicence(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(commerce, "RecordFiling", filingArgs(vin1, "F1")...) // vin1 already has one event

	in := testLicence("26-GD-000001", vin1, vin2)
	in.Status = "REVOKED" // forced to ISSUED
	in.IssuedTxID = "forged"
	l := decode[chaincode.Licence](t, h.ok(commerce, "IssueLicence", toJSON(t, in)))
	want := testLicence("26-GD-000001", vin1, vin2)
	want.IssuedTxID, want.UpdatedTxID = "tx000002", "tx000002"
	assert.Equal(t, want, l)

	events := h.event()
	require.Len(t, events, 2)
	for i, e := range events {
		assert.Equal(t, chaincode.EventLicenceIssued, e.Type)
		assert.Equal(t, []string{vin1, vin2}[i], e.VIN)
		assert.Equal(t, []int{1, 0}[i], e.Seq)
		tr := decode[chaincode.TracePage](t, h.ok(commerce, "GetTrace", e.VIN, "0", strconv.Itoa(e.Seq)))
		assert.Equal(t, "26-GD-000001", tr.Events[0].LicenceNo)
		assert.Equal(t, "commerce", tr.Events[0].Actor)
		assert.Equal(t, commerce, tr.Events[0].MSPID)
	}
	assert.Equal(t, "26-GD-000001", string(h.stub.state["licencevin~"+vin2]))

	assert.Equal(t, l, decode[chaincode.Licence](t, h.ok(customs, "GetLicence", "26-GD-000001")))
	assert.Equal(t, l, decode[chaincode.Licence](t, h.ok(customs, "LicenceForVIN", vin2)))
	h.fails(chaincode.CodeNotFound, customs, "LicenceForVIN", vin3)
	h.fails(chaincode.CodeNotFound, customs, "GetLicence", "26-GD-999999")

	// A VIN on two ISSUED licences, and a licence number used twice, are conflicts.
	msg := h.fails(chaincode.CodeConflict, commerce, "IssueLicence", licenceJSON(t, "26-GD-000002", vin3, vin2))
	assert.Contains(t, msg, "lines[1].vin")
	assert.Contains(t, msg, "26-GD-000001")
	h.fails(chaincode.CodeConflict, commerce, "IssueLicence", licenceJSON(t, "26-GD-000001", vin3))

	// Revoke: REVOKED, events on every VIN, VINs freed.
	r := decode[chaincode.Licence](t, h.ok(commerce, "RevokeLicence", "26-GD-000001", "EXPORTER_REQUEST", "officer-9"))
	assert.Equal(t, chaincode.LicenceRevoked, r.Status)
	assert.Equal(t, "EXPORTER_REQUEST", r.RevokedReason)
	assert.Equal(t, "tx000002", r.IssuedTxID)
	assert.NotEqual(t, r.IssuedTxID, r.UpdatedTxID)
	events = h.event()
	require.Len(t, events, 2)
	for _, e := range events {
		assert.Equal(t, chaincode.EventLicenceRevoked, e.Type)
		tr := decode[chaincode.TracePage](t, h.ok(commerce, "GetTrace", e.VIN, "0", strconv.Itoa(e.Seq)))
		assert.Equal(t, "26-GD-000001", tr.Events[0].LicenceNo)
		assert.Equal(t, "officer-9", tr.Events[0].Actor)
	}
	assert.NotContains(t, h.stub.state, "licencevin~"+vin1)
	assert.NotContains(t, h.stub.state, "licencevin~"+vin2)
	h.fails(chaincode.CodeNotFound, customs, "LicenceForVIN", vin1)
	assert.Equal(t, r, decode[chaincode.Licence](t, h.ok(customs, "GetLicence", "26-GD-000001")))

	h.fails(chaincode.CodeConflict, commerce, "RevokeLicence", "26-GD-000001", "FRAUD", "officer-9")
	h.fails(chaincode.CodeNotFound, commerce, "RevokeLicence", "26-GD-000404", "FRAUD", "officer-9")

	// The freed VIN can go on a new licence.
	h.ok(commerce, "IssueLicence", licenceJSON(t, "26-GD-000003", vin2))
	assert.Equal(t, "26-GD-000003", decode[chaincode.Licence](t, h.ok(police, "LicenceForVIN", vin2)).LicenceNo)

	p := decode[chaincode.TracePage](t, h.ok(customs, "GetTrace", vin2, "0", ""))
	var types []string
	for _, e := range p.Events {
		types = append(types, e.Type)
	}
	assert.Equal(t, []string{"LICENCE_ISSUED", "LICENCE_REVOKED", "LICENCE_ISSUED"}, types)
}

func TestIssueLicenceValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		edit  func(l *chaincode.Licence)
		field string
	}{
		{"number form", func(l *chaincode.Licence) { l.LicenceNo = "26-GD-00001" }, "licenceNo"},
		{"number lowercase", func(l *chaincode.Licence) { l.LicenceNo = "26-gd-000001" }, "licenceNo"},
		{"number year", func(l *chaincode.Licence) { l.LicenceNo = "25-GD-000001" }, "licenceNo"},
		{"uscc", func(l *chaincode.Licence) { l.ExporterUSCC = "91500112MA60QF5B8O" }, "exporterUscc"},
		{"country", func(l *chaincode.Licence) { l.DestinationCountry = "kz" }, "destinationCountry"},
		{"issue date", func(l *chaincode.Licence) { l.IssueDate = "2026-02-30" }, "issueDate"},
		{"expiry date", func(l *chaincode.Licence) { l.ExpiryDate = "31/08/2026" }, "expiryDate"},
		{"expiry before issue", func(l *chaincode.Licence) { l.ExpiryDate = "2026-02-28" }, "expiryDate"},
		{"expiry after six months", func(l *chaincode.Licence) { l.ExpiryDate = "2026-09-02" }, "expiryDate"},
		{"expiry after 31 December", func(l *chaincode.Licence) {
			l.IssueDate, l.ExpiryDate = "2026-10-01", "2027-01-15"
		}, "expiryDate"},
		{"six months clamps to month end", func(l *chaincode.Licence) {
			l.IssueDate, l.ExpiryDate = "2026-03-31", "2026-10-01"
			l.Lines[0].TransferPendingExportDate = ""
		}, "expiryDate"},
		{"no lines", func(l *chaincode.Licence) { l.Lines = nil }, "lines"},
		{"duplicate vin", func(l *chaincode.Licence) { l.Lines = append(l.Lines, l.Lines[0]) }, "lines[1].vin"},
		{"line vin", func(l *chaincode.Licence) { l.Lines[0].VIN = "LVRHFAEN9MN20387" }, "lines[0].vin"},
		{"line brand", func(l *chaincode.Licence) { l.Lines[0].Brand = "" }, "lines[0].brand"},
		{"line model control char", func(l *chaincode.Licence) { l.Lines[0].Model = "CX-5\n" }, "lines[0].model"},
		{"line registration date", func(l *chaincode.Licence) { l.Lines[0].RegistrationDate = "2025-8-20" }, "lines[0].registrationDate"},
		{"line registration after issue", func(l *chaincode.Licence) { l.Lines[0].RegistrationDate = "2026-03-02" }, "lines[0].registrationDate"},
		{"line transfer date", func(l *chaincode.Licence) { l.Lines[0].TransferPendingExportDate = "2025-01-01" }, "lines[0].transferPendingExportDate"},
		{"line hs code", func(l *chaincode.Licence) { l.Lines[0].HSCode = "8703.60" }, "lines[0].hsCode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			l := testLicence("26-GD-000001", vin1)
			tc.edit(&l)
			msg := h.fails(chaincode.CodeInvalidArgument, commerce, "IssueLicence", toJSON(t, l))
			assert.True(t, strings.HasPrefix(msg, tc.field), "message %q should start with %q", msg, tc.field)
			assert.Empty(t, h.snapshot())
		})
	}
	raw := []struct{ name, json string }{
		{"not JSON", `{"licenceNo":`},
		{"unknown field", strings.Replace(licenceJSON(t, "26-GD-000001", vin1), `"status"`, `"ownerName":"x","status"`, 1)},
		{"trailing data", licenceJSON(t, "26-GD-000001", vin1) + `{}`},
		{"array", `[]`},
	}
	for _, tc := range raw {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			msg := h.fails(chaincode.CodeInvalidArgument, commerce, "IssueLicence", tc.json)
			assert.True(t, strings.HasPrefix(msg, "licence: "), msg)
		})
	}
}

func TestLicenceLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Issue date in the second half of the year: 31 December is the limit.
	l := testLicence("26-GD-000001", vin1)
	l.IssueDate, l.ExpiryDate = "2026-09-15", "2026-12-31"
	h.ok(commerce, "IssueLicence", toJSON(t, l))
	// 31 March + 6 months = 30 September.
	l = testLicence("26-GD-000002", vin2)
	l.IssueDate, l.ExpiryDate = "2026-03-31", "2026-09-30"
	h.ok(commerce, "IssueLicence", toJSON(t, l))
	// A licence without the optional transfer date.
	l = testLicence("26-GD-000003", vin3)
	l.Lines[0].TransferPendingExportDate = ""
	raw := h.ok(commerce, "IssueLicence", toJSON(t, l))
	assert.NotContains(t, string(raw), "transferPendingExportDate")
}
