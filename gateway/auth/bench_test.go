package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
)

// BenchmarkVerify is what authentication costs every request that is not public.
func BenchmarkVerify(b *testing.B) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	token, err := auth.NewIssuer(priv).Issue("rep-1", gateway.RoleExporter, "91440300MA5GK7R3DQ", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	v, err := auth.NewVerifier([]ed25519.PublicKey{pub})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}
