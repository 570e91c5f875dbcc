package gatewaytest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
)

// AuditTamper edits entry seq of log behind its back, as someone with access to its storage
// could: it changes the entry's subject and keeps its stored hash. It returns the log to use
// afterwards (an implementation may have to reopen its file).
type AuditTamper func(t *testing.T, log gateway.AuditLog, seq uint64) gateway.AuditLog

// TestAuditLog runs the AuditLog conformance suite; newLog returns an empty log, tamper
// edits one of its entries behind its back.
func TestAuditLog(t *testing.T, newLog func(t *testing.T) gateway.AuditLog, tamper AuditTamper) {
	ctx := context.Background()
	entry := func(subject, org, action, resource string) *gateway.AuditEntry {
		return &gateway.AuditEntry{RequestID: "req-" + subject, Subject: subject, Role: gateway.RolePolice, Org: org, TokenID: "tok-" + subject,
			Action: action, Resource: resource, Route: "GET /v1/filings/:id/document"}
	}
	all := func(t *testing.T, log gateway.AuditLog) []*gateway.AuditEntry {
		t.Helper()
		page, err := log.Entries(ctx, gateway.AuditQuery{Limit: gateway.MaxAuditLimit})
		require.NoError(t, err)
		return page.Entries
	}

	t.Run("an empty log verifies", func(t *testing.T) {
		log := newLog(t)
		v, err := log.Verify(ctx)
		require.NoError(t, err)
		assert.Equal(t, &gateway.AuditVerification{Verified: true, Head: gateway.AuditGenesis}, v)
		page, err := log.Entries(ctx, gateway.AuditQuery{})
		require.NoError(t, err)
		assert.Empty(t, page.Entries)
		assert.NotNil(t, page.Entries, "an empty page shows []")
		assert.Zero(t, page.Next)
	})

	t.Run("appends are chained and read back as written", func(t *testing.T) {
		log := newLog(t)
		batch := []*gateway.AuditEntry{entry("a", "police", gateway.AuditReadPersonalData, "filing:F1"), entry("b", "customs", gateway.AuditReadPersonalData, "filing:F1")}
		require.NoError(t, log.Append(ctx, batch...))
		at := time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC)
		third := entry("c", "commerce", gateway.AuditReadCredit, "exporter:91350100M000100Y43")
		third.Time = at
		require.NoError(t, log.Append(ctx, third))

		assert.Equal(t, []uint64{1, 2, 3}, []uint64{batch[0].Seq, batch[1].Seq, third.Seq})
		assert.Equal(t, gateway.AuditGenesis, batch[0].PrevHash)
		assert.Equal(t, batch[0].Hash, batch[1].PrevHash)
		assert.Equal(t, batch[1].Hash, third.PrevHash)
		assert.Equal(t, third.ComputeHash(), third.Hash)
		assert.False(t, batch[0].Time.IsZero(), "Append sets the time")
		assert.True(t, third.Time.Equal(at), "a given time is kept")

		got := all(t, log)
		require.Len(t, got, 3)
		for i, want := range []*gateway.AuditEntry{batch[0], batch[1], third} {
			assert.Equal(t, want.Hash, got[i].Hash)
			assert.Equal(t, want.ComputeHash(), got[i].ComputeHash(), "entry %d reads back as written", i+1)
			assert.Equal(t, "req-"+got[i].Subject, got[i].RequestID)
		}
		v, err := log.Verify(ctx)
		require.NoError(t, err)
		assert.Equal(t, &gateway.AuditVerification{Verified: true, Entries: 3, Head: third.Hash}, v)
	})

	t.Run("queries filter and page with a cursor", func(t *testing.T) {
		log := newLog(t)
		for i := 0; i < 7; i++ {
			org, action, resource := "police", gateway.AuditReadPersonalData, fmt.Sprintf("filing:F%d", i%2)
			if i%3 == 0 {
				org, action, resource = "commerce", gateway.AuditReadCredit, "exporter:91350100M000100Y43"
			}
			require.NoError(t, log.Append(ctx, entry(fmt.Sprintf("s%d", i%2), org, action, resource)))
		}
		seqs := func(q gateway.AuditQuery) ([]uint64, uint64) {
			t.Helper()
			page, err := log.Entries(ctx, q)
			require.NoError(t, err)
			var out []uint64
			for _, e := range page.Entries {
				require.True(t, q.Matches(e), "%+v does not match %+v", e, q)
				out = append(out, e.Seq)
			}
			return out, page.Next
		}
		got, next := seqs(gateway.AuditQuery{Action: gateway.AuditReadCredit})
		assert.Equal(t, []uint64{1, 4, 7}, got)
		assert.Zero(t, next)
		got, _ = seqs(gateway.AuditQuery{Org: "police", Resource: "filing:F1"})
		assert.Equal(t, []uint64{2, 6}, got)
		got, _ = seqs(gateway.AuditQuery{Subject: "s1"})
		assert.Equal(t, []uint64{2, 4, 6}, got)
		got, _ = seqs(gateway.AuditQuery{Subject: "nobody"})
		assert.Empty(t, got)

		got, next = seqs(gateway.AuditQuery{Limit: 3})
		assert.Equal(t, []uint64{1, 2, 3}, got)
		assert.Equal(t, uint64(3), next)
		got, next = seqs(gateway.AuditQuery{Limit: 3, After: next})
		assert.Equal(t, []uint64{4, 5, 6}, got)
		got, next = seqs(gateway.AuditQuery{Limit: 3, After: next})
		assert.Equal(t, []uint64{7}, got)
		assert.Zero(t, next, "the last page has no next")
		got, next = seqs(gateway.AuditQuery{Limit: 2, After: 2, Org: "police"})
		assert.Equal(t, []uint64{3, 5}, got)
		assert.Equal(t, uint64(5), next)
		got, _ = seqs(gateway.AuditQuery{After: 99})
		assert.Empty(t, got)
	})

	t.Run("concurrent appends make one unbroken chain", func(t *testing.T) {
		log := newLog(t)
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Go(func() {
				for i := 0; i < 10; i++ {
					assert.NoError(t, log.Append(ctx, entry(fmt.Sprintf("w%d", w), "police", gateway.AuditReadPersonalData, fmt.Sprintf("filing:F%d", i))))
				}
			})
		}
		wg.Wait()
		got := all(t, log)
		require.Len(t, got, 80)
		for i, e := range got {
			assert.Equal(t, uint64(i+1), e.Seq)
		}
		v, err := log.Verify(ctx)
		require.NoError(t, err)
		assert.True(t, v.Verified, "%+v", v)
		assert.Equal(t, uint64(80), v.Entries)
	})

	t.Run("nothing is appended for a cancelled request", func(t *testing.T) {
		log := newLog(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		assert.Error(t, log.Append(cctx, entry("a", "police", gateway.AuditReadPersonalData, "filing:F1")))
		assert.Empty(t, all(t, log))
	})

	t.Run("a tampered entry fails verification", func(t *testing.T) {
		log := newLog(t)
		for i := 0; i < 5; i++ {
			require.NoError(t, log.Append(ctx, entry(fmt.Sprintf("s%d", i), "police", gateway.AuditReadPersonalData, "filing:F1")))
		}
		log = tamper(t, log, 3)
		v, err := log.Verify(ctx)
		require.NoError(t, err)
		assert.False(t, v.Verified)
		assert.Equal(t, uint64(3), v.BrokenAt)
		assert.Equal(t, uint64(2), v.Entries, "the entries before it still check")
		assert.NotEmpty(t, v.Problem)
		assert.NotEmpty(t, v.ProblemZh)
		// The edit is really there: the log is read, not reconstructed.
		assert.NotEqual(t, "s2", all(t, log)[2].Subject)
	})
}
