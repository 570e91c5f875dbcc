package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway/inspection"
)

// The journey tests walk fixture vehicles through the whole export over HTTP (issue 5 §6):
// filing → transfer pending export → signed inspection report → licence → customs clearance →
// declared → released → exited → deregistered → closed, and the failure paths: stolen
// mid-journey, expired licence at the border, HS mismatch, second declaration. In embedded
// mode on every go test; on the real Fabric network under UCX_INTEGRATION=1.

func TestJourneyEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	gw := start(t, buildBinary(t), t.TempDir())
	walkJourneys(t, &client{t: t, base: gw.base}, false)
}

// TestJourneyFabric expects the fixture vehicles untouched on the network (a fresh one:
// scripts/integration.sh runs it before the tests that seed licences).
func TestJourneyFabric(t *testing.T) {
	t.Setenv("UCX_CREDIT_WORKER_INTERVAL", "0") // the awards are tested on the embedded ledger; keep the network for the journey
	conn := fabricConnection(t)
	cmd := exec.Command(buildBinary(t), "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--ledger", "fabric")
	cmd.Env = append(os.Environ(), "UCX_FABRIC_CONNECTION="+conn)
	gw := startCmd(t, cmd)
	walkJourneys(t, &client{t: t, base: gw.base}, true)
}

// client is a small HTTP client of the gateway for the journey.
type client struct {
	t    *testing.T
	base string
}

