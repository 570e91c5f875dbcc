package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ucx-export/ucx/gateway/keyfile"
	"os"
	"strings"
)

// KeyFile is where the embedded mode keeps the token signing key, inside the data directory.
const KeyFile = "keys/token-signing.pem"

// KeyID names a public key: the first 8 bytes of the SHA-256 of its 32 raw bytes, in
// unpadded base64url (11 characters). It is the kid of the tokens the key signs.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// PublicKey is one entry of a keyring file: a verification key and its kid.
type PublicKey struct {
	KeyID string `json:"kid"`
	// PublicKey is standard base64 of the 32 raw bytes, or a PKIX "PUBLIC KEY" PEM block.
	PublicKey string `json:"publicKey"`
}

// PublicKeyOf returns the keyring entry of a signing key's public half.
func PublicKeyOf(priv ed25519.PrivateKey) PublicKey {
	pub := priv.Public().(ed25519.PublicKey)
	return PublicKey{KeyID: KeyID(pub), PublicKey: base64.StdEncoding.EncodeToString(pub)}
}

// ParseKeyring reads a keyring file: a JSON array of {"kid", "publicKey"}, at least one. Each
// kid must be the KeyID of its key (a copy-paste mistake is caught here, not by refused
// tokens later); a key listed twice is an error.
func ParseKeyring(data []byte) ([]ed25519.PublicKey, error) {
	var entries []PublicKey
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("keyring: want a JSON array of {\"kid\", \"publicKey\"}: %w", err)
	}
	if dec.More() {
		return nil, errors.New("keyring: data after the JSON array")
	}
	if len(entries) == 0 {
		return nil, errors.New("keyring: no keys")
	}
	seen := map[string]bool{}
	out := make([]ed25519.PublicKey, 0, len(entries))
	for i, e := range entries {
		pub, err := parsePublicKey(e.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("keyring entry %d: publicKey: %w", i, err)
		}
		if e.KeyID != KeyID(pub) {
			return nil, fmt.Errorf("keyring entry %d: kid %q does not name its publicKey (whose kid is %s)", i, e.KeyID, KeyID(pub))
		}
		if seen[e.KeyID] {
			return nil, fmt.Errorf("keyring entry %d: kid %s listed twice", i, e.KeyID)
		}
		seen[e.KeyID] = true
		out = append(out, pub)
	}
	return out, nil
}

// LoadKeyring reads a keyring file (ParseKeyring).
func LoadKeyring(path string) ([]ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys, err := ParseKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

func parsePublicKey(s string) (ed25519.PublicKey, error) {
	s = string(bytes.TrimSpace([]byte(s)))
	if strings.HasPrefix(s, "-----BEGIN") {
		return keyfile.ParsePublic([]byte(s))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("neither standard base64 of 32 bytes nor a PUBLIC KEY PEM block")
	}
	return ed25519.PublicKey(raw), nil
}

// LoadKey reads a signing key from a PKCS#8 PEM file (PRIVATE KEY, as openssl genpkey
// -algorithm ed25519 writes it).
func LoadKey(path string) (ed25519.PrivateKey, error) {
	k, err := keyfile.Load(path)
	if err != nil {
		return nil, fmt.Errorf("token signing key: %w", err)
	}
	return k, nil
}

// LoadOrCreateKey reads the signing key at path, or, when there is none, creates it there
// (keyfile.LoadOrCreate): the embedded mode's key, created on first start by whichever of
// exportgw and exportctl comes first, and reused after.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	k, err := keyfile.LoadOrCreate(path)
	if err != nil {
		return nil, fmt.Errorf("token signing key: %w", err)
	}
	return k, nil
}
