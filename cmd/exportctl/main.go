// Command exportctl is the UCX operator and agency tool. Its subcommands sign and verify WM/T
// 8/9 inspection reports the way the gateway's POST /v1/inspection-reports does (package
// gateway/inspection: Ed25519 over the report's RFC 8785 canonical JSON), check the
// gateway's signed exporter credit reports offline (package gateway/creditreport), and issue
// the gateway's bearer tokens (package gateway/auth).
//
// Usage:
//
//	exportctl sign-report --key-id ID (--demo-key | --private-key FILE) REPORT.json
//	exportctl verify-report [--keys fixtures|KEYS.json] SIGNED.json
//	exportctl verify-credit-report (--key PUBFILE | --key-url URL) --report REPORT.json
//	exportctl token issue (--data-dir DIR | --key FILE) --role ROLE --org ORG [--ttl 1h] [--subject S]
//	exportctl token public-key (--data-dir DIR | --key FILE)
//
// sign-report prints {"report": <the report as given>, "signature": {…}}, the body
// POST /v1/inspection-reports accepts. verify-report checks such a body against the registered
// agency keys and prints OK, or fails with the signature's error code (exit status 1).
// verify-credit-report checks a credit report's signature with the gateway's published key
// and prints OK, or fails with the reason's code (exit status 1). token issue prints a bearer
// token signed with the gateway's key; token public-key prints the key's entry for the
// gateway's --token-keys file. A file named "-" is read from standard input. Run exportctl
// SUBCOMMAND -h for the flags.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/creditreport"
	"github.com/ucx-export/ucx/gateway/inspection"
)

// fixtureKeys is the path of the registered agency keys inside fixtures.FS.
const fixtureKeys = "agencies/inspection-agency-keys.json"

// stdin is read for a file named "-" (a variable for the tests).
var stdin io.Reader = os.Stdin

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, os.Stderr))
}

// report prints err to w and returns the exit status: 0 for none (or -h), 2 for a usage
// error, 1 otherwise. A coded error is printed with both messages and its JSON pointers.
func report(err error, w io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ge *gateway.Error
	if errors.As(err, &ge) {
		fmt.Fprintf(w, "exportctl: %s: %s\n  %s\n", ge.Code, ge.Message, ge.MessageZh)
		for _, d := range ge.Details {
			fmt.Fprintf(w, "  at %s (%s)\n", d.Pointer, d.Code)
		}
	} else {
		fmt.Fprintln(w, "exportctl:", err)
	}
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usage = `exportctl — UCX operator and agency tool

Subcommands:
  sign-report --key-id ID (--demo-key | --private-key FILE) REPORT.json
        sign a WM/T 8/9 inspection report (Ed25519 over its RFC 8785 canonical JSON) and print
        {"report": …, "signature": …}, the body POST /v1/inspection-reports accepts
  verify-report [--keys fixtures|KEYS.json] SIGNED.json
        verify such a body against the registered inspection agency keys: prints OK, or fails
        with REPORT_UNSIGNED, REPORT_SIGNATURE_INVALID, REPORT_AGENCY_UNKNOWN,
        REPORT_AGENCY_MISMATCH or REPORT_KEY_NOT_VALID (exit status 1)
  verify-credit-report (--key PUBFILE | --key-url URL) --report REPORT.json
        check a gateway-signed exporter credit report offline with the gateway's published
        public key: prints OK, or fails with CREDIT_REPORT_SIGNATURE_INVALID,
        CREDIT_REPORT_KEY_MISMATCH or CREDIT_REPORT_MALFORMED (exit status 1)
  token issue (--data-dir DIR | --key FILE) --role ROLE --org ORG [--ttl 1h] [--subject S]
        print a bearer token for the gateway, signed with the embedded gateway's key in DIR
        (created when missing) or a PKCS#8 PEM key file
  token public-key (--data-dir DIR | --key FILE)
        print the key's entry {"kid", "publicKey"} for the gateway's --token-keys file

Run exportctl SUBCOMMAND -h for its flags. A file named "-" is standard input.
`

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no subcommand")
	}
	switch args[0] {
	case "sign-report":
		return signReport(args[1:], stdout, stderr)
	case "verify-report":
		return verifyReport(args[1:], stdout, stderr)
	case "verify-credit-report":
		return verifyCreditReport(ctx, args[1:], stdout, stderr)
	case "token":
		return token(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	default:
		fmt.Fprint(stderr, usage)
		return usagef("unknown subcommand %q", args[0])
	}
}

