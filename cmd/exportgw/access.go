package main

import (
	"crypto/ed25519"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
	"github.com/ucx-export/ucx/gateway/httpapi"
	"github.com/ucx-export/ucx/gateway/ratelimit"
	"github.com/ucx-export/ucx/gateway/rediscache"
)

// defaultClientCertRoles are the roles that must present a client certificate when
// --tls-client-ca is set: the government agencies' systems.
const defaultClientCertRoles = "police,customs,commerce"

// accessFlags declares the settings of tokens, rate limits and transport security.
func accessFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.TokenKey, "token-key", envOr("UCX_TOKEN_KEY", ""), "PKCS#8 PEM file of an Ed25519 token signing key (what exportctl token issue --key signs with); its public half verifies tokens. It must exist [UCX_TOKEN_KEY]")
	fs.StringVar(&c.TokenKeys, "token-keys", envOr("UCX_TOKEN_KEYS", ""), "JSON file [{\"kid\",\"publicKey\"},…] of the public keys whose tokens are accepted (exportctl token public-key prints an entry); list the old and the new key while a key rotates. With neither this nor --token-key: "+auth.KeyFile+" in --data-dir, created on first start [UCX_TOKEN_KEYS]")
	def := ratelimit.DefaultRates()
	fs.StringVar(&c.RatePublic, "rate-public", envOr("UCX_RATE_PUBLIC", def[ratelimit.Public].String()), "rate of the public routes per client IP: N/s, N/m or N/h, optionally :BURST, or off [UCX_RATE_PUBLIC]")
	fs.StringVar(&c.RateRead, "rate-read", envOr("UCX_RATE_READ", def[ratelimit.Read].String()), "rate of GET requests per caller (token org and subject) [UCX_RATE_READ]")
	fs.StringVar(&c.RateWrite, "rate-write", envOr("UCX_RATE_WRITE", def[ratelimit.Write].String()), "rate of POST and DELETE requests per caller (a batch counts once) [UCX_RATE_WRITE]")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", envOr("UCX_TRUSTED_PROXIES", ""), "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For names the client (the public routes' rate limit is per client IP); empty: the peer address [UCX_TRUSTED_PROXIES]")
	fs.StringVar(&c.CORSOrigins, "cors-origins", envOr("UCX_CORS_ORIGINS", ""), "comma-separated browser origins (https://host[:port]) allowed to call the API; empty: no CORS [UCX_CORS_ORIGINS]")
	fs.StringVar(&c.TLSCert, "tls-cert", envOr("UCX_TLS_CERT", ""), "PEM certificate chain: serve HTTPS (with --tls-key) [UCX_TLS_CERT]")
	fs.StringVar(&c.TLSKey, "tls-key", envOr("UCX_TLS_KEY", ""), "PEM private key of --tls-cert [UCX_TLS_KEY]")
	fs.StringVar(&c.TLSClientCA, "tls-client-ca", envOr("UCX_TLS_CLIENT_CA", ""), "PEM CA certificates of the agencies' client certificates (mTLS, with --tls-cert): a client may present one, and the --tls-client-roles must [UCX_TLS_CLIENT_CA]")
	fs.StringVar(&c.TLSClientRoles, "tls-client-roles", envOr("UCX_TLS_CLIENT_ROLES", defaultClientCertRoles), "with --tls-client-ca: comma-separated roles whose requests need a verified client certificate whose Subject Organization is the token's org; empty: none [UCX_TLS_CLIENT_ROLES]")
}

// checkAccess checks the access settings parseConfig can check without reading files.
func checkAccess(c *config) error {
	if _, err := rates(c); err != nil {
		return err
	}
	for _, p := range splitList(c.TrustedProxies) {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("--trusted-proxies: %q is neither an IP nor a CIDR", p)
		}
	}
	if _, err := httpapi.ParseOrigins(c.CORSOrigins); err != nil {
		return fmt.Errorf("--cors-origins: %w", err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if c.TLSClientCA != "" && c.TLSCert == "" {
		return fmt.Errorf("--tls-client-ca needs --tls-cert and --tls-key")
	}
	for _, r := range splitList(c.TLSClientRoles) {
		if !isRole(gateway.Role(r)) {
			return fmt.Errorf("--tls-client-roles: %q is not a role (%v)", r, gateway.Roles)
		}
	}
	return nil
}

func isRole(r gateway.Role) bool {
	for _, known := range gateway.Roles {
		if r == known {
			return true
		}
	}
	return false
}

// rates reads the three rate flags.
func rates(c *config) (ratelimit.Rates, error) {
	out := ratelimit.Rates{}
	for _, r := range []struct {
		class ratelimit.Class
		flag  string
		value string
	}{{ratelimit.Public, "--rate-public", c.RatePublic}, {ratelimit.Read, "--rate-read", c.RateRead}, {ratelimit.Write, "--rate-write", c.RateWrite}} {
		rate, err := ratelimit.ParseRate(r.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.flag, err)
		}
		out[r.class] = rate
	}
	return out, nil
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// clientCertRoles are the roles that must present a client certificate: only with mTLS.
func clientCertRoles(c *config) []gateway.Role {
	if c.TLSClientCA == "" {
		return nil
	}
	var out []gateway.Role
	for _, r := range splitList(c.TLSClientRoles) {
		out = append(out, gateway.Role(r))
	}
	return out
}

// loadTokenVerifier returns the verifier of the configured keys: the public keys of
// --token-keys and of --token-key's key, or else the data directory's key, created on first
// start (the embedded mode; exportctl token issue --data-dir signs with the same file).
func loadTokenVerifier(c *config) (*auth.Verifier, error) {
	var keys []ed25519.PublicKey
	if c.TokenKeys != "" {
		ring, err := auth.LoadKeyring(c.TokenKeys)
		if err != nil {
			return nil, fmt.Errorf("--token-keys: %w", err)
		}
		keys = append(keys, ring...)
	}
	if c.TokenKey != "" {
		k, err := auth.LoadKey(c.TokenKey)
		if err != nil {
			return nil, fmt.Errorf("--token-key: %w", err)
		}
		keys = append(keys, k.Public().(ed25519.PublicKey))
	}
	if len(keys) == 0 {
		k, err := auth.LoadOrCreateKey(filepath.Join(c.DataDir, auth.KeyFile))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k.Public().(ed25519.PublicKey))
	}
	return auth.NewVerifier(keys)
}

// newLimiter returns the rate limiter: in-process buckets, or with Redis the shared Lua
// buckets, falling back to in-process buckets for a second after each Redis failure.
func newLimiter(c *config, rdb *redis.Client, log *slog.Logger) (ratelimit.Limiter, error) {
	r, err := rates(c)
	if err != nil {
		return nil, err
	}
	local := ratelimit.NewMemory(r)
	if rdb == nil {
		return local, nil
	}
	return ratelimit.Fallback(rediscache.NewRateLimiter(rdb, r), local, time.Second, func(err error) {
		log.Warn("rate limiter: Redis failed, limiting in process for a second", "err", err)
	}), nil
}
