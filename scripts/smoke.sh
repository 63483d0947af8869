#!/usr/bin/env bash
# smoke.sh: starts the real desktop binary (build/bin/kmsdesk) under Xvfb on a fresh
# KMSDESK_HOME whose embedded local KMS was seeded by kmsctl, waits for the key list to be
# drawn, screenshots the window into build/test-artifacts/, checks the picture is not
# blank, measures the startup time (median of 5 runs, with the time each phase took) and
# fails when it is over the budget, checks a clean exit on Ctrl+Q, and drops two files on
# the window that must come out encrypted.
#
# It synchronises on conditions only: lines of the app's log (the app runs with
# KMSDESK_LOG_LEVEL=debug), files, windows and what the drag source prints.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/lib.sh
ART=$ROOT/build/test-artifacts
mkdir -p "$ART"
APP=$ROOT/build/bin/kmsdesk
CTL=$ROOT/build/bin/kmsctl
SEED=testdata/demo-seed.yaml
[ -x "$APP" ] && [ -x "$CTL" ] || { echo "build first: make build kmsctl" >&2; exit 1; }

# The startup time: the median of 5 starts, from the process start to the key list
# painted ("ui ready" in the log). Its goal is TARGET_MS (issue 15), which is not met: a
# bare WebKitGTK window that paints a one-line page (scripts/webview-baseline.py, the
# floor under any WebKitGTK app) already takes about 510 ms on the 2-core machine it was
# last measured on, and what it takes depends on the machine. What fails the tier is what the app adds to that
# floor, measured in the same run: its median may be at most MAX_RATIO times the floor's
# (2.2 times on a quiet machine, 2.7 under a load of 2.4), so a slower machine slows both and a regression only the app.
# A burst of work from a parallel job can slow a few starts in a row; a regression slows
# every start. So when the ratio is over, both are measured once more, and only a second
# ratio over the limit fails.
TARGET_MS=400
MAX_RATIO=${KMSDESK_STARTUP_MAX_RATIO:-3.5}

work=$(mktemp -d)
APP_PID="" XVFB_PID="" BUS_PID="" SRV_PID="" DRAG_PID=""
cleanup() { stop "$APP_PID" "$SRV_PID" "$DRAG_PID" "$XVFB_PID" "$BUS_PID"; rm -rf "$work"; }
trap cleanup EXIT
export KMSDESK_HOME=$work/home KMSDESK_LOG_LEVEL=debug
# A bus of its own, before kmsctl runs: nothing reaches the desktop's (lib.sh).
start_session_bus

echo "==> smoke: seeding the local KMS with kmsctl"
"$CTL" local serve --listen 127.0.0.1:0 --data "$KMSDESK_HOME/localkms" --seed "$SEED" >"$work/serve.out" 2>"$work/serve.err" &
SRV_PID=$!
for _ in $(seq 1 100); do grep -q 'http://127.0.0.1:' "$work/serve.out" && break; sleep 0.1; done
grep -q 'http://127.0.0.1:' "$work/serve.out" || { cat "$work/serve.err"; exit 1; }
stop "$SRV_PID"; SRV_PID=""
seeded=$(grep -c '^  - alias:' "$SEED")

start_xvfb
LOG=$KMSDESK_HOME/logs/kmsdesk.log

# launch: starts the app and waits for "ui ready" in its log; sets LAUNCH_MS to the
# sinceStartMs it logged and APP_PID. The log of each launch is kept as $work/launch-N.log.
launches=0
launch() {
  : >"$work/app.out"
  [ -f "$LOG" ] && : >"$LOG"
  "$APP" >"$work/app.out" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 600); do
    if grep -q 'msg="ui ready"' "$LOG" 2>/dev/null; then
      LAUNCH_MS=$(grep 'msg="ui ready"' "$LOG" | tail -1 | sed -E 's/.*sinceStartMs=([0-9]+).*/\1/')
      launches=$((launches + 1))
      cp "$LOG" "$work/launch-$launches.log"
      return 0
    fi
    kill -0 "$APP_PID" 2>/dev/null || { echo "the app exited early:" >&2; cat "$work/app.out" >&2; return 1; }
    sleep 0.05
  done
  echo "timed out waiting for the key list" >&2
  cat "$work/app.out" >&2
  return 1
}

# wait_log PATTERN [SECONDS]: waits until the app's log has a line matching PATTERN.
wait_log() {
  local i
  for i in $(seq 1 $((${2:-10} * 20))); do
    grep -qE "$1" "$LOG" 2>/dev/null && return 0
    kill -0 "$APP_PID" 2>/dev/null || { echo "the app exited while waiting for: $1" >&2; cat "$work/app.out" >&2; return 1; }
    sleep 0.05
  done
  echo "timed out waiting for the log line: $1" >&2
  return 1
}

