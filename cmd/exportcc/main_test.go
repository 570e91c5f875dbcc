package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestRun(t *testing.T) {
	t.Parallel()
	ready := map[string]string{envAddress: "127.0.0.1:9999", envCCID: "exportcc_1.0:abc"}
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		startErr error
		code     int
		started  bool
		stderr   []string
	}{
		{name: "help", args: []string{"-h"}, code: 0, stderr: []string{envAddress, envCCID, envTLS}},
		{name: "missing both", env: map[string]string{}, code: 2, stderr: []string{"missing environment variables", envAddress, envCCID}},
		{name: "missing id", env: map[string]string{envAddress: "127.0.0.1:9999"}, code: 2, stderr: []string{"[" + envCCID + "]"}},
		{name: "tls without files", env: map[string]string{envAddress: "a:1", envCCID: "x:y", envTLS: "true"}, code: 2, stderr: []string{envTLSKey, envTLSCert}},
		{name: "tls not a boolean", env: map[string]string{envAddress: "a:1", envCCID: "x:y", envTLS: "yes please"}, code: 2, stderr: []string{envTLS}},
		{name: "unknown flag", args: []string{"-port", "1"}, env: ready, code: 2},
		{name: "stray argument", args: []string{"serve"}, env: ready, code: 2, stderr: []string{"unexpected arguments"}},
		{name: "start", env: ready, code: 0, started: true},
		{name: "start fails", env: ready, startErr: errors.New("listen: address in use"), code: 1, started: true, stderr: []string{"address in use"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			started := false
			start := func(cc *contractapi.ContractChaincode) error {
				require.NotNil(t, cc)
				started = true
				return tc.startErr
			}
			code := run(tc.args, env(tc.env), &stderr, start)
			assert.Equal(t, tc.code, code, stderr.String())
			assert.Equal(t, tc.started, started)
			for _, s := range tc.stderr {
				assert.Contains(t, stderr.String(), s)
			}
		})
	}
}
