// Package keyfile keeps the gateway's Ed25519 private keys in PKCS#8 PEM files (PRIVATE KEY,
// as `openssl genpkey -algorithm ed25519` writes them): loading one, and creating one once —
// the embedded mode's keys under <data-dir>/keys/ (token signing, credit reports).
package keyfile

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Load reads an Ed25519 private key from a PKCS#8 PEM file. A missing file's error wraps
// fs.ErrNotExist.
func Load(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	priv, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return priv, nil
}

// Parse reads an Ed25519 private key from PKCS#8 PEM.
func Parse(data []byte) (ed25519.PrivateKey, error) {
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

// LoadOrCreate reads the key at path or, when there is none, generates one and writes it
// there (mode 0600, its directory 0700, the file and the directory entry fsync'd) before
// returning it. Of two processes starting at once, one writes the file and both use it.
func LoadOrCreate(path string) (ed25519.PrivateKey, error) {
	if k, err := Load(path); !errors.Is(err, fs.ErrNotExist) {
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
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadWritten(path)
	}
	if err != nil {
		return nil, err
	}
	_, err = f.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // the new directory entry
		d.Close()
	}
	return priv, nil
}

// loadWritten reads a key another process has just created, giving it a moment to finish
// writing it.
func loadWritten(path string) (ed25519.PrivateKey, error) {
	var err error
	for range 40 {
		var k ed25519.PrivateKey
		if k, err = Load(path); err == nil {
			return k, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return nil, err
}

// ParsePublic reads an Ed25519 public key from a PEM block of type PUBLIC KEY (PKIX).
func ParsePublic(data []byte) (ed25519.PublicKey, error) {
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
