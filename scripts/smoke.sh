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
APP_PID="" XVFB_PID="" SRV_PID="" DRAG_PID=""
cleanup() { stop "$APP_PID" "$SRV_PID" "$DRAG_PID" "$XVFB_PID"; rm -rf "$work"; }
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

# focus_app: gives the window the keyboard. No window manager runs under Xvfb, so focus
# it and click a neutral spot (the header); keys then go through XTEST (GTK ignores
# synthetic key events sent to a window).
focus_app() {
  local wid
  wid=$(xdotool search --onlyvisible --name '^KMS Desk$' | head -1)
  [ -n "$wid" ] || { echo "no visible KMS Desk window" >&2; return 1; }
  xdotool windowfocus --sync "$wid" 2>/dev/null || true
  xdotool mousemove --window "$wid" 600 20 click 1
}

# quit_app: Ctrl+Q in the window; the process must exit with status 0.
quit_app() {
  local rc=0
  focus_app
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
echo "==> smoke: drop two files on the real window (GTK drag source + xdotool)"
key=$("$CTL" --profile local --json keys describe contracts | python3 -c 'import json,sys; print(json.load(sys.stdin)["keyId"])')
printf '{"lastKeyId": "%s"}\n' "$key" >"$KMSDESK_HOME/settings.json" # the key the Files view preselects
drop=$work/drop
mkdir -p "$drop"
head -c 300000 /dev/urandom >"$drop/photo one.jpg"
printf 'quarterly numbers\n' >"$drop/report.csv"
launch
/usr/bin/python3 scripts/dragsource.py "$drop/photo one.jpg" "$drop/report.csv" >"$work/drag.log" 2>&1 &
DRAG_PID=$!
for _ in $(seq 1 50); do xdotool search --onlyvisible --name kmsdesk-drag-source >/dev/null 2>&1 && break; sleep 0.1; done
src=$(xdotool search --onlyvisible --name kmsdesk-drag-source | head -1)
dst=$(xdotool search --onlyvisible --name '^KMS Desk$' | head -1)
eval "$(xdotool getwindowgeometry --shell "$src")"; sx=$((X + 80)) sy=$((Y + 40))
eval "$(xdotool getwindowgeometry --shell "$dst")"; tx=$((X + WIDTH / 2)) ty=$((Y + HEIGHT / 2))
xdotool mousemove "$sx" "$sy" mousedown 1
for i in $(seq 1 20); do xdotool mousemove $((sx + (tx - sx) * i / 20)) $((sy + (ty - sy) * i / 20)); sleep 0.05; done
sleep 0.3
xdotool mouseup 1
for _ in $(seq 1 50); do grep -q 'msg="files dropped" count=2' "$LOG" && break; sleep 0.1; done
grep -q 'msg="files dropped" count=2' "$LOG" || { echo "the window did not receive the drop" >&2; cat "$work/drag.log" >&2; exit 1; }
stop "$DRAG_PID"
sleep 1.5 # the Files view classifies the dropped items
focus_app
xdotool key ctrl+Return # start: encrypt the dropped files with the preselected key
for _ in $(seq 1 150); do
  [ -f "$drop/photo one.jpg.kmsenc" ] && [ -f "$drop/report.csv.kmsenc" ] && break
  sleep 0.1
done
sleep 0.5
import -window root "$ART/smoke-drop.png"
[ -f "$drop/photo one.jpg.kmsenc" ] && [ -f "$drop/report.csv.kmsenc" ] ||
  { echo "the dropped files were not encrypted" >&2; ls -la "$drop" >&2; exit 1; }
quit_app
ls "$drop"/*.partial 2>/dev/null && { echo "partial files left" >&2; exit 1; }
"$CTL" --profile local decrypt -o "$work/out" "$drop/photo one.jpg.kmsenc" "$drop/report.csv.kmsenc" >/dev/null
cmp "$drop/photo one.jpg" "$work/out/photo one.jpg" && cmp "$drop/report.csv" "$work/out/report.csv"
echo "    dropped files encrypted by the app and decrypted by kmsctl: identical ($ART/smoke-drop.png)"

size=$(stat -c %s "$APP")
echo "    binary size: $size bytes ($((size / 1024 / 1024)) MiB)"
echo "==> smoke: passed"
