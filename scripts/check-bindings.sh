#!/usr/bin/env bash
# check-bindings.sh: regenerates frontend/wailsjs from the Go code and fails if the
# committed copy differs (the bindings are committed so the frontend type-checks
# without Go, and API changes show up in review).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.bin:$PATH"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r frontend/wailsjs "$tmp/before"
wails generate module -tags webkit2_41 >/dev/null
chmod 644 frontend/wailsjs/runtime/* # generate writes 0755, build 0644; the tree keeps 0644
if ! diff -r "$tmp/before" frontend/wailsjs >"$tmp/diff"; then
  cat "$tmp/diff"
  echo "frontend/wailsjs is out of date: run 'make bindings' and commit the result" >&2
  rm -rf frontend/wailsjs && cp -r "$tmp/before" frontend/wailsjs
  exit 1
fi
echo "==> bindings up to date"
