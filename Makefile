# Kaiconn Consent. `make run` serves everything on http://localhost:8080;
# `make test` runs every test, browser tests included, installing what they
# need when it is missing.

GO        ?= go
# ADDR overrides the listen address (else KAICONN_ADDR, else localhost:8080).
ADDR      ?=
WASM_EXEC := $(shell $(GO) env GOROOT)/lib/wasm/wasm_exec.js
FUZZTIME  ?= 10s

.PHONY: run wasm generate deps test test-short fuzz vet bench clean

run: wasm
	$(GO) run ./app $(if $(ADDR),-addr $(ADDR))

# The wasm only enhances server-rendered pages; it is built here, not
# committed, and served precompressed when the client accepts it.
wasm: web/app.wasm.br web/app.wasm.gz web/wasm_exec.js

GO_SOURCES := $(shell find . -name '*.go' -not -path './e2e/*' -not -name '*_test.go') go.mod go.sum $(wildcard locales/*/*)

web/app.wasm: $(GO_SOURCES)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $@ ./app

web/app.wasm.gz: web/app.wasm
	gzip -9 -k -f $<

web/app.wasm.br: web/app.wasm
	$(GO) run ./cmd/precompress $<

web/wasm_exec.js: $(WASM_EXEC)
	cp $< $@

generate:
	$(GO) tool templ generate -path .

# deps installs what the tests need and a new machine lacks: Debian's
# chromium for the browser tests and PostgreSQL for the store contract tests.
deps:
	@need=""; \
	command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	command -v node >/dev/null 2>&1 || need="$$need nodejs npm"; \
	if [ -n "$$need" ]; then \
		echo "installing:$$need"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	fi

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

test: deps vet
	CI=$${CI:-} $(GO) test -count=1 -timeout 15m ./...
	$(MAKE) fuzz

test-short: vet
	$(GO) test -short ./...

# A short run of each fuzz target (package:Func); longer runs:
# make fuzz FUZZTIME=5m.
FUZZ_TARGETS ?= ./receipt:FuzzDecode ./policy:FuzzParse ./server:FuzzParseConsentCookie

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; echo "fuzz $$pkg $$fn"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

clean:
	rm -f web/app.wasm web/app.wasm.gz web/app.wasm.br web/wasm_exec.js
