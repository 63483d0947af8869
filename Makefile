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

.PHONY: help run deps build dev test test-go test-fuzz test-frontend test-keychain e2e smoke lint bindings check-bindings kmsctl package bench clean

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

test: ## run every test tier: lint, Go (race), fuzz, frontend, keychain, browser e2e, Xvfb smoke, packages
	scripts/install-deps.sh all
	$(MAKE) lint
	$(MAKE) check-bindings
	$(MAKE) test-go
	$(MAKE) test-fuzz
	$(MAKE) test-frontend
	$(MAKE) test-keychain
	$(MAKE) e2e
	$(MAKE) smoke
	$(MAKE) package-test
	@echo "==> make test: all tiers passed"

test-go: ## Go unit and integration tests with the race detector (no display, no tags)
	scripts/go-test.sh

test-fuzz: ## short runs of every fuzz target
	scripts/fuzz.sh 10s

test-frontend: ## frontend type-check and Vitest unit tests
	cd frontend && npm run typecheck && npx vitest run

test-keychain: ## credential tests against a real gnome-keyring in a private D-Bus session
	scripts/test-keychain.sh

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
	cd frontend && npm run typecheck && npx eslint .

bindings: ## regenerate frontend/wailsjs from the Go services
	wails generate module -tags $(TAGS)
	chmod 644 frontend/wailsjs/runtime/*

check-bindings: ## fail if frontend/wailsjs is out of date with the Go code
	scripts/check-bindings.sh

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
