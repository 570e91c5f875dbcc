package fabric_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ucx "github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/contract"
	"github.com/ucx-export/ucx/gateway/fabric"
	"github.com/ucx-export/ucx/gateway/gatewaytest"
)

// network dials the Fabric network named by the environment (deploy/fabric's connection.env
// via UCX_FABRIC_CONNECTION). Without one the test skips; with UCX_INTEGRATION=1 (CI) a
// missing network fails.
var (
	netOnce sync.Once
	netT    *fabric.Transport
	netErr  error
)

func network(t testing.TB) *fabric.Transport {
	t.Helper()
	netOnce.Do(func() {
		get, err := fabric.EnvLookup()
		if err != nil {
			netErr = err
			return
		}
		cfg, err := fabric.ConfigFrom(get)
		if err != nil {
			netErr = err
			return
		}
		netT, netErr = fabric.Dial(cfg)
		if netErr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for netErr = netT.Ready(ctx); netErr != nil && ctx.Err() == nil; netErr = netT.Ready(ctx) {
				time.Sleep(500 * time.Millisecond)
			}
		}
	})
	if netErr != nil {
		if os.Getenv("UCX_INTEGRATION") == "1" {
			t.Fatalf("UCX_INTEGRATION=1 but the Fabric network is not usable: %v", netErr)
		}
		t.Skipf("no Fabric network (%v); `make fabric-up` and set %s", netErr, fabric.EnvConnectionFile)
	}
	return netT
}

// TestLedgerConformance runs the same suite as the embedded ledger against the real network.
func TestLedgerConformance(t *testing.T) {
	tr := network(t)
	client := contract.New(tr)
	gatewaytest.TestLedger(t, func(t *testing.T) ucx.Ledger { return client })
}

func TestTranslate(t *testing.T) {
	withDetail := func(code codes.Code, msg, detail string) error {
		st, err := status.New(code, msg).WithDetails(&gateway.ErrorDetail{Address: "127.0.0.1:7051", MspId: "CommerceMSP", Message: detail})
		require.NoError(t, err)
		return st.Err()
	}
	cases := []struct {
		name string
		err  error
		code string
	}{
		{"chaincode business error in the details", withDetail(codes.Aborted, "failed to endorse transaction", "chaincode response 500, FORBIDDEN: event type DECLARED requires CustomsMSP"), ucx.EFORBIDDEN},
		{"chaincode error in the message", errors.New("evaluate: chaincode response 500, NOT_FOUND: filing F1"), ucx.ENOTFOUND},
		{"unknown transaction (qscc)", errors.New("evaluate call to endorser returned error: chaincode response 500, Failed to get block for txID 07, error no such transaction ID [07] in index"), ucx.ENOTFOUND},
		{"peer unreachable", status.Error(codes.Unavailable, "connection refused"), ucx.EUNAVAILABLE},
		{"deadline", context.DeadlineExceeded, ucx.EUNAVAILABLE},
		{"no endorsers", status.Error(codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy"), ucx.EUNAVAILABLE},
		{"anything else", errors.New("boom"), ucx.EINTERNAL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.code, ucx.ErrorCode(fabric.Translate(tc.err)))
		})
	}
}

// TestEndorsementRefused: a refused or disagreeing endorsement is retried once the peers
// caught up; an outage or any other error is not.
func TestEndorsementRefused(t *testing.T) {
	withDetail := func(code codes.Code, detail string) error {
		st, err := status.New(code, "failed to collect enough transaction endorsements").WithDetails(&gateway.ErrorDetail{Address: "127.0.0.1:8051", MspId: "CustomsMSP", Message: detail})
		require.NoError(t, err)
		return st.Err()
	}
	assert.True(t, fabric.EndorsementRefused(withDetail(codes.Aborted, "ProposalResponsePayloads do not match")))
	assert.True(t, fabric.EndorsementRefused(withDetail(codes.Aborted, "chaincode response 500, ILLEGAL_TRANSITION: x")))
	assert.False(t, fabric.EndorsementRefused(withDetail(codes.Unavailable, "connection refused")))
	assert.False(t, fabric.EndorsementRefused(errors.New("ProposalResponsePayloads do not match")))
}

func benchNetwork(b *testing.B) *fabric.Transport { return network(b) }
