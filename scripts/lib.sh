# lib.sh: helpers shared by the test scripts (sourced, not run).

# first_line FILE PID: prints the first whole line (text and newline) that process PID
# writes to FILE, waiting up to 10 s; prints nothing if PID exits or the time runs out.
first_line() {
  local line i
  for i in $(seq 1 100); do
    read -r line <"$1" && { echo "$line"; return 0; }
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  return 0
}

# start_xvfb: starts Xvfb on a free display and exports DISPLAY; XVFB_PID is set.
# Xvfb picks the display itself (-displayfd): it takes the first number whose lock file
# it can create atomically and writes it to the fd once it accepts connections. Picking
# a number here by looking for a free socket instead raced with the other test scripts
# doing the same at the same moment: the loser's Xvfb exited ("server already
# active"), the socket of the winner's was there, and the loser's app ran on a display
# that went away with the other script ("failed to init GTK" on a later launch).
start_xvfb() {
  local out n
  out=$(mktemp)
  Xvfb -displayfd 3 -screen 0 "${XVFB_SCREEN:-1440x900x24}" -nolisten tcp 3>"$out" >/dev/null 2>&1 &
  XVFB_PID=$!
  n=$(first_line "$out" "$XVFB_PID") # the display number
  rm -f "$out"
  if [ -z "$n" ]; then
    echo "could not start Xvfb" >&2
    return 1
  fi
  export DISPLAY=":$n"
}

# start_session_bus: starts a private D-Bus session bus and exports DBUS_SESSION_BUS_ADDRESS;
# BUS_PID is set. It activates no services (no keyring, no accessibility bus), so the app
# under test neither reaches the desktop's bus nor waits for a service to start: without
# it, on a desktop the app found the user's session bus (godbus looks in /run/user/UID),
# whose single-instance lock handed each test launch over to a KMS Desk already running
# there (the launch exited at once), and kmsctl kept the test's master key in the user's
# keychain.
start_session_bus() {
  local conf out addr
  conf=$(mktemp) out=$(mktemp)
  cat >"$conf" <<'BUS'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
BUS
  dbus-daemon --config-file="$conf" --nofork --print-address=3 3>"$out" >/dev/null 2>&1 &
  BUS_PID=$!
  addr=$(first_line "$out" "$BUS_PID") # the bus listens once it printed its address
  rm -f "$conf" "$out"
  if [ -z "$addr" ]; then
    echo "could not start a D-Bus session bus" >&2
    return 1
  fi
  export DBUS_SESSION_BUS_ADDRESS=$addr
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