# app_window: the id of the app's window. The display is ours alone (lib.sh), so the only
# window titled "KMS Desk" is the app's.
app_window() {
  local wid
  wid=$(xdotool search --onlyvisible --name '^KMS Desk$' | head -1)
  [ -n "$wid" ] || { echo "no visible KMS Desk window" >&2; return 1; }
  echo "$wid"
}

# screenshot FILE: a picture of the screen once it is not blank and two pictures in a
# row have the same pixels: the webview's last frame reached the window.
screenshot() {
  local prev="" sig i
  for i in $(seq 1 50); do
    import -window root "$work/shot.png"
    sig=$(identify -format '%#' "$work/shot.png")
    if [ "$sig" = "$prev" ] && not_blank "$work/shot.png"; then
      mv "$work/shot.png" "$1"
      return 0
    fi
    prev=$sig
    sleep 0.1
  done
  mv "$work/shot.png" "$1"
  echo "the window did not settle on a picture that is not blank: $1" >&2
  return 1
}

not_blank() {
  local colors stddev
  colors=$(convert "$1" -format '%k' info:)
  stddev=$(convert "$1" -colorspace Gray -format '%[fx:standard_deviation]' info:)
  SHOT_INFO="$colors colours, grey stddev $stddev"
  python3 -c "import sys; sys.exit(0 if int('$colors') > 50 and float('$stddev') > 0.05 else 1)"
}

