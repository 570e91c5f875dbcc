package main

import (
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
)

const tokenUsage = `usage: exportctl token issue (--data-dir DIR | --key FILE) --role ROLE --org ORG [--ttl 1h] [--subject S]
       exportctl token public-key (--data-dir DIR | --key FILE)

issue prints a bearer token for the gateway (a JWT signed with Ed25519, alg EdDSA): send it
as "Authorization: Bearer <token>". The signing key is the embedded gateway's, in
DIR/` + auth.KeyFile + ` (created there if the gateway has not started yet), or a PKCS#8 PEM
file (production: the key whose public half is in the gateway's --token-keys). ROLE is one of
exporter, inspector, police, customs, commerce, admin; ORG is the organisation the role acts
for: a USCC for exporter and inspector, the role name or ROLE-<code> for police, customs and
commerce (customs-5300), a short code for admin (ucx).

public-key prints the key's keyring entry {"kid", "publicKey"}: what the gateway's
--token-keys file lists (a JSON array of such entries).

Flags:
`

func token(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return usagef("token: give a subcommand: issue or public-key")
	}
	switch args[0] {
	case "issue":
		return tokenIssue(args[1:], stdout, stderr)
	case "public-key":
		return tokenPublicKey(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, tokenUsage)
		return flag.ErrHelp
	default:
		fmt.Fprint(stderr, tokenUsage)
		return usagef("token: unknown subcommand %q", args[0])
	}
}

// keyFlags are the two ways of naming the signing key.
type keyFlags struct{ dataDir, keyFile string }

func (k *keyFlags) declare(fs *flag.FlagSet) {
	fs.StringVar(&k.dataDir, "data-dir", "", "the embedded gateway's data directory: its key "+auth.KeyFile+" (created when missing)")
	fs.StringVar(&k.keyFile, "key", "", "a PKCS#8 PEM file of the Ed25519 signing key (must exist)")
}

// load returns the signing key and where it came from.
func (k *keyFlags) load() (ed25519.PrivateKey, string, error) {
	if (k.dataDir == "") == (k.keyFile == "") {
		return nil, "", usagef("give exactly one of --data-dir and --key")
	}
	if k.keyFile != "" {
		key, err := auth.LoadKey(k.keyFile)
		return key, k.keyFile, err
	}
	path := filepath.Join(k.dataDir, auth.KeyFile)
	key, err := auth.LoadOrCreateKey(path)
	return key, path, err
}

func tokenFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("exportctl token "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, tokenUsage)
		fs.PrintDefaults()
	}
	return fs
}

func tokenIssue(args []string, stdout, stderr io.Writer) error {
	fs := tokenFlags("issue", stderr)
	var k keyFlags
	k.declare(fs)
	role := fs.String("role", "", "exporter, inspector, police, customs, commerce or admin (required)")
	org := fs.String("org", "", "the organisation: a USCC (exporter, inspector), ROLE or ROLE-<code> (police, customs, commerce), a short code (admin) (required)")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid (at most "+auth.MaxTTL.String()+")")
	subject := fs.String("subject", "", "who acts (a user or system ID, 1–128 printable ASCII characters without spaces); default: ORG")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return usagef("token issue takes no arguments, got %v", pos)
	}
	if *role == "" || *org == "" {
		return usagef("token issue: --role and --org are required")
	}
	key, from, err := k.load()
	if err != nil {
		return err
	}
	if *subject == "" {
		*subject = *org
	}
	iss := auth.NewIssuer(key)
	tok, err := iss.Issue(*subject, gateway.Role(*role), *org, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exportctl: %s token for %s (subject %s), signed with key %s (%s), valid until %s\n",
		*role, *org, *subject, iss.KeyID(), from, time.Now().Add(*ttl).Truncate(time.Second).Format(time.RFC3339))
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

func tokenPublicKey(args []string, stdout, stderr io.Writer) error {
	fs := tokenFlags("public-key", stderr)
	var k keyFlags
	k.declare(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return usagef("token public-key takes no arguments, got %v", pos)
	}
	key, _, err := k.load()
	if err != nil {
		return err
	}
	out, err := json.Marshal(auth.PublicKeyOf(key))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}
