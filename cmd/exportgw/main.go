// Command exportgw is the UCX gateway: it checks used-car export filings against the WM/T 8/9
// schemas, the agency records and the rulesets in force, and records every decision durably.
//
// Usage:
//
//	exportgw [flags]
//
// Every flag can also be set by its environment variable; a flag given on the command line
// wins over the environment. Run with -h for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/redis/go-redis/v9"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ucx-export/ucx/chaincode"
	"github.com/ucx-export/ucx/fixtures"
	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/agencyhttp"
	"github.com/ucx-export/ucx/gateway/compliance"
	"github.com/ucx-export/ucx/gateway/contract"
	"github.com/ucx-export/ucx/gateway/credit"
	"github.com/ucx-export/ucx/gateway/creditreport"
	"github.com/ucx-export/ucx/gateway/customs"
	"github.com/ucx-export/ucx/gateway/deadlines"
	"github.com/ucx-export/ucx/gateway/embedded"
	"github.com/ucx-export/ucx/gateway/exporters"
	"github.com/ucx-export/ucx/gateway/fabric"
	"github.com/ucx-export/ucx/gateway/filings"
	"github.com/ucx-export/ucx/gateway/httpapi"
	"github.com/ucx-export/ucx/gateway/inspection"
	"github.com/ucx-export/ucx/gateway/licence"
	"github.com/ucx-export/ucx/gateway/maintenance"
	"github.com/ucx-export/ucx/gateway/police"
	"github.com/ucx-export/ucx/gateway/rediscache"
	"github.com/ucx-export/ucx/gateway/registry"
	"github.com/ucx-export/ucx/gateway/webhooks"
	"github.com/ucx-export/ucx/schemas"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "exportgw:", err)
		os.Exit(1)
	}
}

// config is the effective configuration, logged at start.
type config struct {
	Addr              string        `json:"addr"`
	DataDir           string        `json:"dataDir"`
	ReportMaxAgeDays  int           `json:"reportMaxAgeDays"`
	ShutdownTimeout   time.Duration `json:"shutdownTimeout"`
	LogLevel          string        `json:"logLevel"`
	Ledger            string        `json:"ledger"`
	LicenceSource     string        `json:"licenceSource"`
	RedisURL          string        `json:"redisUrl,omitempty"`
	PoliceURL         string        `json:"policeUrl,omitempty"`
	MaintenanceURL    string        `json:"maintenanceUrl,omitempty"`
	LicenceURL        string        `json:"licenceUrl,omitempty"`
	RegistryURL       string        `json:"registryUrl,omitempty"`
	LookupTimeout     time.Duration `json:"lookupTimeout"`
	InspectionKeys    string        `json:"inspectionKeys"`
	InspectionRate    float64       `json:"customsInspectionRate"`
	GradeRates        string        `json:"customsGradeRates"`
	CreditCalendar    string        `json:"creditCalendar"`
	CreditWorkerEvery time.Duration `json:"creditWorkerInterval"`
	AuditChainID      string        `json:"auditChainId"`
	AuditAnchorEvery  time.Duration `json:"auditAnchorInterval"`
	SeedLicences      bool          `json:"seedLicences"`
	CreditReportKey   string        `json:"creditReportKey,omitempty"`
	Webhooks          bool          `json:"webhooks"`
	WebhookAttempts   int           `json:"webhookMaxAttempts"`
	WebhookBackoff    time.Duration `json:"webhookBackoff"`
	WebhookBackoffMx  time.Duration `json:"webhookBackoffMax"`
	WebhookTimeout    time.Duration `json:"webhookTimeout"`
	CreditSeed        string        `json:"creditSeed,omitempty"`
	TokenKey          string        `json:"tokenKey,omitempty"`
	TokenKeys         string        `json:"tokenKeys,omitempty"`
	RatePublic        string        `json:"ratePublic"`
	RateRead          string        `json:"rateRead"`
	RateWrite         string        `json:"rateWrite"`
	TrustedProxies    string        `json:"trustedProxies,omitempty"`
	CORSOrigins       string        `json:"corsOrigins,omitempty"`
	TLSCert           string        `json:"tlsCert,omitempty"`
	TLSKey            string        `json:"tlsKey,omitempty"`
	TLSClientCA       string        `json:"tlsClientCa,omitempty"`
	TLSClientRoles    string        `json:"tlsClientRoles,omitempty"`
}

