#!/usr/bin/env bash
# bindings.sh: generates the TypeScript side of the Go↔UI contract from backend/service:
# frontend/wailsjs (Wails) and then frontend/src/api/events.gen.ts (from the event table,
# naming the payload types of the models Wails just wrote).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.bin:$PATH"
wails generate module -tags webkit2_41
chmod 644 frontend/wailsjs/runtime/* # generate writes 0755, build 0644; the tree keeps 0644
go generate ./backend/service
