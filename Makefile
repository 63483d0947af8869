# KMS Desk. The two commands a new user needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
ROOT := $(abspath .)
export PATH := $(ROOT)/.bin:$(PATH)
export GOFLAGS ?= -mod=readonly

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
TAGS := webkit2_41
APP := build/bin/kmsdesk

.PHONY: help run deps build dev frontend test test-go test-fuzz test-frontend test-keychain test-windows e2e smoke lint bindings check-bindings notices check-notices kmsctl package bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

run: deps build ## install what is missing, build, and start the app on the embedded local KMS
	./$(APP)

deps: ## install build dependencies that are missing (apt, Wails CLI, npm packages)
	scripts/install-deps.sh build

build: ## build the desktop app into build/bin/kmsdesk
	wails build -m -skipbindings -trimpath -nocolour -tags $(TAGS) -ldflags "$(LDFLAGS)" -o kmsdesk
	@ls -l $(APP)

dev: deps ## run the app with live reload of the frontend (wails dev)
	wails dev -m -skipbindings -nocolour -tags $(TAGS)

kmsctl: ## build the CLI into build/bin/kmsctl (pure Go, CGO_ENABLED=0)
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o build/bin/kmsctl ./cmd/kmsctl

# The tiers of `make test`, in order.
TIERS := lint check-bindings check-notices test-go test-fuzz test-frontend test-keychain test-windows e2e smoke package-test

test: ## run every test tier: lint, notices, Go (race), fuzz, frontend, keychain, Windows (Wine), browser e2e, Xvfb smoke, packages; prints each tier's time and the total
	@start=$$(date +%s); times=""; \
	for tier in install-deps $(TIERS); do \
	  t0=$$(date +%s); \
	  if [ $$tier = install-deps ]; then cmd="scripts/install-deps.sh all"; else cmd="$(MAKE) $$tier"; fi; \
	  echo "$$cmd"; \
	  $$cmd || { echo "==> make test: $$tier failed after $$(($$(date +%s) - t0)) s ($$(($$(date +%s) - start)) s in all)"; exit 1; }; \
	  times="$$times, $$tier $$(($$(date +%s) - t0)) s"; \
	done; \
	echo "==> make test: all tiers passed in $$(($$(date +%s) - start)) s ($${times#, })"

test-go: frontend ## Go unit and integration tests with the race detector, and the independent check of the golden vectors
	scripts/go-test.sh
	/usr/bin/python3 testdata/envelope/verify_vectors.py

frontend: ## build the frontend into frontend/dist if it has no build yet (the Go binary embeds it)
	@test -f frontend/dist/index.html || (cd frontend && npm run build)

# Every fuzz target runs for FUZZTIME in `make test` (about 30 targets; CI's budget is 25
# minutes for every tier); longer hunts: make test-fuzz FUZZTIME=10m.
FUZZTIME ?= 5s

test-fuzz: ## short runs of every fuzz target (FUZZTIME each, 5s by default)
	scripts/fuzz.sh $(FUZZTIME)

test-frontend: ## frontend type-check and Vitest unit tests
	cd frontend && npm run typecheck && npx vitest run

test-keychain: ## credential tests against a real gnome-keyring in a private D-Bus session
	scripts/test-keychain.sh

test-windows: frontend ## the Windows tier under Wine: Go tests, kmsctl.exe, installer, Explorer verbs, WebView2 message
	scripts/test-windows.sh

e2e: ## browser end-to-end tests: headless Chromium drives the real UI on the real Go backend
	scripts/e2e.sh

smoke: build kmsctl ## start the real window under Xvfb, screenshot it, drop files on it
	scripts/smoke.sh

lint: ## gofmt, go mod tidy, go vet (linux/windows/darwin), staticcheck, vue-tsc, ESLint
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	GOFLAGS= go mod tidy -diff
	go vet ./...
	GOOS=windows go vet ./backend/... ./cmd/...
	GOOS=darwin go vet ./backend/... ./cmd/...
	staticcheck ./...
	cd scripts/notices && go vet ./... && staticcheck ./...
	cd frontend && npm run typecheck && npx eslint .

bindings: ## regenerate the TypeScript contract (frontend/wailsjs, src/api/events.gen.ts) from backend/service
	scripts/bindings.sh

check-bindings: ## fail if the generated TypeScript contract is out of date with the Go code
	scripts/check-bindings.sh

notices: ## regenerate the third-party notices (frontend/src/notices.gen.json, THIRD_PARTY_NOTICES.txt) from what ships
	scripts/notices.sh

check-notices: ## fail if a shipped Go module, npm package or other component (Go runtime, NSIS, WebView2 bootstrapper) has no notice, or the notices are stale
	scripts/notices.sh --check

package: ## build installers and binaries into dist/ (see docs/INSTALL.md)
	scripts/package.sh $(VERSION)

.PHONY: package-test package-macos
package-test: ## build the packages, then test them end to end (installs the .deb; signs with a test certificate)
	scripts/test-package.sh $(VERSION)

package-macos: ## on a Mac: build, sign, notarize and staple KMS Desk.app and a DMG into dist/
	scripts/package-macos.sh $(VERSION)

bench: ## benchmarks: local KMS throughput, file encryption vs cp
	scripts/bench.sh

clean: ## remove build outputs
	rm -rf build/bin build/test-artifacts dist frontend/dist/assets frontend/dist/index.html