func (c *client) call(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			b, err = json.Marshal(body)
			require.NoError(c.t, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := api.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m
}

func (c *client) ok(want int, method, path string, body any) map[string]any {
	c.t.Helper()
	status, m := c.call(method, path, body)
	require.Equal(c.t, want, status, "%s %s: %v", method, path, m)
	return m
}

func (c *client) refused(want int, code, method, path string, body any) {
	c.t.Helper()
	status, m := c.call(method, path, body)
	require.Equal(c.t, want, status, "%s %s: %v", method, path, m)
	e, _ := m["error"].(map[string]any)
	require.NotNil(c.t, e, "an error envelope")
	assert.Equal(c.t, code, e["code"], "%s %s", method, path)
}

func (c *client) event(vin, org, typ string) map[string]any {
	c.t.Helper()
	return c.ok(201, http.MethodPost, "/v1/vehicles/"+vin+"/events", map[string]any{
		"org": org, "type": typ, "evidenceHash": fmt.Sprintf("sha256:%064x", len(typ)), "actor": org + "-officer-1"})
}

// vehicle is a fixture filing with the documents its journey needs.
type vehicle struct {
	vin, licenceNo, hsCode, declaredAt string
	filing                             []byte
	signedReport                       map[string]any
	licence                            map[string]any
	doc                                map[string]any
}

func loadVehicle(t *testing.T, name string) *vehicle {
	t.Helper()
	v := &vehicle{}
	var err error
	v.filing, err = fixtures.FS.ReadFile("filings/" + name + ".json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(v.filing, &v.doc))
	v.vin = v.doc["vehicle"].(map[string]any)["vin"].(string)
	v.licenceNo = v.doc["licenceNo"].(string)
	v.declaredAt = v.doc["applicationDate"].(string)
	var licences []map[string]any
	data, err := fixtures.FS.ReadFile("agencies/licences.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &licences))
	for _, l := range licences {
		if l["licenceNo"] == v.licenceNo {
			v.licence = l
			for _, line := range l["lines"].([]any) {
				if line.(map[string]any)["vin"] == v.vin {
					v.hsCode = line.(map[string]any)["hsCode"].(string)
				}
			}
		}
	}
	require.NotNil(t, v.licence)
	report := v.doc["inspectionReport"].(map[string]any)
	raw, err := json.Marshal(report)
	require.NoError(t, err)
	keys, err := inspection.LoadRegistry(fixtures.FS, "agencies/inspection-agency-keys.json")
	require.NoError(t, err)
	k, ok := keys.ActiveKey(report["agency"].(map[string]any)["uscc"].(string), report["issueDate"].(string))
	require.True(t, ok)
	sig, err := inspection.Sign(raw, k.KeyID, inspection.DemoKey(k.KeyID))
	require.NoError(t, err)
	v.signedReport = map[string]any{"report": json.RawMessage(raw), "signature": sig}
	return v
}

func (v *vehicle) declaration(no, declaredAt, hs string) map[string]any {
	return map[string]any{
		"declarationNo": no, "declaredAt": declaredAt, "exporterUscc": v.doc["exporter"].(map[string]any)["uscc"],
		"licenceNo": v.licenceNo, "destinationCountry": v.doc["destinationCountry"],
		"lines": []any{map[string]any{"vin": v.vin, "hsCode": hs}},
	}
}

// issueLicence puts the fixture licence on the ledger (already there counts: a network
// seeded by another test).
func (c *client) issueLicence(v *vehicle) {
	c.t.Helper()
	status, m := c.call(http.MethodPost, "/v1/licences", v.licence)
	if status == http.StatusConflict {
		c.ok(200, http.MethodGet, "/v1/licences/"+v.licenceNo, nil)
		return
	}
	require.Equal(c.t, 201, status, "%v", m)
}

func lineOf(rec map[string]any) map[string]any {
	return rec["lines"].([]any)[0].(map[string]any)
}

func reasonsOf(line map[string]any) []string {
	var out []string
	for _, r := range line["reasons"].([]any) {
		out = append(out, r.(map[string]any)["code"].(string))
	}
	return out
}

func walkJourneys(t *testing.T, c *client, fabric bool) {
	seq := 0
	declNo := func() string {
		seq++
		return fmt.Sprintf("02022026%s%09d", map[bool]string{false: "0", true: "E"}[fabric], 900000+seq)
	}

	t.Run("the whole journey", func(t *testing.T) {
		c := &client{t: t, base: c.base}
		for _, name := range []string{"clean-m1-kz", "clean-n1-pickup-ru"} {
			v := loadVehicle(t, name)
			rec := c.ok(201, http.MethodPost, "/v1/filings?wait=anchored", v.filing)
			require.Equal(t, "ACCEPTED", rec["decision"])
			code := rec["verificationCode"].(string)

			declare := func(no string) (int, map[string]any) {
				return c.call(http.MethodPost, "/v1/vehicles/"+v.vin+"/events", map[string]any{
					"org": "customs", "type": "DECLARED", "evidenceHash": fmt.Sprintf("sha256:%064x", 1), "actor": "c-1", "declarationNo": no})
			}
			status, _ := declare("020220260999999999")
			assert.Equal(t, 404, status, "an unchecked declaration cannot be declared")
			status, _ = declare("0202-2026")
			assert.Equal(t, 400, status, "a malformed declaration number is refused")
			assert.Equal(t, "TRANSFERRED", c.event(v.vin, "police", "TRANSFERRED_PENDING_EXPORT")["status"])
			ins := c.ok(201, http.MethodPost, "/v1/inspection-reports", v.signedReport)
			assert.Equal(t, "INSPECTED", ins["event"].(map[string]any)["type"])

			no := declNo()
			clear := c.ok(201, http.MethodPost, "/v1/customs/clearances", v.declaration(no, v.declaredAt, v.hsCode))
			assert.Equal(t, "CLEAR", lineOf(clear)["status"], "%v", reasonsOf(lineOf(clear)))
			c.refused(400, "EINVALID", http.MethodPost, "/v1/vehicles/"+v.vin+"/events",
				map[string]any{"org": "customs", "type": "DECLARED", "evidenceHash": fmt.Sprintf("sha256:%064x", 1), "actor": "c-1"})
			status, m := declare(no)
			require.Equal(t, 409, status, "the ledger holds no licence for it yet: %v", m)
			assert.Equal(t, "ILLEGAL_TRANSITION", m["error"].(map[string]any)["code"])
			c.issueLicence(v)
			status, declared := declare(no)
			require.Equal(t, 201, status, "%v", declared)
			assert.Equal(t, "DECLARED", declared["status"])
			assert.Equal(t, "RELEASED", c.event(v.vin, "customs", "RELEASED")["status"])
			assert.Equal(t, "EXITED", c.event(v.vin, "customs", "EXITED")["status"])
			assert.Equal(t, "open", deadlineState(c, v.vin, "DEREGISTRATION"), "deregistration is due 2 months after exit")
			assert.Equal(t, "met", deadlineState(c, v.vin, "TEMP_PLATE"), "the vehicle left on its temporary plate")
			assert.Equal(t, "DEREGISTERED", c.event(v.vin, "police", "DEREGISTERED")["status"])
			assert.Equal(t, "met", deadlineState(c, v.vin, "DEREGISTRATION"))
			assert.Equal(t, "CLOSED", c.event(v.vin, "commerce", "CLOSED")["status"])

			// A second declaration of the same vehicle is refused at the border.
			again := c.ok(201, http.MethodPost, "/v1/customs/clearances", v.declaration(declNo(), v.declaredAt, v.hsCode))
			assert.Equal(t, "REFUSE", lineOf(again)["status"])
			assert.Contains(t, reasonsOf(lineOf(again)), "CUSTOMS_ALREADY_DECLARED")

			// The dossier tells an overseas buyer where the vehicle stands, with receipts.
			d := c.ok(200, http.MethodGet, "/v1/verify/vehicles/"+code, nil)
			assert.Equal(t, "CLOSED", d["exportStatus"])
			trace := d["trace"].([]any)
			assert.GreaterOrEqual(t, len(trace), 9)
			for _, e := range trace {
				assert.NotNil(t, e.(map[string]any)["receipt"], "every step carries its receipt")
			}
		}
	})

	t.Run("stolen mid-journey", func(t *testing.T) {
		c := &client{t: t, base: c.base}
		v := loadVehicle(t, "clean-m3-bus-sa")
		require.Equal(t, "ACCEPTED", c.ok(201, http.MethodPost, "/v1/filings?wait=anchored", v.filing)["decision"])
		c.event(v.vin, "police", "TRANSFERRED_PENDING_EXPORT")
		assert.Equal(t, "HELD:TRANSFERRED", c.event(v.vin, "police", "VEHICLE_HELD")["status"])
		c.refused(409, "ILLEGAL_TRANSITION", http.MethodPost, "/v1/inspection-reports", v.signedReport)
		c.issueLicenceRefusedWhileHeld(v)
		assert.Equal(t, "TRANSFERRED", c.event(v.vin, "police", "HOLD_RELEASED")["status"])
		c.ok(201, http.MethodPost, "/v1/inspection-reports", v.signedReport)
	})

	t.Run("at the border: expired licence, HS mismatch", func(t *testing.T) {
		c := &client{t: t, base: c.base}
		v := loadVehicle(t, "clean-o4-semitrailer-mn")
		require.Equal(t, "ACCEPTED", c.ok(201, http.MethodPost, "/v1/filings?wait=anchored", v.filing)["decision"])
		c.event(v.vin, "police", "TRANSFERRED_PENDING_EXPORT")
		c.ok(201, http.MethodPost, "/v1/inspection-reports", v.signedReport)
		c.issueLicence(v)
		expiry, err := time.Parse(time.DateOnly, v.licence["expiryDate"].(string))
		require.NoError(t, err)
		dayAfter := expiry.AddDate(0, 0, 1).Format(time.DateOnly)
		expired := c.ok(201, http.MethodPost, "/v1/customs/clearances", v.declaration(declNo(), dayAfter, v.hsCode))
		assert.Equal(t, "REFUSE", lineOf(expired)["status"])
		assert.Contains(t, reasonsOf(lineOf(expired)), "CUSTOMS_LICENCE_NOT_LIVE")
		hs := c.ok(201, http.MethodPost, "/v1/customs/clearances", v.declaration(declNo(), v.declaredAt, "8703231990"))
		assert.Equal(t, "REFUSE", lineOf(hs)["status"])
		assert.Contains(t, reasonsOf(lineOf(hs)), "CUSTOMS_HS_MISMATCH")
		// Refused lines never made the vehicle live on a declaration: a correct one clears.
		ok := c.ok(201, http.MethodPost, "/v1/customs/clearances", v.declaration(declNo(), v.declaredAt, v.hsCode))
		assert.Equal(t, "CLEAR", lineOf(ok)["status"], "%v", reasonsOf(lineOf(ok)))
	})
}

// issueLicenceRefusedWhileHeld checks a licence cannot be issued for a held vehicle (unless
// the ledger already holds it, seeded by another test).
func (c *client) issueLicenceRefusedWhileHeld(v *vehicle) {
	c.t.Helper()
	status, m := c.call(http.MethodPost, "/v1/licences", v.licence)
	require.Equal(c.t, http.StatusConflict, status, "%v", m)
	code := m["error"].(map[string]any)["code"]
	if code == "ECONFLICT" {
		return // the ledger held the licence before the hold (a network seeded by another test)
	}
	assert.Equal(c.t, "ILLEGAL_TRANSITION", code, "no licence for a held vehicle")
}

// deadlineState is the state of a vehicle's deadline of a kind ("" when none).
func deadlineState(c *client, vin, kind string) string {
	c.t.Helper()
	for _, state := range []string{"", "met", "cancelled"} {
		for _, d := range c.ok(200, http.MethodGet, "/v1/deadlines?status="+state, nil)["deadlines"].([]any) {
			m := d.(map[string]any)
			if m["vin"] == vin && m["kind"] == kind {
				return m["state"].(string)
			}
		}
	}
	return ""
}
