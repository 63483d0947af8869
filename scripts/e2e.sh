#!/usr/bin/env bash
# e2e.sh: browser end-to-end tests. The real frontend runs in headless Chromium (Debian's
# /usr/bin/chromium through playwright-core) against the real Go backend: the app built
# with -tags dev serves the UI it embeds (the same compressed assets a release ships)
# and the bindings on a local port (the window itself opens on a private Xvfb display),
# with a fresh KMSDESK_HOME, so the embedded local KMS starts empty. Arguments name the
# test files to run (default: all of frontend/e2e/), e.g.
# scripts/e2e.sh frontend/e2e/credentials.test.mjs
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.bin:$PATH"
source scripts/lib.sh
ART=$ROOT/build/test-artifacts
mkdir -p "$ART" build/bin

echo "==> e2e: building frontend and the dev-tagged app"
(cd frontend && npm run build --silent >/dev/null)
go build -tags dev,webkit2_41 -o build/bin/kmsdesk-dev .
# kmsctl serves a local KMS over HTTP for the expired-credentials test.
CGO_ENABLED=0 go build -o build/bin/kmsctl-e2e ./cmd/kmsctl

work=$(mktemp -d)
APP_PID="" XVFB_PID=""
cleanup() { stop "$APP_PID" "$XVFB_PID"; rm -rf "$work"; }
trap cleanup EXIT

start_xvfb
PORT=$(free_port)
mkdir -p "$work/dialogs"
KMSDESK_E2E_DIALOGS="$work/dialogs" KMSDESK_HOME="$work/home" ./build/bin/kmsdesk-dev -devserver "127.0.0.1:$PORT" -loglevel Warning \
  >"$ART/e2e-app.log" 2>&1 &
APP_PID=$!
wait_http "http://127.0.0.1:$PORT/" 90

echo "==> e2e: running Playwright tests"
# The API key the settings test types into the UI; no file the app writes may hold it.
export KMSDESK_E2E_SECRET_ID="AKIDe2eSCAN$(date +%s)x0123456789" KMSDESK_E2E_SECRET_KEY="e2eSecretKey$RANDOM$RANDOM-NeverOnDisk"
KMSDESK_E2E_DIALOGS="$work/dialogs" KMSDESK_E2E_URL="http://127.0.0.1:$PORT/" KMSDESK_E2E_ARTIFACTS="$ART" KMSDESK_E2E_WORK="$work" \
  KMSDESK_E2E_KMSCTL="$ROOT/build/bin/kmsctl-e2e" \
  timeout 600 node --test --test-concurrency=1 --test-reporter=spec "${@:-frontend/e2e/}"

echo "==> e2e: scanning the app's config, data and log files for the API key"
stop "$APP_PID"
APP_PID="" # stopped: its files are flushed and closed
found=$(grep -rlaF -e "$KMSDESK_E2E_SECRET_KEY" -e "$KMSDESK_E2E_SECRET_ID" "$work/home" || true)
[ -z "$found" ] || { echo "the API key was written to: $found" >&2; exit 1; }
echo "    $(find "$work/home" -type f | wc -l) files under KMSDESK_HOME; none holds the SecretKey or the full SecretId"
