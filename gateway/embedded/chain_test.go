package embedded

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMerklePaths checks every leaf's audit path against the root, for trees of 1 to 33
// leaves, and that a path does not prove another leaf.
func TestMerklePaths(t *testing.T) {
	for n := 1; n <= 33; n++ {
		leaves := make([][32]byte, n)
		for i := range leaves {
			leaves[i] = sha256.Sum256([]byte(fmt.Sprint(n, "/", i)))
		}
		root := merkleRoot(leaves)
		rootHex := fmt.Sprintf("%x", root)
		for i := range leaves {
			path := MerklePath(leaves, i)
			assert.True(t, VerifyMerklePath(leaves[i], path, rootHex), "n=%d i=%d", n, i)
			if n > 1 {
				assert.False(t, VerifyMerklePath(leaves[(i+1)%n], path, rootHex), "n=%d i=%d: a path proves only its own leaf", n, i)
			}
		}
	}
	// Two different lists never share a root (no duplicated-leaf ambiguity).
	a := [][32]byte{sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b")), sha256.Sum256([]byte("c"))}
	b := append(append([][32]byte{}, a...), a[2])
	assert.NotEqual(t, merkleRoot(a), merkleRoot(b))
}
