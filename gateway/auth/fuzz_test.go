package auth_test

import (
	"crypto/ed25519"
	mathrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
)

// FuzzVerify: whatever the input, Verify never panics, and it accepts only the tokens the
// issuer signed, byte for byte (strict base64 leaves an Ed25519 signature one encoding), with
// the claims they were issued with.
func FuzzVerify(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))                                       // fixed: the corpus stays meaningful
	iss := auth.NewIssuer(seed, auth.WithClock(clock), auth.WithRandom(mathrand.NewChaCha8([32]byte{}))) // the same tokens in every fuzz worker
	v, err := auth.NewVerifier([]ed25519.PublicKey{seed.Public().(ed25519.PublicKey)}, auth.WithClock(clock))
	require.NoError(f, err)
	issued := map[string]*gateway.Principal{}
	for _, g := range []struct {
		role gateway.Role
		org  string
	}{{gateway.RoleExporter, exporterOrg}, {gateway.RoleInspector, inspectorOrg}, {gateway.RoleCustoms, "customs"}, {gateway.RoleAdmin, "ucx"}} {
		tok, err := iss.Issue("fuzz", g.role, g.org, time.Hour)
		require.NoError(f, err)
		p, err := v.Verify(tok)
		require.NoError(f, err)
		issued[tok] = p
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(`eyJhbGciOiJub25lIn0.` + parts[1] + ".")
		f.Add(parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + "B")
	}
	f.Add("")
	f.Add("..")
	f.Add("e30.e30.")
	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.Verify(token)
		if err != nil {
			if gateway.ErrorCode(err) != gateway.EUNAUTHENTICATED || auth.Reason(err) == "" {
				t.Fatalf("refused without a reason: %v", err)
			}
			return
		}
		want, ok := issued[token]
		if !ok {
			t.Fatalf("accepted a token the issuer never signed: %q", token)
		}
		if *p != *want {
			t.Fatalf("accepted with other claims: %+v, issued %+v", p, want)
		}
	})
}
