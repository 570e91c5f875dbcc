package chaincode_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ucx-export/ucx/chaincode"
)

// TestAuditAnchor: commerce anchors an audit log's head; anchors only move forward; the same
// head again is answered as stored; another hash at an anchored seq is refused (the log was
// rewritten). Refusals write nothing.
func TestAuditAnchor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fails(chaincode.CodeNotFound, police, "GetAuditAnchor", "audit-1")
	a := decode[chaincode.AuditAnchor](t, h.ok(commerce, "AnchorAuditHead", "audit-1", "5", hash("e5")))
	assert.EqualValues(t, 5, a.Seq)
	again := decode[chaincode.AuditAnchor](t, h.ok(commerce, "AnchorAuditHead", "audit-1", "5", hash("e5")))
	assert.Equal(t, a, again, "the same head again")
	before := h.snapshot()
	for name, tc := range map[string]struct {
		msp, seq, hash, code string
	}{
		"rewritten":    {commerce, "5", hash("other"), chaincode.CodeConflict},
		"backwards":    {commerce, "4", hash("e4"), chaincode.CodeConflict},
		"not commerce": {customs, "6", hash("e6"), chaincode.CodeForbidden},
		"zero":         {commerce, "0", hash("e0"), chaincode.CodeInvalidArgument},
		"bad seq":      {commerce, "x", hash("e0"), chaincode.CodeInvalidArgument},
		"bad hash":     {commerce, "6", "md5:1", chaincode.CodeInvalidArgument},
	} {
		assert.NotEmpty(t, h.fails(tc.code, tc.msp, "AnchorAuditHead", "audit-1", tc.seq, tc.hash), name)
	}
	h.fails(chaincode.CodeInvalidArgument, commerce, "AnchorAuditHead", "a b", "6", hash("e6"))
	assert.Equal(t, before, h.snapshot(), "refusals write nothing")
	h.ok(commerce, "AnchorAuditHead", "audit-1", "9", hash("e9"))
	got := decode[chaincode.AuditAnchor](t, h.ok(police, "GetAuditAnchor", "audit-1"))
	assert.EqualValues(t, 9, got.Seq)
	assert.Equal(t, hash("e9"), got.Hash)
}
