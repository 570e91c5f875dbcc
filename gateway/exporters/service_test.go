package exporters_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
)

// TestAwardB01: a clean exporter gets B01 once for its latest clean year, on the real
// (embedded) ledger; another round records nothing more.
func TestAwardB01(t *testing.T) {
	ctx := context.Background()
	svc := newEnv(t).svc
	const uscc = "91440300MA5GK7R3DQ" // filed 2024-05-20
	ok, err := svc.AwardB01(ctx, uscc)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = svc.AwardB01(ctx, uscc)
	require.NoError(t, err)
	assert.False(t, ok, "once per clean year")
	c, err := svc.Credit(ctx, uscc)
	require.NoError(t, err)
	require.Len(t, c.Events, 1)
	assert.Equal(t, "B01", c.Events[0].Code)
	assert.Equal(t, "AUTOMATIC", c.Events[0].Source)
	assert.EqualValues(t, "2026-05-20", c.Events[0].OccurredAt)
	assert.Equal(t, 85, c.Score)

	ok, err = svc.AwardB01(ctx, "91350100M000100Y43")
	require.NoError(t, err)
	assert.False(t, ok, "not filed: skipped")
}

// TestPublishGrade: the grade is published when it differs from the one published last —
// also when the ledger changed without the service (an automatic charge) — and only then.
func TestPublishGrade(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	const uscc = "91440300MA5GK7R3DQ"
	ok, err := e.svc.PublishGrade(ctx, uscc)
	require.NoError(t, err)
	assert.True(t, ok, "the first grade")
	ok, err = e.svc.PublishGrade(ctx, uscc)
	require.NoError(t, err)
	assert.False(t, ok, "unchanged")

	_, err = e.ledger.RecordCreditEvent(ctx, gateway.OrgCommerce, gateway.CreditEventInput{ExporterUSCC: uscc, Code: "E04",
		OccurredAt: "2026-11-20", Source: gateway.CreditAutomatic, Ref: "LSJA24U62JG269225", Actor: "filings:AFTER_SALES_CONFIRMATION_REQUIRED"})
	require.NoError(t, err)
	ok, err = e.svc.PublishGrade(ctx, uscc)
	require.NoError(t, err)
	assert.True(t, ok, "the charge made it D")
	file, err := e.ledger.CreditFile(ctx, uscc)
	require.NoError(t, err)
	require.NotNil(t, file.Grade)
	assert.Equal(t, "D", file.Grade.Grade)
	assert.Equal(t, "B", file.Grade.Previous)
	assert.Equal(t, 50, file.Grade.Score)

	// The service publishes after its own writes.
	_, err = e.svc.SetStatus(ctx, gateway.ExporterStatusInput{ExporterUSCC: uscc, Status: gateway.ExporterSuspended,
		Reason: "x", EvidenceHash: "sha256:" + strings.Repeat("a", 64), Actor: "o"})
	require.NoError(t, err)
	ok, err = e.svc.PublishGrade(ctx, uscc)
	require.NoError(t, err)
	assert.False(t, ok, "still D: nothing to publish")
}
