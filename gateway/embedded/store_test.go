package embedded_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
)

func TestStoreConformance(t *testing.T) {
	gatewaytest.TestStore(t, func(t *testing.T) gateway.Store {
		s, err := embedded.Open(t.TempDir())
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