# focus_app: gives the window the keyboard. No window manager runs under Xvfb, so focus
# it and click a neutral spot (the header); keys then go through XTEST (GTK ignores
# synthetic key events sent to a window).
focus_app() {
  local wid
  wid=$(app_window)
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

# median N...: the median of the numbers (an odd count: 5 starts).
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

# measure: 4 more starts after the first ($first); sets MEDIAN and prints the times and
# the median time of each phase of the startup (from the debug log of each start).
measure() {
  local times=("$@") from=$((launches - ${#@} + 1)) i
  for i in $(seq $((${#times[@]} + 1)) 5); do
    launch
    times+=("$LAUNCH_MS")
    quit_app
  done
  MEDIAN=$(median "${times[@]}")
  echo "    startup to key list painted (ms): ${times[*]} → median $MEDIAN (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  python3 scripts/startup-phases.py $(seq -f "$work/launch-%g.log" "$from" "$launches")
}

echo "==> smoke: first start (window, key list, screenshot)"
launch
first=$LAUNCH_MS
app_window >/dev/null
grep -qE "msg=\"ui ready\" view=keys rows=$seeded " "$LOG" ||
  { echo "the first screen is not the key list with the $seeded seeded keys:" >&2; grep 'ui ready' "$LOG" >&2; exit 1; }
screenshot "$ART/smoke-window.png"
echo "    screenshot: $ART/smoke-window.png ($SHOT_INFO)"
# The fonts the window drew with (the files its web process mapped) are what fontconfig
# resolves for the UI's font stack (--kmsdesk-font in the built CSS), the family the
# browser tests check Chromium draws with (frontend/e2e/fonts.test.mjs), and no serif.
stack=$(zcat -f frontend/dist/assets/*.css* | grep -o -- '--kmsdesk-font:[^;}]*' | head -1 | cut -d: -f2- | tr -d "\"'")
pattern=$(echo "$stack" | sed -E 's/ *, */,/g; s/^ +//; s/-/\\-/g')
want=$(fc-match -f '%{file}' -- "$pattern")
web=$(pgrep -P "$APP_PID" -f WebKitWebProcess | head -1)
mapped=$(grep -oE '/[^ ]+\.(ttf|otf|ttc)$' "/proc/$web/maps" | sort -u)
echo "$mapped" | grep -qxF "$want" || { echo "the window did not draw with $want (${stack}); it mapped: $mapped" >&2; exit 1; }
for f in $mapped; do
  fam=$(fc-query -f '%{family[0]}\n' "$f" | head -1)
  if [[ $fam == *Serif* && $fam != *Sans* ]]; then echo "the window drew with a serif font, $fam ($f)" >&2; exit 1; fi
done
echo "    fonts of the window: $(echo "$mapped" | xargs -n1 basename | tr '\n' ' ')(fontconfig for the stack: $(basename "$want"))"
quit_app
echo "    clean exit on Ctrl+Q: ok"

# floor: 5 starts of the bare WebKitGTK window; sets FLOOR to their median.
floor() {
  local t=() i
  for i in 1 2 3 4 5; do t+=("$(/usr/bin/python3 scripts/webview-baseline.py 2>>"$work/floor.err")") ||
    { cat "$work/floor.err" >&2; return 1; }; done
  FLOOR=$(median "${t[@]}")
  echo "    a bare WebKitGTK window painting a one-line page (ms): ${t[*]} → median $FLOOR"
}
# over: whether MEDIAN is more than MAX_RATIO times FLOOR.
over() { python3 -c "import sys; sys.exit(0 if $MEDIAN > $MAX_RATIO * $FLOOR else 1)"; }

echo "==> smoke: startup time, 5 runs, and the floor under it"
measure "$first"
floor
if over; then
  echo "    over $MAX_RATIO times the floor; measuring once more (the machine may have been busy)"
  measure
  floor
fi
echo "$MEDIAN" >"$ART/startup-median-ms.txt"
RATIO=$(python3 -c "print(f'{$MEDIAN / $FLOOR:.2f}')")
echo "    the app adds $((MEDIAN - FLOOR)) ms to the floor: $RATIO times it (limit $MAX_RATIO)"
if [ "$MEDIAN" -le "$TARGET_MS" ]; then echo "    the goal of $TARGET_MS ms is met"; else echo "    the goal of $TARGET_MS ms is not met: $((MEDIAN - TARGET_MS)) ms over"; fi
if over; then echo "startup median ${MEDIAN} ms is more than $MAX_RATIO times the floor of ${FLOOR} ms" >&2; exit 1; fi

echo "==> smoke: drop two files on the real window (GTK drag source + xdotool)"
key=$("$CTL" --profile local --json keys describe contracts | python3 -c 'import json,sys; print(json.load(sys.stdin)["keyId"])')
# The key the Files view preselects; the warning before a first encryption with the local
# KMS is off (the browser tests cover it): this test is about the native drop.
printf '{"lastKeyId": "%s", "localWarningOff": true}\n' "$key" >"$KMSDESK_HOME/settings.json"
drop=$work/drop
mkdir -p "$drop"
head -c 300000 /dev/urandom >"$drop/photo one.jpg"
printf 'quarterly numbers\n' >"$drop/report.csv"
launch
/usr/bin/python3 scripts/dragsource.py "$drop/photo one.jpg" "$drop/report.csv" >"$work/drag.log" 2>&1 &
DRAG_PID=$!
for _ in $(seq 1 50); do xdotool search --onlyvisible --name kmsdesk-drag-source >/dev/null 2>&1 && break; sleep 0.1; done
src=$(xdotool search --onlyvisible --name kmsdesk-drag-source | head -1)
dst=$(app_window)
eval "$(xdotool getwindowgeometry --shell "$src")"; sx=$((X + 80)) sy=$((Y + 40))
eval "$(xdotool getwindowgeometry --shell "$dst")"; tx=$((X + WIDTH / 2)) ty=$((Y + HEIGHT / 2))
xdotool mousemove "$sx" "$sy" mousedown 1
# The motion is paced like a hand's (50 ms a step): GTK starts a drag from motion events
# spread over time, and each step lets the XDND position/status messages go back and forth.
for i in $(seq 1 20); do xdotool mousemove $((sx + (tx - sx) * i / 20)) $((sy + (ty - sy) * i / 20)); sleep 0.05; done
# Release only once the window under the pointer accepted the drop.
for _ in $(seq 1 100); do grep -q '^accepted' "$work/drag.log" && break; xdotool mousemove_relative 1 0; sleep 0.05; done
grep -q '^accepted' "$work/drag.log" || { echo "the window never accepted the drag:" >&2; cat "$work/drag.log" >&2; exit 1; }
xdotool mouseup 1
wait_log 'msg="files dropped" count=2' 5 || { echo "the window did not receive the drop" >&2; cat "$work/drag.log" >&2; exit 1; }
stop "$DRAG_PID"; DRAG_PID=""
# The Files view classified the items and drew them: Ctrl+Enter can start them now.
wait_log 'msg="view drawn" view=files rows=2'
focus_app
xdotool key ctrl+Return # start: encrypt the dropped files with the preselected key
wait_log 'msg="job finished"' 30
grep -qE 'msg="job finished" .*state=done done=2 ' "$LOG" && [ -f "$drop/photo one.jpg.kmsenc" ] && [ -f "$drop/report.csv.kmsenc" ] ||
  { echo "the dropped files were not encrypted:" >&2; grep 'job finished' "$LOG" >&2; ls -la "$drop" >&2; exit 1; }
screenshot "$ART/smoke-drop.png"
quit_app
ls "$drop"/*.partial 2>/dev/null && { echo "partial files left" >&2; exit 1; }
"$CTL" --profile local decrypt -o "$work/out" "$drop/photo one.jpg.kmsenc" "$drop/report.csv.kmsenc" >/dev/null
cmp "$drop/photo one.jpg" "$work/out/photo one.jpg" && cmp "$drop/report.csv" "$work/out/report.csv"
echo "    dropped files encrypted by the app and decrypted by kmsctl: identical ($ART/smoke-drop.png)"

size=$(stat -c %s "$APP")
echo "    binary size: $size bytes ($((size / 1024 / 1024)) MiB)"
echo "==> smoke: passed"
