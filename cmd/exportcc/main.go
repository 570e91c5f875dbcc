// Command exportcc runs the UCX export-trace chaincode (package chaincode) as a
// chaincode-as-a-service server for a Fabric peer: the peer dials the address given in the
// package's connection.json, where this process listens.
//
// It is configured by environment variables only, read by fabric-contract-api-go:
//
//	CHAINCODE_SERVER_ADDRESS     host:port to listen on (required)
//	CORE_CHAINCODE_ID_NAME       the chaincode package ID, label:hash (required)
//	CORE_PEER_TLS_ENABLED        "true" to serve TLS (default false)
//	CORE_TLS_CLIENT_KEY_FILE     TLS key file (required with TLS)
//	CORE_TLS_CLIENT_CERT_FILE    TLS certificate file (required with TLS)
//	CORE_PEER_TLS_ROOTCERT_FILE  CA of the peers' client certificates (optional, TLS only)
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/ucx-export/ucx/chaincode"
)

// Environment variables read by contractapi's Start.
const (
	envAddress  = "CHAINCODE_SERVER_ADDRESS"
	envCCID     = "CORE_CHAINCODE_ID_NAME"
	envTLS      = "CORE_PEER_TLS_ENABLED"
	envTLSKey   = "CORE_TLS_CLIENT_KEY_FILE"
	envTLSCert  = "CORE_TLS_CLIENT_CERT_FILE"
	envTLSRoots = "CORE_PEER_TLS_ROOTCERT_FILE"
)

const usage = `usage: exportcc [-h]

Runs the UCX export-trace chaincode as a chaincode-as-a-service server.
Configuration comes from the environment:

  ` + envAddress + `     host:port to listen on, e.g. 127.0.0.1:9999 (required)
  ` + envCCID + `       chaincode package ID, label:hash, as printed by
                               "peer lifecycle chaincode calculatepackageid" (required)
  ` + envTLS + `        "true" to serve TLS (default false)
  ` + envTLSKey + `     TLS private key file (required with TLS)
  ` + envTLSCert + `    TLS certificate file (required with TLS)
  ` + envTLSRoots + `  CA file for the peers' client certificates (optional)
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr, (*contractapi.ContractChaincode).Start))
}

// run parses args, checks the environment and starts the chaincode with start; it returns
// the process exit code.
func run(args []string, getenv func(string) string, stderr io.Writer, start func(*contractapi.ContractChaincode) error) int {
	fs := flag.NewFlagSet("exportcc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "exportcc: unexpected arguments %q\n\n%s", fs.Args(), usage)
		return 2
	}
	if err := checkEnv(getenv); err != nil {
		fmt.Fprintf(stderr, "exportcc: %v\n\n%s", err, usage)
		return 2
	}
	cc, err := chaincode.New()
	if err != nil {
		fmt.Fprintf(stderr, "exportcc: %v\n", err)
		return 1
	}
	if err := start(cc); err != nil {
		fmt.Fprintf(stderr, "exportcc: %v\n", err)
		return 1
	}
	return 0
}

// checkEnv reports the missing or inconsistent settings. Without the two required variables
// contractapi would fall back to dialling a peer as a classic chaincode, which is never what
// this command is for.
func checkEnv(getenv func(string) string) error {
	var missing []string
	for _, k := range []string{envAddress, envCCID} {
		if getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if v := getenv(envTLS); v != "" {
		tls, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q is not a boolean", envTLS, v)
		}
		if tls {
			for _, k := range []string{envTLSKey, envTLSCert} {
				if getenv(k) == "" {
					missing = append(missing, k)
				}
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing environment variables %v", missing)
	}
	return nil
}
