# UCX — used-car export compliance gateway. `make` lists the targets.

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= ./data
PKGS := ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@echo "UCX export compliance gateway"
	@echo
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: run
run: ## run the gateway on embedded defaults (ADDR, DATA_DIR)
	$(GO) run ./cmd/exportgw --addr $(ADDR) --data-dir $(DATA_DIR)

.PHONY: build
build: ## build the binaries into ./bin
	$(GO) build -o bin/ ./cmd/...

.PHONY: lint
lint: ## gofmt and go vet; any finding fails
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

.PHONY: test
test: lint ## lint, every test (-race -shuffle=on), then a short fuzz of every parser
	$(GO) test -race -shuffle=on -count=1 $(PKGS)
	bash scripts/fuzz-smoke.sh

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME (default 30s) each
	FUZZTIME=$${FUZZTIME:-30s} bash scripts/fuzz-smoke.sh

.PHONY: bench
bench: ## benchmarks, reported as ratios from one run
	bash scripts/bench.sh
