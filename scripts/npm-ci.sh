#!/usr/bin/env bash
# npm-ci.sh: `npm ci` in frontend/ only when package-lock.json changed since the last
# install (a stamp in node_modules remembers it). Used by scripts/install-deps.sh and as
# wails.json's "frontend:install", so `wails build` does not reinstall what is current.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
stamp=node_modules/.kmsdesk-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> npm ci (frontend)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
