// Command exportload is the load harness: it files sample filings at a running exportgw from
// many concurrent clients for a fixed time and prints filings/s and latency percentiles.
//
// Usage:
//
//	exportload [--url http://127.0.0.1:8080] [--concurrency 32] [--duration 10s] [--dry-run]
//	           [--token TOKEN | --data-dir DIR | --token-key FILE]
//
// Each request files one of the fixture filings (fixtures/filings), round robin; every
// response must be 201 (200 with --dry-run) or the run fails. Requests go to loopback only.
// The gateway needs a bearer token: --token sends one token with every request; --data-dir
// (the gateway's data directory: its key keys/token-signing.pem) or --token-key (a PKCS#8 key
// file the gateway trusts) mints a token per exporter, each filing sent as its own exporter
// (filings whose exporter USCC is not valid are left out then).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/auth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "exportload:", err)
		os.Exit(1)
	}
}

// Result is the outcome of one run.
type Result struct {
	Requests  int64         `json:"requests"`
	Errors    int64         `json:"errors"`
	Elapsed   time.Duration `json:"elapsed"`
	PerSecond float64       `json:"filingsPerSecond"`
	P50       time.Duration `json:"p50"`
	P90       time.Duration `json:"p90"`
	P99       time.Duration `json:"p99"`
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("exportload", flag.ContinueOnError)
	fl.SetOutput(stderr)
	base := fl.String("url", "http://127.0.0.1:8080", "the gateway's base URL (loopback only)")
	conc := fl.Int("concurrency", 32, "concurrent clients")
	dur := fl.Duration("duration", 10*time.Second, "how long to run")
	dry := fl.Bool("dry-run", false, "check without storing (?dryRun=true)")
	asJSON := fl.Bool("json", false, "print the result as JSON")
	token := fl.String("token", os.Getenv("UCX_TOKEN"), "bearer token sent with every request [UCX_TOKEN]")
	dataDir := fl.String("data-dir", "", "mint an exporter token per filing with the embedded gateway's key in DIR/"+auth.KeyFile)
	keyFile := fl.String("token-key", "", "mint an exporter token per filing with this PKCS#8 PEM signing key")
	if err := fl.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		return fmt.Errorf("--url must be a loopback address, got %q", *base)
	}
	bodies, err := sampleFilings()
	if err != nil {
		return err
	}
	samples, err := withTokens(bodies, *token, *dataDir, *keyFile, stderr)
	if err != nil {
		return err
	}
	target, want := strings.TrimSuffix(*base, "/")+"/v1/filings", http.StatusCreated
	if *dry {
		target, want = target+"?dryRun=true", http.StatusOK
	}
	res, err := load(target, want, samples, *conc, *dur)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "%d filings in %v from %d clients: %.0f filings/s, p50 %v, p90 %v, p99 %v\n",
		res.Requests, res.Elapsed.Round(time.Millisecond), *conc, res.PerSecond, res.P50, res.P90, res.P99)
	return nil
}

// sampleFilings reads the fixture filings (not their expectations).
func sampleFilings() ([][]byte, error) {
	names, err := fs.Glob(fixtures.FS, "filings/*.json")
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, n := range names {
		if strings.HasSuffix(n, ".expect.json") {
			continue
		}
		b, err := fs.ReadFile(fixtures.FS, n)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, errors.New("no fixture filings")
	}
	return out, nil
}

// sample is one request: a filing and the Authorization header it is sent with ("" none).
type sample struct {
	body          []byte
	authorization string
}

// withTokens pairs each filing with its token: the one given, or one minted per exporter
// with the signing key of dataDir or keyFile (at most one of the three).
func withTokens(bodies [][]byte, token, dataDir, keyFile string, stderr io.Writer) ([]sample, error) {
	given := 0
	for _, v := range []string{token, dataDir, keyFile} {
		if v != "" {
			given++
		}
	}
	if given > 1 {
		return nil, errors.New("give at most one of --token, --data-dir and --token-key")
	}
	out := make([]sample, 0, len(bodies))
	if dataDir == "" && keyFile == "" {
		for _, b := range bodies {
			s := sample{body: b}
			if token != "" {
				s.authorization = "Bearer " + token
			}
			out = append(out, s)
		}
		return out, nil
	}
	if dataDir != "" {
		keyFile = filepath.Join(dataDir, auth.KeyFile)
	}
	key, err := auth.LoadKey(keyFile)
	if err != nil {
		return nil, err
	}
	iss := auth.NewIssuer(key)
	tokens := map[string]string{}
	skipped := 0
	for _, b := range bodies {
		var f struct {
			Exporter struct {
				USCC string `json:"uscc"`
			} `json:"exporter"`
		}
		_ = json.Unmarshal(b, &f)
		tok, ok := tokens[f.Exporter.USCC]
		if !ok {
			if tok, err = iss.Issue("exportload", gateway.RoleExporter, f.Exporter.USCC, 24*time.Hour); err != nil {
				skipped++
				continue
			}
			tokens[f.Exporter.USCC] = tok
		}
		out = append(out, sample{body: b, authorization: "Bearer " + tok})
	}
	if len(out) == 0 {
		return nil, errors.New("no fixture filing has a valid exporter USCC")
	}
	fmt.Fprintf(stderr, "exportload: %d exporter tokens (key %s); %d filings without a valid exporter USCC left out\n", len(tokens), iss.KeyID(), skipped)
	return out, nil
}

// post sends one filing and checks the status.
func post(client *http.Client, target string, want int, s sample) error {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(s.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.authorization != "" {
		req.Header.Set("Authorization", s.authorization)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized && s.authorization == "":
		return errors.New("status 401: the gateway needs a token (--token, --data-dir or --token-key)")
	case resp.StatusCode != want:
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func load(target string, want int, samples []sample, conc int, dur time.Duration) (*Result, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var n, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1024)
			for i := w; ctx.Err() == nil; i += conc {
				t0 := time.Now()
				err := post(client, target, want, samples[i%len(samples)])
				if err != nil {
					errs.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				local = append(local, time.Since(t0))
				n.Add(1)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if errs.Load() > 0 {
		return nil, fmt.Errorf("%d failed requests, first: %v", errs.Load(), firstErr)
	}
	if len(lat) == 0 {
		return nil, errors.New("no request completed")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(10 * time.Microsecond) }
	return &Result{Requests: n.Load(), Elapsed: elapsed, PerSecond: float64(n.Load()) / elapsed.Seconds(),
		P50: pct(0.5), P90: pct(0.9), P99: pct(0.99)}, nil
}
