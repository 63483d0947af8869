#!/usr/bin/env bash
# smoke.sh: starts the real desktop binary (build/bin/kmsdesk) under Xvfb on a fresh
# KMSDESK_HOME whose embedded local KMS was seeded by kmsctl, waits for the key list to be
# drawn, screenshots the window into build/test-artifacts/, checks the picture is not
# blank, measures the startup time (median of 5 runs) and checks a clean exit on Ctrl+Q.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/lib.sh
ART=$ROOT/build/test-artifacts
mkdir -p "$ART"
APP=$ROOT/build/bin/kmsdesk
CTL=$ROOT/build/bin/kmsctl
[ -x "$APP" ] && [ -x "$CTL" ] || { echo "build first: make build kmsctl" >&2; exit 1; }

work=$(mktemp -d)
APP_PID="" XVFB_PID="" SRV_PID=""
cleanup() { stop "$APP_PID" "$SRV_PID" "$XVFB_PID"; rm -rf "$work"; }
trap cleanup EXIT
export KMSDESK_HOME=$work/home

echo "==> smoke: seeding the local KMS with kmsctl"
"$CTL" local serve --listen 127.0.0.1:0 --data "$KMSDESK_HOME/localkms" --seed testdata/demo-seed.yaml >"$work/serve.out" 2>"$work/serve.err" &
SRV_PID=$!
for _ in $(seq 1 100); do grep -q 'http://127.0.0.1:' "$work/serve.out" && break; sleep 0.1; done
grep -q 'http://127.0.0.1:' "$work/serve.out" || { cat "$work/serve.err"; exit 1; }
stop "$SRV_PID"; SRV_PID=""

start_xvfb
LOG=$KMSDESK_HOME/logs/kmsdesk.log

# launch: starts the app and waits for "ui ready" in its log; sets LAUNCH_MS to the
# sinceStartMs it logged and APP_PID.
launch() {
  : >"$work/app.out"
  [ -f "$LOG" ] && : >"$LOG"
  "$APP" >"$work/app.out" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 300); do
    if grep -q 'msg="ui ready"' "$LOG" 2>/dev/null; then
      LAUNCH_MS=$(grep 'msg="ui ready"' "$LOG" | tail -1 | sed -E 's/.*sinceStartMs=([0-9]+).*/\1/')
      return 0
    fi
    kill -0 "$APP_PID" 2>/dev/null || { echo "the app exited early:" >&2; cat "$work/app.out" >&2; return 1; }
    sleep 0.05
  done
  echo "timed out waiting for the key list" >&2
  cat "$work/app.out" >&2
  return 1
}

# quit_app: Ctrl+Q in the window; the process must exit with status 0.
quit_app() {
  local wid rc=0
  # No window manager runs under Xvfb: focus the window and type through XTEST
  # (GTK ignores synthetic key events sent to a window).
  wid=$(xdotool search --onlyvisible --name '^KMS Desk$' | head -1)
  [ -n "$wid" ] || { echo "no visible KMS Desk window" >&2; return 1; }
  xdotool windowfocus --sync "$wid" 2>/dev/null || true
  xdotool mousemove --window "$wid" 600 20 click 1
  xdotool key ctrl+q
  for _ in $(seq 1 100); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$APP_PID" 2>/dev/null; then echo "the app did not exit on Ctrl+Q" >&2; return 1; fi
  wait "$APP_PID" || rc=$?
  APP_PID=""
  [ "$rc" = 0 ] || { echo "the app exited with status $rc" >&2; cat "$work/app.out" >&2; return 1; }
}

echo "==> smoke: first start (window, key list, screenshot)"
launch
first=$LAUNCH_MS
sleep 0.5
xdotool search --onlyvisible --name '^KMS Desk$' >/dev/null || { echo "no window titled 'KMS Desk'" >&2; exit 1; }
import -window root "$ART/smoke-window.png"
colors=$(convert "$ART/smoke-window.png" -format '%k' info:)
stddev=$(convert "$ART/smoke-window.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
echo "    screenshot: $ART/smoke-window.png ($colors colours, grey stddev $stddev)"
python3 -c "import sys; sys.exit(0 if int('$colors') > 50 and float('$stddev') > 0.05 else 1)" ||
  { echo "the window looks blank" >&2; exit 1; }
grep -q 'msg="ui ready" view=keys' "$LOG"
quit_app
echo "    clean exit on Ctrl+Q: ok"

echo "==> smoke: startup time, 5 runs"
times=("$first")
for i in 2 3 4 5; do
  launch
  times+=("$LAUNCH_MS")
  quit_app
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
echo "    startup to key list drawn (ms): ${times[*]} → median $median"
echo "$median" >"$ART/startup-median-ms.txt"
size=$(stat -c %s "$APP")
echo "    binary size: $size bytes ($((size / 1024 / 1024)) MiB)"
echo "==> smoke: passed"
