# The SCIM provisioning system of CRA Evidence. `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Every Go module of the workspace; the code generators live apart in tools/.
PACKAGES := ./api/... ./pkg/... ./services/provisioning/... ./services/scim-gateway/... ./e2e/...
BIN := bin
# buf and its plugins run from tools/, outside the workspace, so their many
# dependencies never enter the services' build.
BUF := cd tools && GOWORK=off go tool buf

.PHONY: help
help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: run
run: build ## Start both services on embedded SQLite and print how to use them.
	@deploy/local/run.sh

.PHONY: build
build: ## Build both services into bin/.
	go build -o $(BIN)/provisioning ./services/provisioning/cmd/provisioning
	go build -o $(BIN)/scim-gateway ./services/scim-gateway/cmd/scim-gateway

# TESTFLAGS adds flags to go test, such as -race (CI) or -run=Name.
TESTFLAGS ?=
.PHONY: test
test: build ## Run every test (Postgres tests need TEST_DATABASE_URL).
	@if [ -z "$$TEST_DATABASE_URL" ]; then \
		echo "TEST_DATABASE_URL is unset: the Postgres tests will be skipped."; fi
	go test -count=1 $(TESTFLAGS) $(PACKAGES)

.PHONY: bench
bench: ## Run the benchmarks (Postgres ones need TEST_DATABASE_URL).
	@if [ -z "$$TEST_DATABASE_URL" ]; then \
		echo "TEST_DATABASE_URL is unset: the Postgres benchmarks will be skipped."; fi
	go test -run='^$$' -bench=. -benchmem -count=1 $(PACKAGES)

# FUZZTIME is a duration (20s) or a number of executions (300000x); CI uses a
# count, since a duration can end in a spurious failure on Go 1.26.
FUZZTIME ?= 20s
.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 20s).
	@set -e; for target in $$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' services pkg \
		| sed 's/func //' | sort -u); do \
		dir=$$(grep -rlE "^func $$target\(" --include='*_test.go' services pkg | xargs dirname); \
		echo "fuzz $$target in $$dir for $(FUZZTIME)"; \
		go test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) ./$$dir; \
	done

.PHONY: generate
generate: ## Regenerate the Go, gRPC, grpc-gateway and OpenAPI code from api/proto.
	rm -rf api/gen api/openapi/*.swagger.json
	$(BUF) generate .. --template ../buf.gen.yaml -o ..

.PHONY: generate-check
generate-check: generate ## Fail when the committed generated code is stale.
	@git diff --exit-code --stat -- api/gen api/openapi || \
		(echo "generated code is stale: run make generate and commit it" && exit 1)
	@test -z "$$(git status --porcelain -- api/gen api/openapi)" || \
		(echo "make generate created files that are not committed" && exit 1)

.PHONY: lint
lint: vet buf-lint architecture ## Run go vet, gofmt, buf lint and the dependency rule check.

.PHONY: vet
vet:
	go vet $(PACKAGES)
	@unformatted=$$(gofmt -l api/gen pkg services e2e | grep -v '\.pb\.' || true); \
		if [ -n "$$unformatted" ]; then echo "gofmt: $$unformatted"; exit 1; fi

.PHONY: buf-lint
buf-lint:
	$(BUF) lint ..

.PHONY: buf-breaking
buf-breaking: ## Compare the protobuf API with main.
	$(BUF) breaking .. --against '../.git#branch=main'

.PHONY: architecture
architecture: ## Fail when the domain or application layer imports an adapter or framework.
	@deploy/local/check-architecture.sh

.PHONY: clean
clean: ## Remove build output (not the local data directory).
	rm -rf $(BIN)
