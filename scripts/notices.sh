#!/usr/bin/env bash
# notices.sh [--check]: regenerates the third-party notices (`make notices`), or with
# --check fails if they are stale or a shipped dependency has none (`make check-notices`):
#   frontend/src/notices.gen.json  the list and texts Settings → About shows
#   THIRD_PARTY_NOTICES.txt        the same as plain text, installed beside the app
# The npm side comes from a Vite build into a scratch folder (rollup-plugin-license lists
# what the bundle includes); the Go side from `go list -deps` of every shipped build
# (scripts/notices, which names licenses with github.com/google/licenseclassifier/v2); the
# Go standard library, NSIS (makensis and its Debian copyright file: install nsis) and the
# WebView2 bootstrapper the Windows installer carries are listed too.
# --check also runs the tool's own tests.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
check=()
case "${1:-}" in
  --check) check=(-check) ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd frontend && KMSDESK_NOTICES_NPM="$tmp/npm.json" npx vite build --outDir "$tmp/dist" --emptyOutDir --logLevel warn) ||
  { echo "notices: the frontend build failed" >&2; exit 1; }
if [ ${#check[@]} -gt 0 ]; then
  (cd scripts/notices && go test -count=1 . >/dev/null) || { echo "notices: the tests of scripts/notices failed" >&2; exit 1; }
fi
(cd scripts/notices && go run . -root "$ROOT" -npm "$tmp/npm.json" "${check[@]}")
