#!/usr/bin/env bash
# check-bindings.sh: regenerates the TypeScript side of the Go↔UI contract —
# frontend/wailsjs (Wails: bound methods, models, enums) and frontend/src/api/events.gen.ts
# (the event names and payload types, from backend/service/events.go) — and fails if
# the committed copies differ. They are committed so the frontend type-checks without
# Go, and contract changes show up in review.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.bin:$PATH"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r frontend/wailsjs "$tmp/before"
cp frontend/src/api/events.gen.ts "$tmp/events.gen.ts"
scripts/bindings.sh >/dev/null
rc=0
diff -r "$tmp/before" frontend/wailsjs >"$tmp/diff" || rc=1
diff "$tmp/events.gen.ts" frontend/src/api/events.gen.ts >>"$tmp/diff" || rc=1
if [ $rc != 0 ]; then
  cat "$tmp/diff"
  echo "the generated TypeScript is out of date: run 'make bindings' and commit the result" >&2
  rm -rf frontend/wailsjs && cp -r "$tmp/before" frontend/wailsjs
  cp "$tmp/events.gen.ts" frontend/src/api/events.gen.ts
  exit 1
fi
echo "==> bindings up to date"
