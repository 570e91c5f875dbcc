package creditreport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/ucx-export/ucx/gateway/keyfile"
)

// KeyFile is where the embedded mode keeps the signing key, inside the data directory.
const KeyFile = "keys/credit-report.ed25519"

// Key is the gateway's Ed25519 key that signs credit reports.
type Key struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
}

// NewKey wraps an Ed25519 private key.
func NewKey(priv ed25519.PrivateKey) *Key {
	pub := priv.Public().(ed25519.PublicKey)
	return &Key{priv: priv, pub: pub, id: KeyID(pub)}
}

// KeyID names a public key: the first 8 bytes of the SHA-256 of its 32 raw bytes, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// ID returns the key's keyId.
func (k *Key) ID() string { return k.id }

// PublicKey is the published half of the signing key: what anyone needs to check a credit
// report offline.
type PublicKey struct {
	KeyID     string `json:"keyId"`
	Algorithm string `json:"algorithm"`
	// PublicKey: standard base64 of the 32 raw bytes; PEM: the same key as a PKIX PUBLIC KEY
	// block (what openssl pkey -pubout prints).
	PublicKey string `json:"publicKey"`
	PEM       string `json:"pem"`
}

// Public returns the published half of the key.
func (k *Key) Public() PublicKey {
	der, _ := x509.MarshalPKIXPublicKey(k.pub) // cannot fail for an Ed25519 key
	return PublicKey{KeyID: k.id, Algorithm: Algorithm, PublicKey: base64.StdEncoding.EncodeToString(k.pub),
		PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

// LoadKey reads the signing key from a PKCS#8 PEM file (PRIVATE KEY, as openssl genpkey
// -algorithm ed25519 writes it).
func LoadKey(path string) (*Key, error) {
	priv, err := keyfile.Load(path)
	if err != nil {
		return nil, fmt.Errorf("credit report key: %w", err)
	}
	return NewKey(priv), nil
}

// LoadOrCreateKey reads the signing key at path, or, when there is none, creates it there
// (keyfile.LoadOrCreate): the embedded mode's key, created on first start and reused after.
func LoadOrCreateKey(path string) (*Key, error) {
	priv, err := keyfile.LoadOrCreate(path)
	if err != nil {
		return nil, fmt.Errorf("credit report key: %w", err)
	}
	return NewKey(priv), nil
}

// ParsePublicKey reads a published public key in any of the forms the gateway gives it: the
// JSON of GET /v1/keys/credit-report, a PKIX PEM block (PUBLIC KEY), or standard base64 of the
// 32 raw bytes.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(data, []byte("{")):
		var pk PublicKey
		if err := json.Unmarshal(data, &pk); err != nil {
			return nil, fmt.Errorf("not the JSON of GET /v1/keys/credit-report: %w", err)
		}
		if pk.Algorithm != Algorithm {
			return nil, fmt.Errorf("algorithm %q, want %s", pk.Algorithm, Algorithm)
		}
		pub, err := rawPublicKey(pk.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("publicKey: %w", err)
		}
		if pk.KeyID != KeyID(pub) {
			return nil, fmt.Errorf("keyId %q does not name publicKey (its keyId is %s)", pk.KeyID, KeyID(pub))
		}
		return pub, nil
	case bytes.HasPrefix(data, []byte("-----BEGIN")):
		return keyfile.ParsePublic(data)
	}
	pub, err := rawPublicKey(string(data))
	if err != nil {
		return nil, errors.New("neither key JSON, a PUBLIC KEY PEM block, nor standard base64 of 32 bytes")
	}
	return pub, nil
}

func rawPublicKey(b64 string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("not standard base64 of 32 bytes")
	}
	return ed25519.PublicKey(raw), nil
}
