package fabric

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ucx-export/ucx/gateway"
)

// Environment variables of the Fabric connection (deploy/fabric writes them all to
// run/connection.env; UCX_FABRIC_CONNECTION names such a file):
//
//	UCX_FABRIC_PEER, UCX_FABRIC_TLS_CA     the peer gateway endpoint and its TLS CA
//	                                       (default: the commerce peer's)
//	UCX_FABRIC_CHANNEL, UCX_FABRIC_CHAINCODE
//	UCX_FABRIC_<ORG>_MSPID, _CERT, _KEY    per organisation (COMMERCE, CUSTOMS, POLICE)
//	                                       the gateway acts for; an organisation without a
//	                                       certificate is not acted for
//	UCX_FABRIC_TIMEOUT                     per transaction (default 30s)
const EnvConnectionFile = "UCX_FABRIC_CONNECTION"

// LookupFunc reads a setting; os.LookupEnv is one.
type LookupFunc func(name string) (string, bool)

// EnvLookup reads the environment, falling back to the file UCX_FABRIC_CONNECTION names.
func EnvLookup() (LookupFunc, error) {
	file := map[string]string{}
	if path := os.Getenv(EnvConnectionFile); path != "" {
		var err error
		if file, err = ReadEnvFile(path); err != nil {
			return nil, err
		}
	}
	return func(name string) (string, bool) {
		if v, ok := os.LookupEnv(name); ok {
			return v, true
		}
		v, ok := file[name]
		return v, ok
	}, nil
}

// ReadEnvFile reads KEY=VALUE lines (blank lines and # comments skipped).
func ReadEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fabric connection file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return out, sc.Err()
}

// ConfigFrom builds a Config from settings.
func ConfigFrom(get LookupFunc) (Config, error) {
	val := func(names ...string) string {
		for _, n := range names {
			if v, ok := get(n); ok && v != "" {
				return v
			}
		}
		return ""
	}
	cfg := Config{
		Peer:      val("UCX_FABRIC_PEER", "UCX_FABRIC_COMMERCE_PEER"),
		TLSCAPath: val("UCX_FABRIC_TLS_CA", "UCX_FABRIC_COMMERCE_TLS_CA"),
		Channel:   val("UCX_FABRIC_CHANNEL"),
		Chaincode: val("UCX_FABRIC_CHAINCODE"),
	}
	if d := val("UCX_FABRIC_TIMEOUT"); d != "" {
		t, err := time.ParseDuration(d)
		if err != nil {
			return cfg, fmt.Errorf("UCX_FABRIC_TIMEOUT: %w", err)
		}
		cfg.Timeout = t
	}
	for _, org := range []string{gateway.OrgCommerce, gateway.OrgCustoms, gateway.OrgPolice} {
		up := strings.ToUpper(org)
		cert := val("UCX_FABRIC_" + up + "_CERT")
		if cert == "" {
			continue
		}
		msp := val("UCX_FABRIC_"+up+"_MSPID", "")
		if msp == "" {
			msp = gateway.MSPID(org)
		}
		cfg.Identities = append(cfg.Identities, Identity{MSPID: msp, CertPath: cert, KeyPath: val("UCX_FABRIC_" + up + "_KEY")})
	}
	var missing []string
	for name, v := range map[string]string{"UCX_FABRIC_PEER": cfg.Peer, "UCX_FABRIC_TLS_CA": cfg.TLSCAPath, "UCX_FABRIC_CHANNEL": cfg.Channel, "UCX_FABRIC_CHAINCODE": cfg.Chaincode} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(cfg.Identities) == 0 {
		missing = append(missing, "UCX_FABRIC_<ORG>_CERT")
	}
	if len(missing) > 0 {
		return cfg, fmt.Errorf("fabric ledger: missing settings %v (or set %s to deploy/fabric/run/connection.env)", sortStrings(missing), EnvConnectionFile)
	}
	return cfg, nil
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}