// LogValue logs the configuration with any password in the Redis URL masked.
func (c config) LogValue() slog.Value {
	if u, err := url.Parse(c.RedisURL); err == nil && c.RedisURL != "" {
		c.RedisURL = u.Redacted()
	}
	type plain config // without the LogValue method
	return slog.AnyValue(plain(c))
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func parseConfig(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("exportgw", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `exportgw — UCX used-car export compliance gateway

Runs on embedded defaults: a durable bbolt store and the trace ledger (the chaincode hosted
in-process over a hash-chained block log) in --data-dir, fsync'd before every 2xx, and agency
look-ups (police status, maintenance records, export licences, exporter registry, destination
standards) served in-process from the fixtures compiled into the binary. With --ledger fabric
the trace is anchored on a real Hyperledger Fabric network instead. Exporter credit reports
are signed with an Ed25519 key kept in --data-dir unless --credit-report-key names one.

Credit changes are pushed to the agencies' webhook subscriptions (POST /v1/webhooks/subscriptions):
signed with HMAC-SHA256, retried with exponential backoff and jitter, dead-lettered after
--webhook-max-attempts, delivered at least once. The queue is webhooks.db in --data-dir, or Redis
Streams with --redis-url.

Reads of personal data shown in clear and of credit details are written to a hash-chained audit
log before they are answered (GET /v1/audit): audit.db in --data-dir, or Redis with --redis-url.

Every route but the public ones (health, /openapi.json, the verification routes, the published
keys) needs a bearer token: "Authorization: Bearer <token>", a JWT signed with Ed25519 carrying
the caller's role and organisation. Without --token-key or --token-keys the gateway trusts the
key in --data-dir (keys/token-signing.pem, created on first start), and
"exportctl token issue --data-dir DIR --role ROLE --org ORG" signs tokens with it. Requests are
rate-limited per caller and route class (public per client IP, read, write): 429 with
Retry-After; in-process, or in Redis with --redis-url.

Flags (environment variable in brackets):
`)
		fs.PrintDefaults()
	}
	c := &config{}
	fs.StringVar(&c.Addr, "addr", envOr("UCX_ADDR", "127.0.0.1:8080"), "listen address [UCX_ADDR]")
	fs.StringVar(&c.DataDir, "data-dir", envOr("UCX_DATA_DIR", "./data"), "directory of the durable local store [UCX_DATA_DIR]")
	days, err := strconv.Atoi(envOr("UCX_REPORT_MAX_AGE_DAYS", "90"))
	if err != nil {
		return nil, fmt.Errorf("UCX_REPORT_MAX_AGE_DAYS: %w", err)
	}
	fs.IntVar(&c.ReportMaxAgeDays, "report-max-age-days", days, "how many days before the application an inspection report may be issued [UCX_REPORT_MAX_AGE_DAYS]")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to drain requests on SIGTERM")
	fs.StringVar(&c.LogLevel, "log-level", envOr("UCX_LOG_LEVEL", "info"), "debug, info, warn or error [UCX_LOG_LEVEL]")
	fs.StringVar(&c.Ledger, "ledger", envOr("UCX_LEDGER", "embedded"), "embedded (in-process chaincode over --data-dir) or fabric (a real network: UCX_FABRIC_* settings, or UCX_FABRIC_CONNECTION naming deploy/fabric/run/connection.env) [UCX_LEDGER]")
	fs.StringVar(&c.RedisURL, "redis-url", envOr("UCX_REDIS_URL", ""), "Redis for filings, documents, idempotency keys and the look-up cache (redis://host:port/db); empty: the embedded store in --data-dir and no cache [UCX_REDIS_URL]")
	agency := envOr("UCX_AGENCY_URL", "")
	fs.StringVar(&agency, "agency-url", agency, "base URL of agencysim (or a gateway to all four agency systems): sets the four URLs below to URL/police, /maintenance, /licences, /registry unless they are set [UCX_AGENCY_URL]")
	fs.StringVar(&c.PoliceURL, "police-url", envOr("UCX_POLICE_URL", ""), "police registration system; empty: fixtures [UCX_POLICE_URL]")
	fs.StringVar(&c.MaintenanceURL, "maintenance-url", envOr("UCX_MAINTENANCE_URL", ""), "maintenance e-health record system; empty: fixtures [UCX_MAINTENANCE_URL]")
	fs.StringVar(&c.LicenceURL, "licence-url", envOr("UCX_LICENCE_URL", ""), "export licence registry; empty: fixtures (or the ledger, see --licence-source) [UCX_LICENCE_URL]")
	fs.StringVar(&c.RegistryURL, "registry-url", envOr("UCX_REGISTRY_URL", ""), "exporter filing registry (备案) and destination standards; empty: fixtures [UCX_REGISTRY_URL]")
	lookupTimeout, err := time.ParseDuration(envOr("UCX_LOOKUP_TIMEOUT", "3s"))
	if err != nil {
		return nil, fmt.Errorf("UCX_LOOKUP_TIMEOUT: %w", err)
	}
	fs.DurationVar(&c.LookupTimeout, "lookup-timeout", lookupTimeout, "deadline for all the agency look-ups of one filing; past it the filing is HELD with LOOKUP_UNAVAILABLE [UCX_LOOKUP_TIMEOUT]")
	fs.StringVar(&c.InspectionKeys, "inspection-keys", envOr("UCX_INSPECTION_KEYS", ""), "JSON file of the inspection agencies' registered Ed25519 public keys (signed reports); empty: the fixture agencies' keys [UCX_INSPECTION_KEYS]")
	rate, err := strconv.ParseFloat(envOr("UCX_CUSTOMS_INSPECTION_RATE", strconv.FormatFloat(customs.DefaultInspectionRate, 'f', -1, 64)), 64)
	if err != nil {
		return nil, fmt.Errorf("UCX_CUSTOMS_INSPECTION_RATE: %w", err)
	}
	fs.Float64Var(&c.InspectionRate, "customs-inspection-rate", rate, "share of declaration lines sent to physical inspection, sampled deterministically from the declaration (0..1), when the exporter's credit grade cannot be had [UCX_CUSTOMS_INSPECTION_RATE]")
	fs.StringVar(&c.GradeRates, "customs-grade-rates", envOr("UCX_CUSTOMS_GRADE_RATES", "A=0.05,B=0.1,C=0.3,D=1"), "physical-inspection sampling rate by exporter credit grade, GRADE=RATE pairs (0..1) [UCX_CUSTOMS_GRADE_RATES]")
	fs.StringVar(&c.CreditCalendar, "credit-calendar", envOr("UCX_CREDIT_CALENDAR", ""), "JSON file {\"holidays\":[…],\"workdays\":[…]} of the working-day calendar that objection and repair time limits count in; empty: the built-in 2026 calendar of China [UCX_CREDIT_CALENDAR]")
	workerEvery, err := time.ParseDuration(envOr("UCX_CREDIT_WORKER_INTERVAL", "10m"))
	if err != nil {
		return nil, fmt.Errorf("UCX_CREDIT_WORKER_INTERVAL: %w", err)
	}
	anchorEvery, err := time.ParseDuration(envOr("UCX_AUDIT_ANCHOR_INTERVAL", "1m"))
	if err != nil {
		return nil, fmt.Errorf("UCX_AUDIT_ANCHOR_INTERVAL: %w", err)
	}
	fs.DurationVar(&c.AuditAnchorEvery, "audit-anchor-interval", anchorEvery, "how often the audit log's head is anchored on the ledger (and once more at shutdown), so that a rewritten or cut log is caught; 0: never [UCX_AUDIT_ANCHOR_INTERVAL]")
	fs.StringVar(&c.AuditChainID, "audit-chain-id", envOr("UCX_AUDIT_CHAIN_ID", "ucx-audit"), "the audit log's name on the ledger: one per deployment (replicas sharing Redis share it; gateways of different deployments on one Fabric network need different names) [UCX_AUDIT_CHAIN_ID]")
	fs.DurationVar(&c.CreditWorkerEvery, "credit-worker-interval", workerEvery, "how often the credit worker runs over the registry's approved exporters, at start and then every interval: it awards the bonus B01 (12 clean months) when due and publishes grades that changed (GRADE_CHANGED on the credit feed); 0: never [UCX_CREDIT_WORKER_INTERVAL]")
	fs.StringVar(&c.LicenceSource, "licence-source", envOr("UCX_LICENCE_SOURCE", ""), "where the filing check reads export licences: fixtures, http (--licence-url) or ledger (the licence registry on the ledger); default: http when --licence-url is set, else fixtures [UCX_LICENCE_SOURCE]")
	seed, err := strconv.ParseBool(envOr("UCX_SEED_LICENCES", "false"))
	if err != nil {
		return nil, fmt.Errorf("UCX_SEED_LICENCES: %w", err)
	}
	fs.BoolVar(&c.SeedLicences, "seed-licences", seed, "issue the fixture licences on the ledger at start when missing (demo and tests) [UCX_SEED_LICENCES]")
	fs.StringVar(&c.CreditReportKey, "credit-report-key", envOr("UCX_CREDIT_REPORT_KEY", ""), "PKCS#8 PEM file of the Ed25519 key that signs exporter credit reports (openssl genpkey -algorithm ed25519); it must exist. Empty: "+creditreport.KeyFile+" in --data-dir, created on first start; replicas sharing Redis need one key given here [UCX_CREDIT_REPORT_KEY]")
	if err := webhookFlags(fs, c); err != nil {
		return nil, err
	}
	fs.StringVar(&c.CreditSeed, "credit-seed", envOr("UCX_CREDIT_SEED", ""), "JSON file of exporter credit histories to record on the ledger at start (fixtures/credit/histories.json: every grade); an exporter that already has credit events is skipped, so restarts add nothing [UCX_CREDIT_SEED]")
	accessFlags(fs, c)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.Ledger != gateway.LedgerEmbedded && c.Ledger != gateway.LedgerFabric {
		return nil, fmt.Errorf("--ledger must be embedded or fabric, got %q", c.Ledger)
	}
	for _, u := range []struct {
		url    *string
		prefix string
	}{{&c.PoliceURL, police.SimPrefix}, {&c.MaintenanceURL, maintenance.SimPrefix}, {&c.LicenceURL, licence.SimPrefix}, {&c.RegistryURL, registry.SimPrefix}} {
		if *u.url == "" && agency != "" {
			*u.url = strings.TrimSuffix(agency, "/") + u.prefix
		}
		if *u.url != "" {
			if err := agencyhttp.ValidateBaseURL(*u.url); err != nil {
				return nil, err
			}
		}
	}
	if c.LicenceSource == "" {
		c.LicenceSource = "fixtures"
		if c.LicenceURL != "" {
			c.LicenceSource = "http"
		}
	}
	switch c.LicenceSource {
	case "fixtures", "ledger":
	case "http":
		if c.LicenceURL == "" {
			return nil, fmt.Errorf("--licence-source http needs --licence-url (or --agency-url)")
		}
	default:
		return nil, fmt.Errorf("--licence-source must be fixtures, http or ledger, got %q", c.LicenceSource)
	}
	if c.InspectionRate < 0 || c.InspectionRate > 1 {
		return nil, fmt.Errorf("--customs-inspection-rate must be between 0 and 1")
	}
	if _, err := parseGradeRates(c.GradeRates); err != nil {
		return nil, fmt.Errorf("--customs-grade-rates: %w", err)
	}
	if c.LookupTimeout <= 0 {
		return nil, fmt.Errorf("--lookup-timeout must be positive")
	}
	if c.ReportMaxAgeDays < 1 {
		return nil, fmt.Errorf("--report-max-age-days must be at least 1")
	}
	switch {
	case c.WebhookAttempts < 1:
		return nil, fmt.Errorf("--webhook-max-attempts must be at least 1")
	case c.WebhookBackoff <= 0 || c.WebhookBackoffMx < c.WebhookBackoff:
		return nil, fmt.Errorf("--webhook-backoff must be positive and at most --webhook-backoff-max")
	case c.WebhookTimeout <= 0:
		return nil, fmt.Errorf("--webhook-timeout must be positive")
	}
	if err := checkAccess(c); err != nil {
		return nil, err
	}
	return c, nil
}

