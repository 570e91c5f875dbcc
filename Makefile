# UCX — used-car export compliance gateway. `make` lists the targets.

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= ./data
# Credit histories recorded at start (every grade); CREDIT_SEED= starts without them.
CREDIT_SEED ?= fixtures/credit/histories.json
PKGS := ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@echo "UCX export compliance gateway"
	@echo
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: run
run: ## print a demo token per role, then run the gateway on embedded defaults, fixture credit histories seeded (ADDR, DATA_DIR, CREDIT_SEED)
	bash scripts/demo-tokens.sh $(DATA_DIR)
	$(GO) run ./cmd/exportgw --addr $(ADDR) --data-dir $(DATA_DIR) --credit-seed=$(CREDIT_SEED)

.PHONY: run-stack
run-stack: ## production-like on loopback: redis-server + agencysim + the gateway using both
	bash scripts/run-stack.sh

.PHONY: build
build: ## build the binaries into ./bin
	$(GO) build -o bin/ ./cmd/...

.PHONY: lint
lint: ## gofmt and go vet; any finding fails
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

.PHONY: test
test: lint ## lint, every test (-race -shuffle=on), the integration tests on a real Fabric network, a short fuzz
	$(GO) test -race -shuffle=on -count=1 $(PKGS)
	bash scripts/integration.sh
	bash scripts/fuzz-smoke.sh

.PHONY: test-integration
test-integration: ## only the integration tests: starts a Fabric network, runs them, stops it
	bash scripts/integration.sh

.PHONY: fabric-up
fabric-up: ## start the local 3-org Fabric network and deploy the chaincode (cmd/exportcc)
	bash deploy/fabric/scripts/network-up.sh
	bash deploy/fabric/scripts/deploy-cc.sh

.PHONY: fabric-down
fabric-down: ## stop the local Fabric network (safe to repeat)
	bash deploy/fabric/scripts/network-down.sh

.PHONY: run-fabric
run-fabric: ## the gateway on the local Fabric network (after make fabric-up), demo tokens printed first
	bash scripts/demo-tokens.sh $(DATA_DIR)-fabric
	UCX_FABRIC_CONNECTION=$(CURDIR)/deploy/fabric/run/connection.env $(GO) run ./cmd/exportgw --addr $(ADDR) --data-dir $(DATA_DIR)-fabric --ledger fabric

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME (default 30s) each
	FUZZTIME=$${FUZZTIME:-30s} bash scripts/fuzz-smoke.sh

.PHONY: bench
bench: ## benchmarks, reported as ratios from one run
	bash scripts/bench.sh