// parse parses flags and positional arguments in any order ("--" ends the flags).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func readFile(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

func signReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("exportctl sign-report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyID := fs.String("key-id", "", "the registered agency key to sign with, e.g. 91650104MA77YK0H8U-2026-1 (required)")
	demo := fs.Bool("demo-key", false, "sign with the demo key of --key-id (inspection.DemoKey: derivable by anyone, for demos and tests only)")
	privFile := fs.String("private-key", "", "file holding the agency's Ed25519 private key: base64 of the 32-byte seed (or the 64-byte key), or a PKCS#8 PEM block")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: exportctl sign-report --key-id ID (--demo-key | --private-key FILE) REPORT.json

Signs a WM/T 8/9 inspection report (a JSON object) with Ed25519 over its RFC 8785 canonical JSON
and prints {"report": <the report as given>, "signature": {"keyId", "algorithm", "value"}},
the body POST /v1/inspection-reports accepts. The report's agency.uscc must be the agency the
key is registered for, and its issueDate within the key's validity, or the gateway refuses it.

Flags:
`)
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usagef("sign-report takes exactly one REPORT.json, got %d arguments", len(pos))
	}
	if *keyID == "" {
		return usagef("sign-report: --key-id is required")
	}
	if *demo == (*privFile != "") {
		return usagef("sign-report: give exactly one of --demo-key and --private-key")
	}
	var priv ed25519.PrivateKey
	if *demo {
		priv = inspection.DemoKey(*keyID)
		fmt.Fprintln(stderr, "exportctl: warning: signing with the DEMO key of", *keyID, "(for demos and tests only; anyone can derive it)")
	} else if priv, err = loadPrivateKey(*privFile); err != nil {
		return err
	}
	raw, err := readFile(pos[0])
	if err != nil {
		return err
	}
	raw = bytes.TrimSpace(raw)
	canon, err := inspection.Canonical(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	if canon[0] != '{' {
		return fmt.Errorf("%s: the report must be a JSON object", pos[0])
	}
	sig, err := inspection.Sign(raw, *keyID, priv)
	if err != nil {
		return err
	}
	sigJSON, err := json.Marshal(sig)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	out.WriteString(`{"report": `)
	out.Write(raw)
	out.WriteString(",\n \"signature\": ")
	out.Write(sigJSON)
	out.WriteString("}\n")
	_, err = stdout.Write(out.Bytes())
	return err
}

// loadPrivateKey reads an Ed25519 private key: a PKCS#8 PEM block ("PRIVATE KEY"), or standard
// base64 of the 32-byte seed or of the 64-byte private key.
func loadPrivateKey(name string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--private-key: %w", err)
	}
	data = bytes.TrimSpace(data)
	if bytes.HasPrefix(data, []byte("-----BEGIN")) {
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("--private-key %s: want a PEM block of type PRIVATE KEY (PKCS#8)", name)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--private-key %s: %w", name, err)
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("--private-key %s: a %T, not an Ed25519 key", name, k)
		}
		return priv, nil
	}
	raw, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		return nil, fmt.Errorf("--private-key %s: neither PKCS#8 PEM nor standard base64: %w", name, err)
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		priv := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		if !bytes.Equal(priv, raw) {
			return nil, fmt.Errorf("--private-key %s: the public half does not match the seed", name)
		}
		return priv, nil
	default:
		return nil, fmt.Errorf("--private-key %s: %d bytes, want a 32-byte seed or a 64-byte key", name, len(raw))
	}
}

// signedReport is the body of POST /v1/inspection-reports.
type signedReport struct {
	Report    jsontext.Value        `json:"report"`
	Signature *inspection.Signature `json:"signature"`
}

func verifyReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("exportctl verify-report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keys := fs.String("keys", "fixtures", `the registered agency keys: "fixtures" (the keys compiled in from fixtures/`+fixtureKeys+`) or a JSON file of the same form`)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: exportctl verify-report [--keys fixtures|KEYS.json] SIGNED.json

Verifies a signed report {"report": …, "signature": …} (the output of sign-report, the body of
POST /v1/inspection-reports) as the gateway does: the key must be registered, belong to the
agency the report names (agency.uscc), be valid on its issueDate, and the Ed25519 signature
must match the report's RFC 8785 canonical JSON. Prints OK, or fails with exit status 1 and
REPORT_UNSIGNED, REPORT_SIGNATURE_INVALID, REPORT_AGENCY_UNKNOWN, REPORT_AGENCY_MISMATCH or
REPORT_KEY_NOT_VALID.

Flags:
`)
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usagef("verify-report takes exactly one SIGNED.json, got %d arguments", len(pos))
	}
	reg, err := loadKeys(*keys)
	if err != nil {
		return err
	}
	data, err := readFile(pos[0])
	if err != nil {
		return err
	}
	var in signedReport
	if err := jsonv2.Unmarshal(data, &in, jsonv2.RejectUnknownMembers(true)); err != nil {
		return gateway.Wrap(err, gateway.EINVALIDJSON,
			fmt.Sprintf("%s is not a signed report {\"report\": …, \"signature\": …}: %v", pos[0], err),
			fmt.Sprintf("%s 不是已签名检验报告 {\"report\": …, \"signature\": …}", pos[0]))
	}
	if len(in.Report) == 0 || in.Report.Kind() != '{' {
		return gateway.Errorf(gateway.EINVALID, "%s: report is missing or not a JSON object", "%s：report缺失或不是JSON对象", pos[0])
	}
	if err := reg.VerifyReport(in.Report, in.Signature); err != nil {
		return err
	}
	k, _ := reg.Key(in.Signature.KeyID)
	_, err = fmt.Fprintf(stdout, "OK: signed by %s (%s) with key %s\n", k.AgencyName, k.AgencyUSCC, k.KeyID)
	return err
}

