package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
)

// TestAuditCanonical pins the hashed form: anyone must be able to recompute an entry's hash
// from its JSON (README "Privacy and the audit log").
func TestAuditCanonical(t *testing.T) {
	e := &gateway.AuditEntry{Seq: 7, Time: time.Date(2026, 11, 26, 18, 0, 0, 500, time.FixedZone("CST", 8*3600)), RequestID: "r1",
		Subject: "officer<1>", Role: gateway.RolePolice, Org: "police", TokenID: "t1", Action: gateway.AuditReadPersonalData,
		Resource: "filing:F1", Route: "GET /v1/filings/:id/document", PrevHash: gateway.AuditGenesis, Hash: "ignored"}
	want := `{"action":"READ_PERSONAL_DATA","org":"police","prevHash":"` + gateway.AuditGenesis + `","requestId":"r1",` +
		`"resource":"filing:F1","role":"police","route":"GET /v1/filings/:id/document","seq":7,"subject":"officer<1>",` +
		`"time":"2026-11-26T10:00:00.0000005Z","tokenId":"t1"}`
	assert.Equal(t, want, string(e.Canonical()))
	sum := sha256.Sum256([]byte(want))
	assert.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), e.ComputeHash())
}

func chain(n int) []*gateway.AuditEntry {
	var es []*gateway.AuditEntry
	for i := 0; i < n; i++ {
		es = append(es, &gateway.AuditEntry{Subject: "s", Action: gateway.AuditReadCredit, Resource: "exporter:91350100M000100Y43"})
	}
	gateway.ChainAudit(gateway.AuditHead{}, es, time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	return es
}

func verify(es []*gateway.AuditEntry, head gateway.AuditHead) *gateway.AuditVerification {
	v := gateway.NewAuditVerifier()
	for _, e := range es {
		v.Next(e.Seq, e)
	}
	return v.Finish(head)
}

func TestAuditChain(t *testing.T) {
	es := chain(3)
	head := gateway.AuditHead{Seq: 3, Hash: es[2].Hash}
	assert.Equal(t, gateway.AuditGenesis, es[0].PrevHash)
	assert.Equal(t, es[0].Hash, es[1].PrevHash)
	assert.Equal(t, uint64(3), es[2].Seq)
	next := gateway.ChainAudit(head, []*gateway.AuditEntry{{Action: gateway.AuditReadCredit}}, time.Now())
	assert.Equal(t, uint64(4), next.Seq)

	ok := verify(es, head)
	assert.Equal(t, &gateway.AuditVerification{Verified: true, Entries: 3, Head: es[2].Hash}, ok)
	empty := verify(nil, gateway.AuditHead{})
	assert.Equal(t, &gateway.AuditVerification{Verified: true, Head: gateway.AuditGenesis}, empty)

	for name, tc := range map[string]struct {
		mutate func(es []*gateway.AuditEntry) ([]*gateway.AuditEntry, gateway.AuditHead)
		broken uint64
	}{
		"an edited entry": {func(es []*gateway.AuditEntry) ([]*gateway.AuditEntry, gateway.AuditHead) {
			es[1].Subject = "someone else"
			return es, head
		}, 2},
		"an edited entry with its hash recomputed": {func(es []*gateway.AuditEntry) ([]*gateway.AuditEntry, gateway.AuditHead) {
			es[0].Subject = "someone else"
			es[0].Hash = es[0].ComputeHash()
			return es, head
		}, 2},
		"a removed entry": {func(es []*gateway.AuditEntry) ([]*gateway.AuditEntry, gateway.AuditHead) {
			return []*gateway.AuditEntry{es[0], es[2]}, head
		}, 2},
		"a removed last entry": {func(es []*gateway.AuditEntry) ([]*gateway.AuditEntry, gateway.AuditHead) {
			return es[:2], head
		}, 3},
	} {
		t.Run(name, func(t *testing.T) {
			got := verify(tc.mutate(chain(3)))
			require.False(t, got.Verified)
			assert.Equal(t, tc.broken, got.BrokenAt)
			assert.NotEmpty(t, got.Problem)
			assert.NotEmpty(t, got.ProblemZh)
		})
	}
}
