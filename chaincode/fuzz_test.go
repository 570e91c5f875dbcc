package chaincode_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/chaincode"
)

// FuzzRecordBatch feeds arbitrary input to RecordBatch: it never panics, a failure always
// carries one of the business codes (ILLEGAL_TRANSITION included) in a valid UTF-8 message and writes nothing, and a success
// writes one event per item with consistent heads.
func FuzzRecordBatch(f *testing.F) {
	seeds := []string{
		``, `[]`, `null`, `[null]`, `{}`, `[{}]`, `"x"`, `[1]`,
		`[{"kind":"event","vin":"` + vin1 + `","eventType":"INSPECTED","actor":"a"}]`,
		`[{"kind":"event","vin":"` + vin1 + `","eventType":"DECLARED","actor":"a"}]`,
		`[{"kind":"filing","vin":"` + vin1 + `","filingId":"F1","docHash":"` + hash("F1") + `","decision":"HELD","rulesetVersion":"2026-01-01","exporterUscc":"` + uscc1 + `","actor":"a"},` +
			`{"kind":"filing","vin":"` + vin1 + `","filingId":"F1","docHash":"` + hash("F1") + `","decision":"HELD","rulesetVersion":"2026-01-01","exporterUscc":"` + uscc1 + `","actor":"a"}]`,
		`[{"kind":"event","vin":"` + vin1 + `","eventType":"INSPECTED","actor":"a","x":1}]`,
		`[{"kind":"event","vin":"` + vin1 + `","eventType":"INSPECTED","actor":"\xff"}]`,
		`[{"kind":"event","vin":"` + vin1 + `","eventType":"FORBIDDEN: x\xe4","actor":"a"}]`,
		`[{"KIND":"event","Vin":"` + vin1 + `","eventType":"CLOSED","actor":"a"}] `,
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	// Batches that succeed (by commerce, index 0; police, index 2), so the success path runs on
	// every go test.
	f.Add(`[{"kind":"event","vin":"`+vin1+`","eventType":"LICENCE_APPLIED","actor":"a"},{"kind":"event","vin":"`+vin1+`","eventType":"DEADLINE_PASSED","actor":"a"},`+
		`{"kind":"filing","vin":"`+vin2+`","filingId":"F9","docHash":"`+hash("F9")+`","decision":"ACCEPTED","rulesetVersion":"2026-01-01","exporterUscc":"`+uscc1+`","actor":"a"}]`, uint8(0))
	f.Add(`[{"kind":"event","vin":"`+vin1+`","eventType":"TRANSFERRED_PENDING_EXPORT","actor":"a"},{"kind":"event","vin":"`+vin1+`","eventType":"VEHICLE_HELD","actor":"a"},`+
		`{"kind":"event","vin":"`+vin1+`","eventType":"HOLD_RELEASED","actor":"a"}]`, uint8(2))
	// A batch refused by the lifecycle (INSPECTED on a fresh VIN).
	f.Add(`[{"kind":"event","vin":"`+vin1+`","eventType":"INSPECTED","actor":"a"}]`, uint8(0))
	msps := []string{commerce, customs, police, "", "OtherMSP"}
	f.Fuzz(func(t *testing.T, items string, who uint8) {
		h := newHarness(t)
		resp := h.invoke(msps[int(who)%len(msps)], "RecordBatch", items)
		if resp.Status != shim.OK {
			require.True(t, utf8.ValidString(resp.Message), "message is not UTF-8: %q", resp.Message)
			code, _, ok := chaincode.ParseError(resp.Message)
			require.True(t, ok, "uncoded error %q", resp.Message)
			require.True(t, strings.HasPrefix(resp.Message, code+": "), "code not at the start: %q", resp.Message)
			return
		}
		var res chaincode.BatchResult
		require.NoError(t, json.Unmarshal(resp.Payload, &res))
		out := h.event() // the chaincode event names every event written, in item order
		require.NotEmpty(t, out)
		require.Len(t, res.Seqs, len(out))
		require.Len(t, res.Statuses, len(out))
		heads := map[string]int{}
		for i, e := range out {
			require.Equal(t, heads[e.VIN], e.Seq)
			require.Equal(t, e.Seq, res.Seqs[i])
			require.NotEmpty(t, res.Statuses[i])
			heads[e.VIN]++
		}
		for vin, n := range heads {
			require.Equal(t, strconv.Itoa(n), string(h.stub.state["vehicle~"+vin]))
		}
	})
}

// FuzzIssueLicence feeds arbitrary licence JSON to IssueLicence: no panic, and a failure is
// always a coded, UTF-8 message.
func FuzzIssueLicence(f *testing.F) {
	f.Add(licenceJSON(f, "26-GD-000001", vin1, vin2))
	f.Add(licenceJSON(f, "26-GD-000001", vin1, vin1))
	f.Add(`{"licenceNo":"26-GD-000001","lines":[null]}`)
	f.Add(`{"lines":[{"brand":"\u0000"}]}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, licence string) {
		h := newHarness(t)
		resp := h.invoke(commerce, "IssueLicence", licence)
		if resp.Status != shim.OK {
			require.True(t, utf8.ValidString(resp.Message), "message is not UTF-8: %q", resp.Message)
			_, _, ok := chaincode.ParseError(resp.Message)
			require.True(t, ok, "uncoded error %q", resp.Message)
			return
		}
		var l chaincode.Licence
		require.NoError(t, json.Unmarshal(resp.Payload, &l))
		require.Equal(t, chaincode.LicenceIssued, l.Status)
		require.Len(t, h.event(), len(l.Lines))
	})
}