func loadKeys(name string) (*inspection.Registry, error) {
	if name == "fixtures" {
		return inspection.LoadRegistry(fixtures.FS, fixtureKeys)
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	return inspection.LoadRegistry(os.DirFS(filepath.Dir(abs)), filepath.Base(abs))
}

func verifyCreditReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("exportctl verify-credit-report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key", "", "the gateway's public key: the JSON of GET /v1/keys/credit-report, a PUBLIC KEY PEM block, or base64 of the 32 raw bytes")
	keyURL := fs.String("key-url", "", "fetch the public key from the gateway instead: the URL of /v1/keys/credit-report, or the gateway's base URL")
	reportFile := fs.String("report", "", "the signed credit report (the JSON of GET /v1/exporters/{uscc}/credit-report, or the report member of GET /v1/verify/credit/{code}) (required)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: exportctl verify-credit-report (--key PUBFILE | --key-url URL) --report REPORT.json

Checks an exporter credit report signed by a UCX gateway, offline: the report's keyId must
name the given key, and the Ed25519 signature (its signature member) must match the RFC 8785
canonical JSON of the report without that member. Prints OK, or fails with exit status 1 and
CREDIT_REPORT_SIGNATURE_INVALID (changed after signing, or not Ed25519),
CREDIT_REPORT_KEY_MISMATCH (signed with another key) or CREDIT_REPORT_MALFORMED.
This checks the signature only; whether the exporter's credit is still as reported is
answered by the gateway at GET /v1/verify/credit/{code}.

Flags:
`)
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return usagef("verify-credit-report takes no arguments, got %v (the report is --report)", pos)
	}
	if (*keyFile == "") == (*keyURL == "") {
		return usagef("verify-credit-report: give exactly one of --key and --key-url")
	}
	if *reportFile == "" {
		return usagef("verify-credit-report: --report is required")
	}
	var keyData []byte
	if *keyFile != "" {
		keyData, err = readFile(*keyFile)
	} else {
		keyData, err = fetchKey(ctx, *keyURL)
	}
	if err != nil {
		return err
	}
	pub, err := creditreport.ParsePublicKey(keyData)
	if err != nil {
		return fmt.Errorf("public key: %w", err)
	}
	doc, err := readFile(*reportFile)
	if err != nil {
		return err
	}
	r, err := creditreport.Verify(doc, pub)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "OK: credit report %s of %s (%s): grade %s, score %d as of %s; issued %s, signed with key %s\n"+
		"  (the signature only: whether it is still current, ask GET /v1/verify/credit/%s)\n",
		r.ReportNo, r.Credit.Name, r.Credit.USCC, r.Credit.Grade, r.Credit.Score, r.Credit.AsOf,
		r.IssuedAt.Format(time.RFC3339), r.KeyID, r.VerificationCode)
	return err
}

// fetchKey GETs the gateway's public key; a URL without a path gets /v1/keys/credit-report.
func fetchKey(ctx context.Context, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--key-url %q is not an http(s) URL", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/keys/credit-report"
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("--key-url: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("--key-url: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("--key-url %s answered %s", u, resp.Status)
	}
	return body, nil
}
