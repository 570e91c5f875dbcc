//go:build tools

// Package tools pins the Hyperledger Fabric commands that deploy/fabric/scripts/build-tools.sh
// builds (peer, orderer and the CLI helpers). It is its own module so the main module's
// `go vet ./...` and `go test ./...` never descend into Fabric.
package tools

import (
	_ "github.com/hyperledger/fabric/cmd/configtxgen"
	_ "github.com/hyperledger/fabric/cmd/cryptogen"
	_ "github.com/hyperledger/fabric/cmd/discover"
	_ "github.com/hyperledger/fabric/cmd/orderer"
	_ "github.com/hyperledger/fabric/cmd/osnadmin"
	_ "github.com/hyperledger/fabric/cmd/peer"
)
