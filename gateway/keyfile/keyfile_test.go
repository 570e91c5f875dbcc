package keyfile_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway/keyfile"
)

// TestLoadOrCreate: the first call creates a private key file (0600), later calls and
// concurrent first calls all get the same key; a file that is not an Ed25519 PKCS#8 key is
// an error, never replaced.
func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "k.pem")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := keyfile.LoadOrCreate(path)
			assert.NoError(t, err)
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		assert.Equal(t, keys[0], k, "one key for every caller")
	}
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	again, err := keyfile.Load(path)
	require.NoError(t, err)
	assert.Equal(t, keys[0], []byte(again))

	bad := filepath.Join(t.TempDir(), "bad.pem")
	require.NoError(t, os.WriteFile(bad, []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o600))
	_, err = keyfile.LoadOrCreate(bad)
	assert.Error(t, err)
	data, _ := os.ReadFile(bad)
	assert.Contains(t, string(data), "PUBLIC KEY", "not replaced")
}
