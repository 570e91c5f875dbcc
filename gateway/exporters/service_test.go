package exporters_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
