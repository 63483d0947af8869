#!/usr/bin/env bash
# Runs the keychain tests of backend/credentials and kmsctl against a real
# gnome-keyring inside a private D-Bus session, so nothing touches the
# developer's own keyring and no daemon outlives the run.
#
#   scripts/test-keychain.sh            # needs: go, dbus-run-session, gnome-keyring-daemon,
#                                       #        secret-tool (libsecret-tools), pgrep (procps)
#
# It sets KMSDESK_KEYCHAIN_TEST=1, which makes the real-keychain tests fail
# (not skip) when the keychain is unusable, and prints how many tests ran
# and passed. Exit status is non-zero when any test failed or none ran.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

for bin in go dbus-run-session gnome-keyring-daemon secret-tool pgrep; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "test-keychain: $bin is required (apt-get install gnome-keyring dbus libsecret-tools procps)" >&2
		exit 2
	fi
done

# A private HOME keeps the test keyring away from the user's own login
# keyring. Keep Go's caches where they are, or every module is fetched again.
eval "$(go env -json GOMODCACHE GOCACHE GOPATH GOPROXY GOFLAGS GONOSUMDB GOPRIVATE GOTOOLCHAIN |
	sed -n 's/^[[:space:]]*"\([A-Z]*\)": "\(.*\)",\{0,1\}$/export \1="\2"/p')"

work=$(mktemp -d "${TMPDIR:-/tmp}/kmsdesk-keychain.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/run"
chmod 700 "$work/home" "$work/run"
export HOME="$work/home" XDG_RUNTIME_DIR="$work/run"
unset DBUS_SESSION_BUS_ADDRESS XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME DISPLAY WAYLAND_DISPLAY || true
export KEYRING_PASS="${KEYRING_PASS:-kmsdesk-test-only-not-secret}"

log="$work/go-test.log"
start=$(date +%s)
set +e
dbus-run-session -- sh -ec '
	printf %s "$KEYRING_PASS" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
	KMSDESK_KEYCHAIN_TEST=1 go test -race -count=1 -v -run Keychain ./backend/credentials/... ./cmd/kmsctl/...
' 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

count() { grep -cE "^[[:space:]]*--- $1: " "$log" || true; }
passed=$(count PASS)
failed=$(count FAIL)
skipped=$(count SKIP)
ran=$((passed + failed))

echo
echo "keychain tests: $ran ran, $passed passed, $failed failed, $skipped skipped (${elapsed}s)"
if [ "$skipped" -gt 0 ]; then
	grep -E "^[[:space:]]*--- SKIP: " "$log" | sed 's/^/  /'
fi
if [ "$ran" -eq 0 ]; then
	echo "test-keychain: no tests ran" >&2
	exit 1
fi
if [ "$status" -ne 0 ] || [ "$failed" -gt 0 ]; then
	echo "test-keychain: FAILED" >&2
	exit 1
fi
echo "test-keychain: ok"
