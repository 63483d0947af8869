# lib.sh: helpers shared by the test scripts (sourced, not run).

# start_xvfb: starts Xvfb on a free display and exports DISPLAY; XVFB_PID is set.
start_xvfb() {
  local n
  for n in $(seq 90 140); do
    [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] && continue
    Xvfb ":$n" -screen 0 "${XVFB_SCREEN:-1440x900x24}" -nolisten tcp >/dev/null 2>&1 &
    XVFB_PID=$!
    for _ in $(seq 1 50); do
      [ -e "/tmp/.X11-unix/X$n" ] && { export DISPLAY=":$n"; return 0; }
      kill -0 "$XVFB_PID" 2>/dev/null || break
      sleep 0.1
    done
  done
  echo "could not start Xvfb" >&2
  return 1
}

# wait_http URL SECONDS: waits until URL answers 200.
wait_http() {
  local url=$1 secs=${2:-60} i
  for i in $(seq 1 $((secs * 5))); do
    curl -sf -o /dev/null "$url" && return 0
    sleep 0.2
  done
  echo "timed out waiting for $url" >&2
  return 1
}

# free_port: prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# stop PID...: SIGTERM, then SIGKILL after 5 s.
stop() {
  local p
  for p in "$@"; do
    [ -n "$p" ] || continue
    kill "$p" 2>/dev/null || continue
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
}
