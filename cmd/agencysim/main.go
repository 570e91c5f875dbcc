// Command agencysim stands in for the agency systems the gateway consults — police
// registration status, maintenance e-health records, the export licence registry and the
// exporter/destination registry — serving the fixtures over HTTP, with an admin API to change
// records and inject faults. It is for local production-like runs, demos and tests;
// deploy/agencysim/README.md documents the routes.
//
// Usage:
//
//	agencysim [flags]
//
// Every flag can also be set by its environment variable; a flag given on the command line
// wins over the environment. Run with -h for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ucx-export/ucx/cmd/agencysim/sim"
	"github.com/ucx-export/ucx/fixtures"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "agencysim:", err)
		os.Exit(1)
	}
}

// config is the effective configuration, logged at start.
type config struct {
	Addr            string        `json:"addr"`
	FixturesDir     string        `json:"fixturesDir,omitempty"`
	LogLevel        string        `json:"logLevel"`
	ShutdownTimeout time.Duration `json:"shutdownTimeout"`
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func parseConfig(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("agencysim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `agencysim — simulator of the agency systems UCX consults

Serves, from the fixtures (compiled in, or --fixtures-dir):
  GET /police/v1/vehicles/{vin}                 police registration record, or 404
  GET /maintenance/v1/vehicles/{vin}/records    {"records": [...]} (empty when none)
  GET /licences/v1/licences/{no}                export licence, or 404
  GET /registry/v1/exporters?after=&limit=      every exporter in USCC order, paged:
                                                {"exporters": [...], "next": "<uscc>" or ""}
  GET /registry/v1/exporters/{uscc}             filed exporter, or 404
  GET /registry/v1/destinations/{country}       destination access standard, or 404
  GET /healthz
Admin API (records, faults, counters):
  PUT  /admin/v1/police/vehicles/{vin}          set a police record
  POST /admin/v1/maintenance/vehicles/{vin}/records   append a maintenance record
  PUT  /admin/v1/licences/{no}                  set a licence
  PUT  /admin/v1/exporters/{uscc}               set an exporter
  PUT  /admin/v1/destinations/{country}         set a destination
  GET|PUT|DELETE /admin/v1/faults               faults: {"service": "police|maintenance|licences|registry|all",
                                                "latencyMs": 0, "errorRate": 0.0, "timeout": false,
                                                "malformed": false, "down": false}
  GET  /admin/v1/stats                          requests (and injected faults) per service
  POST /admin/v1/reset                          back to the fixtures, no faults, zero counters
Errors are {"error": {"code": "...", "message": "...", "messageZh": "..."}}.
Clients of one service take UCX_AGENCY_URL + /police, /maintenance, /licences or /registry
as their base URL.

Flags (environment variable in brackets):
`)
		fs.PrintDefaults()
	}
	c := &config{}
	fs.StringVar(&c.Addr, "addr", envOr("UCX_AGENCYSIM_ADDR", "127.0.0.1:8090"), "listen address; port 0 picks a free one (logged as \"listening\") [UCX_AGENCYSIM_ADDR]")
	fs.StringVar(&c.FixturesDir, "fixtures-dir", envOr("UCX_AGENCYSIM_FIXTURES_DIR", ""), "directory holding agencies/*.json to serve instead of the compiled-in fixtures [UCX_AGENCYSIM_FIXTURES_DIR]")
	fs.StringVar(&c.LogLevel, "log-level", envOr("UCX_AGENCYSIM_LOG_LEVEL", "info"), "debug, info, warn or error; logs are JSON lines on stdout [UCX_AGENCYSIM_LOG_LEVEL]")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 5*time.Second, "how long to drain requests on SIGTERM")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c, nil
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level}))
	log.Info("starting agencysim", "config", cfg)

	var fsys fs.FS = fixtures.FS
	if cfg.FixturesDir != "" {
		fsys = os.DirFS(cfg.FixturesDir)
	}
	s, err := sim.New(fsys, log)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
		// No write timeout: the latency and timeout faults hold answers on purpose.
	}
	srv.RegisterOnShutdown(s.Close) // release the requests a timeout fault holds
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