// webhookFlags declares the webhook settings (each with its environment variable).
func webhookFlags(fs *flag.FlagSet, c *config) error {
	on, err := strconv.ParseBool(envOr("UCX_WEBHOOKS", "true"))
	if err != nil {
		return fmt.Errorf("UCX_WEBHOOKS: %w", err)
	}
	fs.BoolVar(&c.Webhooks, "webhooks", on, "push credit changes to the agencies' webhook subscriptions; false: the subscription routes answer 503 and nothing is delivered [UCX_WEBHOOKS]")
	attempts, err := strconv.Atoi(envOr("UCX_WEBHOOK_MAX_ATTEMPTS", strconv.Itoa(webhooks.DefaultMaxAttempts)))
	if err != nil {
		return fmt.Errorf("UCX_WEBHOOK_MAX_ATTEMPTS: %w", err)
	}
	fs.IntVar(&c.WebhookAttempts, "webhook-max-attempts", attempts, "failed delivery attempts after which a change becomes a dead letter [UCX_WEBHOOK_MAX_ATTEMPTS]")
	for _, d := range []struct {
		v         *time.Duration
		name, env string
		def       time.Duration
		usage     string
	}{
		{&c.WebhookBackoff, "webhook-backoff", "UCX_WEBHOOK_BACKOFF", webhooks.DefaultBackoffBase, "wait after a delivery's first failed attempt, doubled after each further one, with jitter [UCX_WEBHOOK_BACKOFF]"},
		{&c.WebhookBackoffMx, "webhook-backoff-max", "UCX_WEBHOOK_BACKOFF_MAX", webhooks.DefaultBackoffMax, "longest wait between two attempts of a delivery [UCX_WEBHOOK_BACKOFF_MAX]"},
		{&c.WebhookTimeout, "webhook-timeout", "UCX_WEBHOOK_TIMEOUT", webhooks.DefaultTimeout, "bound of one delivery attempt [UCX_WEBHOOK_TIMEOUT]"},
	} {
		v, err := time.ParseDuration(envOr(d.env, d.def.String()))
		if err != nil {
			return fmt.Errorf("%s: %w", d.env, err)
		}
		fs.DurationVar(d.v, d.name, v, d.usage)
	}
	return nil
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
	log.Info("starting exportgw", "config", *cfg)

	var creditSeed *exporters.Seed // checked as a whole before anything is opened
	if cfg.CreditSeed != "" {
		data, err := os.ReadFile(cfg.CreditSeed)
		if err != nil {
			return fmt.Errorf("--credit-seed: %w", err)
		}
		if creditSeed, err = exporters.ParseSeed(data, credit.Table2026); err != nil {
			return fmt.Errorf("--credit-seed %s: %w", cfg.CreditSeed, err)
		}
	}

	store, closeStore, rdb, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	client, closeLedger, err := openLedger(cfg)
	if err != nil {
		return err
	}
	defer closeLedger()
	ledger := deadlines.Watch(client, store, log)
	agencies, err := embedded.LoadAgencies(fixtures.FS)
	if err != nil {
		return err
	}
	validator, err := schemas.New()
	if err != nil {
		return fmt.Errorf("compile schemas: %w", err)
	}
	engineCfg := compliance.DefaultConfig()
	engineCfg.ReportMaxAgeDays = cfg.ReportMaxAgeDays
	sources := agencySources(cfg, agencies, ledger, log)
	if cfg.SeedLicences {
		n, err := agencies.SeedLedger(ctx, ledger)
		if err != nil {
			return fmt.Errorf("seed licences: %w", err)
		}
		log.Info("fixture licences on the ledger", "issued", n)
	}
	var opts []filings.Option
	if cfg.Ledger == gateway.LedgerFabric {
		opts = append(opts, filings.WithAsyncAnchoring())
	}
	var lookups gateway.Lookups = sources
	if rdb != nil {
		lookups = rediscache.NewLookups(rdb, sources)
	}
	keys, err := loadInspectionKeys(cfg)
	if err != nil {
		return err
	}
	credits := exporters.New(ledger, sources.Exporters).WithLogger(log)
	if cfg.CreditCalendar != "" {
		data, err := os.ReadFile(cfg.CreditCalendar)
		if err != nil {
			return err
		}
		cal, err := credit.ParseCalendar(data)
		if err != nil {
			return fmt.Errorf("--credit-calendar: %w", err)
		}
		credits.WithCalendar(cal)
	}
	reportKey, err := loadCreditReportKey(cfg)
	if err != nil {
		return err
	}
	if cfg.CreditReportKey == "" && cfg.RedisURL != "" {
		log.Warn("credit reports are signed with this replica's own key in --data-dir: give every replica sharing Redis the same --credit-report-key")
	}
	log.Info("credit report key", "keyId", reportKey.ID())
	verifier, err := loadTokenVerifier(cfg)
	if err != nil {
		return err
	}
	if cfg.TokenKey == "" && cfg.TokenKeys == "" && cfg.RedisURL != "" {
		log.Warn("tokens are verified with this replica's own key in --data-dir: give every replica sharing Redis the same --token-keys")
	}
	log.Info("token keys", "kids", verifier.KeyIDs())
	limiter, err := newLimiter(cfg, rdb, log)
	if err != nil {
		return err
	}
	if creditSeed != nil {
		res, err := credits.Seed(ctx, creditSeed)
		if err != nil {
			return err
		}
		log.Info("credit histories seeded", "file", cfg.CreditSeed, "exporters", res.Seeded, "skipped", res.Skipped, "events", res.Events)
	}
	opts = append(opts, filings.WithLookupTimeout(cfg.LookupTimeout), filings.WithLogger(log), filings.WithReportKeys(keys), filings.WithCredit(credits))
	svc := filings.New(store, ledger, lookups, validator, compliance.New(engineCfg), opts...)

	anchorCtx, stopAnchoring := context.WithCancel(context.Background())
	anchoring := make(chan struct{})
	go func() {
		defer close(anchoring)
		svc.RunAnchorer(anchorCtx, 2*time.Second)
	}()
	deadlinesDone := make(chan struct{})
	go func() {
		defer close(deadlinesDone)
		ledger.Run(anchorCtx, time.Minute)
	}()
	bonusesDone := make(chan struct{})
	go func() {
		defer close(bonusesDone)
		if cfg.CreditWorkerEvery > 0 {
			credits.RunWorker(anchorCtx, cfg.CreditWorkerEvery, approvedExporters(sources.Exporters))
		}
	}()
	defer func() { stopAnchoring(); <-anchoring; <-deadlinesDone; <-bonusesDone }()

	ready := func(ctx context.Context) error {
		if err := store.Ready(ctx); err != nil {
			return err
		}
		return ledger.Ready(ctx)
	}
	gradeRates, _ := parseGradeRates(cfg.GradeRates) // checked in parseConfig
	clearance := customs.New(store, ledger, sources.Licences, svc, validator, cfg.InspectionRate).WithCredit(credits, sources.Exporters, gradeRates)
	// The credit change feed is the ledger's (every credit write appends a change).
	var feed gateway.CreditFeed = ledger
	var hooks *webhooks.Service
	if cfg.Webhooks {
		q, closeQueue, err := openWebhookQueue(cfg, rdb)
		if err != nil {
			return err
		}
		defer closeQueue() // after the workers below have stopped (defers run last first)
		hooks = webhooks.NewService(q)
		stopHooks := startWebhooks(cfg, q, feed, log)
		defer stopHooks()
	}
	audit, closeAudit, err := openAuditLog(cfg, rdb)
	if err != nil {
		return err
	}
	defer closeAudit()
	if cfg.AuditAnchorEvery > 0 {
		stopAnchor := startAuditAnchoring(audit, ledger, cfg.AuditChainID, cfg.AuditAnchorEvery, log)
		defer stopAnchor() // before the audit log closes
	}
	origins, _ := httpapi.ParseOrigins(cfg.CORSOrigins) // checked in parseConfig
	api := httpapi.New(httpapi.Config{Filings: svc, Customs: clearance, Deadlines: ledger, Exporters: credits, Ledger: ledger, Logger: log, Ready: ready,
		CreditReports: creditreport.New(store, credits, reportKey), CreditFeed: feed, Webhooks: hooks, Audit: audit, AuditChainID: cfg.AuditChainID,
		Auth: verifier, ClientCertRoles: clientCertRoles(cfg), Limiter: limiter, CORSOrigins: origins, TrustedProxies: splitList(cfg.TrustedProxies)})
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	if cfg.TLSCert != "" {
		if srv.TLSConfig, err = httpapi.TLSConfig(cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "tls", srv.TLSConfig != nil, "mtls", cfg.TLSClientCA != "")
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
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

// startAuditAnchoring anchors the audit log's head on the ledger at start, every interval and
// once more when stopped; it returns the stop function. Failures are logged and retried.
func startAuditAnchoring(audit gateway.AuditLog, ledger gateway.Ledger, chainID string, every time.Duration, log *slog.Logger) func() {
	anchor := func(ctx context.Context) {
		a, err := gateway.AnchorAudit(ctx, audit, ledger, chainID)
		switch {
		case err != nil:
			log.Error("audit log head not anchored", "chainId", chainID, "err", err)
		case a != nil:
			log.Debug("audit log head anchored", "chainId", chainID, "seq", a.Seq)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			anchor(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer fcancel()
		anchor(fctx)
	}
}

// agencySources chooses each agency look-up: the HTTP client of the agency's system when its
// URL is configured, else the fixtures; licences may also come from the ledger.
func agencySources(cfg *config, agencies *embedded.Agencies, ledger gateway.LicenceSource, log *slog.Logger) filings.Sources {
	logBreaker := agencyhttp.WithStateChange(func(source, from, to string) {
		log.Warn("agency circuit breaker", "source", source, "from", from, "to", to)
	})
	src := filings.Sources{Police: agencies, Maintenance: agencies, Licences: agencies, Exporters: agencies, Destinations: agencies}
	if cfg.PoliceURL != "" {
		src.Police = police.New(cfg.PoliceURL, logBreaker)
	}
	if cfg.MaintenanceURL != "" {
		src.Maintenance = maintenance.New(cfg.MaintenanceURL, logBreaker)
	}
	if cfg.RegistryURL != "" {
		r := registry.New(cfg.RegistryURL, logBreaker)
		src.Exporters, src.Destinations = r, r
	}
	switch cfg.LicenceSource {
	case "http":
		src.Licences = licence.New(cfg.LicenceURL, logBreaker)
	case "ledger":
		src.Licences = ledger
	}
	return src
}

// loadInspectionKeys reads the registered agency keys: the configured file, or the fixtures'.
func loadInspectionKeys(cfg *config) (*inspection.Registry, error) {
	if cfg.InspectionKeys == "" {
		return inspection.LoadRegistry(fixtures.FS, "agencies/inspection-agency-keys.json")
	}
	dir, file := filepath.Split(cfg.InspectionKeys)
	if dir == "" {
		dir = "."
	}
	return inspection.LoadRegistry(os.DirFS(dir), file)
}

// loadCreditReportKey reads the key that signs credit reports: the configured file, which
// must exist, or the data directory's, created on first start.
func loadCreditReportKey(cfg *config) (*creditreport.Key, error) {
	if cfg.CreditReportKey != "" {
		return creditreport.LoadKey(cfg.CreditReportKey)
	}
	return creditreport.LoadOrCreateKey(filepath.Join(cfg.DataDir, creditreport.KeyFile))
}

// openStore opens the store of filings, documents and idempotency keys: Redis when a URL is
// configured (several gateway replicas can share it), else the embedded bbolt store.
func openStore(cfg *config) (gateway.Store, func(), *redis.Client, error) {
	if cfg.RedisURL == "" {
		st, err := embedded.Open(cfg.DataDir)
		if err != nil {
			return nil, nil, nil, err
		}
		return st, func() { st.Close() }, nil, nil
	}
	rdb, err := rediscache.NewClient(cfg.RedisURL)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--redis-url: %w", err)
	}
	return rediscache.NewStore(rdb), func() { rdb.Close() }, rdb, nil
}

// openLedger opens the configured ledger: the chaincode hosted in-process over the data
// directory, or a Fabric network through the Fabric Gateway client.
func openLedger(cfg *config) (*contract.Client, func(), error) {
	if cfg.Ledger == gateway.LedgerFabric {
		get, err := fabric.EnvLookup()
		if err != nil {
			return nil, nil, err
		}
		fcfg, err := fabric.ConfigFrom(get)
		if err != nil {
			return nil, nil, err
		}
		t, err := fabric.Dial(fcfg)
		if err != nil {
			return nil, nil, err
		}
		// Many vehicles' anchors share a transaction once 8 are in flight per organisation.
		return contract.New(t, contract.WithInflight(8)), func() { t.Close() }, nil
	}
	cc, err := chaincode.New()
	if err != nil {
		return nil, nil, fmt.Errorf("load chaincode: %w", err)
	}
	chain, err := embedded.OpenLedger(cfg.DataDir, cc)
	if err != nil {
		return nil, nil, fmt.Errorf("open embedded ledger: %w", err)
	}
	return contract.New(chain, contract.WithInflight(embedded.Inflight)), func() { chain.Close() }, nil
}

// openAuditLog opens the audit log of the store mode: in Redis next to the Redis store (every
// replica appends to one chain), else audit.db in the data directory.
func openAuditLog(cfg *config, rdb *redis.Client) (gateway.AuditLog, func(), error) {
	if rdb != nil {
		return rediscache.NewAuditLog(rdb), func() {}, nil
	}
	a, err := embedded.OpenAuditLog(cfg.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("open audit log: %w", err)
	}
	return a, func() { a.Close() }, nil
}

// openWebhookQueue opens the webhook queue of the store mode: Redis Streams next to the Redis
// store, else webhooks.db in the data directory. A delivery stays leased for twice the
// delivery timeout, and at least a minute.
func openWebhookQueue(cfg *config, rdb *redis.Client) (gateway.WebhookQueue, func(), error) {
	lease := max(time.Minute, 2*cfg.WebhookTimeout)
	if rdb != nil {
		return rediscache.NewWebhookQueue(rdb, rediscache.WithLease(lease)), func() {}, nil
	}
	q, err := embedded.OpenWebhookQueue(cfg.DataDir, lease)
	if err != nil {
		return nil, nil, fmt.Errorf("open webhook queue: %w", err)
	}
	return q, func() { q.Close() }, nil
}

// startWebhooks runs the pump from the ledger's credit change feed and the deliverer; the
// returned function stops both and waits for them (an attempt under way is finished and
// settled first).
func startWebhooks(cfg *config, q gateway.WebhookQueue, feed gateway.CreditFeed, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	deliverer := webhooks.NewDeliverer(q, webhooks.WithLogger(log), webhooks.WithMaxAttempts(cfg.WebhookAttempts),
		webhooks.WithBackoff(cfg.WebhookBackoff, cfg.WebhookBackoffMx), webhooks.WithTimeout(cfg.WebhookTimeout))
	var wg sync.WaitGroup
	pump := webhooks.NewPump(feed, q, webhooks.WithLogger(log), webhooks.WithWake(deliverer.Wake))
	wg.Add(2)
	go func() { defer wg.Done(); deliverer.Run(ctx) }()
	go func() { defer wg.Done(); pump.Run(ctx) }()
	return func() { cancel(); wg.Wait() }
}

// approvedExporters lists the USCCs of the registry's approved exporters (those B01 may be
// awarded to).
func approvedExporters(reg gateway.ExporterRegistry) func(context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		all, err := reg.Exporters(ctx)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, e := range all {
			if e.FilingStatus == gateway.ExporterApproved {
				out = append(out, e.USCC)
			}
		}
		return out, nil
	}
}

// parseGradeRates reads "A=0.05,B=0.1,C=0.3,D=1": a sampling rate (0..1) per credit grade.
func parseGradeRates(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, pair := range strings.Split(s, ",") {
		g, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || (g != "A" && g != "B" && g != "C" && g != "D") {
			return nil, fmt.Errorf("%q is not GRADE=RATE with GRADE one of A, B, C, D", pair)
		}
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("%q: the rate must be a number from 0 to 1", pair)
		}
		out[g] = r
	}
	return out, nil
}
