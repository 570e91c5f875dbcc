package creditreport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credit report key: %w", err)
	}
	priv, err := parsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("credit report key %s: %w", path, err)
	}
	return NewKey(priv), nil
}

// LoadOrCreateKey reads the signing key at path, or, when there is none, generates one and
// writes it there (mode 0600, its directory 0700, fsync'd) before returning it: the embedded
// mode's key, created on first start and reused after.
func LoadOrCreateKey(path string) (*Key, error) {
	if k, err := LoadKey(path); !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("credit report key: %w", err)
	}
	// O_EXCL: of two processes starting at once, one writes and both use what it wrote.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("credit report key: %w", err)
	}
	if err := writeSync(f, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("credit report key %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // the new directory entry
		d.Close()
	}
	return NewKey(priv), nil
}

func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func parsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("want a PEM block of type PRIVATE KEY (PKCS#8)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an Ed25519 key", k)
	}
	return priv, nil
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
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "PUBLIC KEY" {
			return nil, errors.New("want a PEM block of type PUBLIC KEY")
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("a %T, not an Ed25519 key", k)
		}
		return pub, nil
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
