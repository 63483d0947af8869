#!/usr/bin/env bash
# test-windows.sh [--no-deps] [--keep]: the Windows test tier, under Wine (`make test-windows`).
#
#   1. a throw-away Wine prefix (Windows 10), with the test-only ProcessPrng shim that Go
#      binaries need on Wine 8 (scripts/winshim/prng.c, built here with mingw-w64)
#   2. the backend's Go tests, cross-compiled for Windows (GOOS=windows go test -c) and
#      run under Wine: Windows paths, renames over open files, reserved names, file
#      locking, the wincred keychain (KMSDESK_KEYCHAIN_TEST=1)
#   3. kmsctl.exe end to end against a Linux `kmsctl local serve` on 127.0.0.1: keys, text,
#      files and folders (spaces, CJK, long paths, reserved names), verify, inspect,
#      profiles on wincred, and files made on one system opened on the other
#   4. the NSIS installer: silent per-user install, upgrade over an older build, the
#      .kmsenc association and Explorer's "Encrypt/Decrypt with KMS Desk" verbs in the
#      registry (their command lines run and reach kmsdesk.exe with the intent), Start
#      menu, kmsctl.exe beside the app (on the user PATH only with /ADDTOPATH), and an
#      uninstall that leaves nothing behind (the PATH as it was)
#   5. kmsdesk.exe without the WebView2 Runtime (Wine has none): the zh-CN and English
#      message, its exit code and log line, and the download page it opens
# It ends with one line "windows: N passed, N failed, N skipped" and fails if anything
# failed. Skipped tests are listed with their reasons. Screenshots go to
# build/test-artifacts/. --no-deps skips scripts/install-deps.sh windows; --keep keeps the
# prefix and work folder (printed) for a look afterwards.
#
# What Wine 8 cannot do, and so this tier cannot prove: draw the WebView2 window (no
# runtime), symbolic links (CreateSymbolicLinkW is a stub), console control events to
# another process, per-user classes in HKCR (Wine does not merge HKCU\Software\Classes,
# so Explorer's verbs are checked in the registry and by running their command lines,
# not through the shell).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.bin:$PATH"
source scripts/lib.sh
source packaging/version.sh

deps=1 keep=""
for a in "$@"; do
  case "$a" in
    --no-deps) deps="" ;;
    --keep) keep=1 ;;
    *) echo "usage: test-windows.sh [--no-deps] [--keep]" >&2; exit 2 ;;
  esac
done

T0=$(date +%s)
if [ -n "$deps" ]; then scripts/install-deps.sh windows; fi
for tool in wine wineserver wineboot x86_64-w64-mingw32-gcc makensis Xvfb xdotool import go python3; do
  command -v "$tool" >/dev/null || { echo "test-windows: missing $tool (run scripts/install-deps.sh windows)" >&2; exit 1; }
done
[ -x /usr/lib/wine/wine64 ] || { echo "test-windows: missing /usr/lib/wine/wine64 (run scripts/install-deps.sh windows)" >&2; exit 1; }
RAW=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
OLD_RAW=v0.0.0-upgrade-test # the "older build" the upgrade starts from
ART=$ROOT/build/test-artifacts
mkdir -p "$ART"

WORK=$(mktemp -d /tmp/kmsdesk-wine.XXXXXX)
# Everything this tier runs is 64-bit (the Go test binaries, kmsctl.exe, kmsdesk.exe, the
# installer): Wine's 64-bit loader runs it all, called directly. Debian's `wine` wrapper
# prefers the 32-bit loader whenever wine32 is installed, which fails with "Exec format
# error" on a kernel that runs no 32-bit programs (no IA32 emulation, as on some VMs).
mkdir -p "$WORK/wine-bin"
for n in wine wine-stable; do
  printf '#!/bin/sh\nexport WINELOADER=/usr/lib/wine/wine64\nexec /usr/lib/wine/wine64 "$@"\n' >"$WORK/wine-bin/$n"
  chmod +x "$WORK/wine-bin/$n"
done
export PATH=$WORK/wine-bin:$PATH
export WINEPREFIX=$WORK/prefix WINEDEBUG=-all
# No Wine Mono/Gecko installation prompts (nothing here needs .NET or MSHTML).
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY KMSDESK_HOME TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY TENCENTCLOUD_SESSION_TOKEN
SRV_PID="" XVFB_PID=""
cleanup() {
  stop "$SRV_PID" "$XVFB_PID"
  wineserver -k >/dev/null 2>&1 || true # every Wine process of this prefix
  if [ -n "$keep" ]; then echo "kept: $WORK (WINEPREFIX=$WINEPREFIX)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PASSED=0 FAILED=0 SKIPPED=0
FAILURES=() SKIPS=()
pass() { PASSED=$((PASSED + 1)); echo "PASS $*"; }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$*"); echo "FAIL $*" >&2; }
summary() {
  echo "==> windows tier: $(($(date +%s) - T0)) s"
  if [ ${#SKIPS[@]} -gt 0 ]; then
    echo "    skipped:"
    printf '      %s\n' "${SKIPS[@]}"
  fi
  if [ ${#FAILURES[@]} -gt 0 ]; then
    echo "    failed:"
    printf '      %s\n' "${FAILURES[@]}"
  fi
  echo "windows: $PASSED passed, $FAILED failed, $SKIPPED skipped"
}
# abort MSG: a failure later steps cannot go on from.
abort() {
  fail "$*"
  summary
  exit 1
}
# check NAME CMD...: one end-to-end check; its output goes to $WORK/check.log.
check() {
  local name=$1
  shift
  if "$@" >"$WORK/check.log" 2>&1; then pass "$name"; else
    fail "$name"
    sed 's/^/    | /' "$WORK/check.log" | tail -20 >&2
  fi
}
step_t=0
step() { step_t=$(date +%s); echo "==> windows: $*"; }
step_done() { echo "    ($(($(date +%s) - step_t)) s)"; }

# winpath PATH: the Windows form of an absolute Linux path (Wine's Z: drive is /).
winpath() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }
# crlf-free output of a Windows program.
wine_out() { wine "$@" 2>/dev/null | tr -d '\r'; }
# regval KEY VALUE: a registry value's data ("" when missing); /ve for the default.
regval() {
  local args=("$1")
  if [ "$2" = "" ]; then args+=(/ve); else args+=(/v "$2"); fi
  wine_out reg query "${args[@]}" | sed -n 's/^    .*    REG_[A-Z_]*    //p' | head -1
}
regkey_exists() { wine reg query "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------------
step "1. Wine prefix (Windows 10) with the ProcessPrng shim"
wine --version
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$WORK/bcryptprimitives.dll" scripts/winshim/prng.c -ladvapi32 ||
  abort "build the ProcessPrng shim"
wineboot -i >"$WORK/wineboot.log" 2>&1 || { cat "$WORK/wineboot.log" >&2; abort "wineboot -i"; }
wine winecfg -v win10 >/dev/null 2>&1 || abort "winecfg -v win10"
cp "$WORK/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
ver=$(wine_out cmd /c ver | grep -o '10\.0\.[0-9]*' || true)
[ -n "$ver" ] || abort "the prefix does not report Windows 10 ($(wine_out cmd /c ver))"
# Nothing may open a browser from the prefix: http(s) go to a recorder file instead.
for proto in http https; do
  wine reg add "HKLM\\Software\\Classes\\$proto\\shell\\open\\command" /ve /f \
    /d 'C:\windows\system32\cmd.exe /c echo %1> C:\opened-url.txt' >/dev/null 2>&1
done
APPDATA_W=$(wine_out cmd /c echo %APPDATA%)
LOCALAPPDATA_W=$(wine_out cmd /c echo %LOCALAPPDATA%)
APPDATA_U=$(winepath -u "$APPDATA_W" 2>/dev/null)
LOCALAPPDATA_U=$(winepath -u "$LOCALAPPDATA_W" 2>/dev/null)
pass "prefix: Windows $ver, ProcessPrng shim in system32, %APPDATA% = $APPDATA_W"
step_done

# ---------------------------------------------------------------------------------------
step "2. Go tests of the backend, built for Windows, run under Wine"
# Wine 8 answers FileDispositionInformationEx (Go's POSIX-semantics delete, Windows 10
# 1607+) with STATUS_NOT_IMPLEMENTED where Windows answers STATUS_INVALID_INFO_CLASS when
# it lacks it, so os.RemoveAll (t.TempDir's cleanup) fails with "Invalid function". The
# test binaries are built with a copy of Go's internal/syscall/windows/at_windows.go that
# takes the fallback Go takes on such Windows versions for that status too.
mkdir -p "$WORK/overlay" "$WORK/bin" "$WORK/results"
at=$(go env GOROOT)/src/internal/syscall/windows/at_windows.go
sed 's|^\t\tSTATUS_NOT_SUPPORTED:     // the file system|\t\tSTATUS_NOT_SUPPORTED, NTStatus(0xC0000002): // Wine 8: STATUS_NOT_IMPLEMENTED; the file system|' \
  "$at" >"$WORK/overlay/at_windows.go"
grep -q 'NTStatus(0xC0000002)' "$WORK/overlay/at_windows.go" ||
  abort "Go's internal/syscall/windows.Deleteat changed ($(go version)): update the overlay in scripts/test-windows.sh"
printf '{"Replace":{"%s":"%s"}}\n' "$at" "$WORK/overlay/at_windows.go" >"$WORK/overlay.json"

pkgs=(./backend/errcode ./backend/applog ./backend/envelope ./backend/kms ./backend/credentials
  ./backend/localkms ./backend/jobs ./backend/service ./backend/inventory ./backend/netproxy ./backend/webview2 ./cmd/kmsctl .)
# Helper processes the tests start themselves: the tests that skip with "helper process"
# when run directly, found in the sources (so a new one is never counted as a skip).
helpers=$(awk '/^func Test[A-Za-z0-9_]*\(/ { name = $2; sub(/\(.*/, "", name) } /t\.Skip\("helper process/ { print name }' \
  $(for p in "${pkgs[@]}"; do echo "$p"/*_test.go; done) | sort -u | paste -sd'|')
case "|$helpers|" in
  *"|TestFaultChild|"*"|TestPartialHolderChild|"*) ;;
  *) abort "the helper-process tests were not found in the sources (found: ${helpers:-none})" ;;
esac
echo "    helper processes, not counted: ${helpers//|/, }"
helpers="^($helpers)$"
t_build=$(date +%s)
for p in "${pkgs[@]}"; do
  n=$(basename "$(cd "$p" && pwd)")
  [ "$p" = . ] && n=kmsdesk
  GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -overlay "$WORK/overlay.json" -o "$WORK/bin/$n.test.exe" "$p" ||
    abort "build the Windows test binary of $p"
done
echo "    built ${#pkgs[@]} test binaries in $(($(date +%s) - t_build)) s"
for p in "${pkgs[@]}"; do
  n=$(basename "$(cd "$p" && pwd)")
  [ "$p" = . ] && n=kmsdesk
  t=$(date +%s)
  rc=0
  (cd "$p" && KMSDESK_KEYCHAIN_TEST=1 timeout 900 go tool test2json -t -p "$p" \
    wine "$WORK/bin/$n.test.exe" -test.v=test2json -test.timeout=14m -test.skip "$helpers" \
    >"$WORK/results/$n.json" 2>"$WORK/results/$n.stderr") || rc=$?
  echo "    $p: exit $rc in $(($(date +%s) - t)) s"
done
# Counts every test and subtest as `make test-go` does; prints failures with their output
# and skips with their reasons.
counts=$(python3 - "$WORK/results" <<'PY'
import json, os, sys, collections
d = sys.argv[1]
n = collections.Counter(); fails = []; skips = []
for f in sorted(os.listdir(d)):
    if not f.endswith(".json"): continue
    out = collections.defaultdict(list); seen_pkg = set(); pkg_fail = set(); tests_failed = set()
    for line in open(os.path.join(d, f), errors="replace"):
        try: e = json.loads(line)
        except ValueError: continue
        p, t, a = e.get("Package", "?"), e.get("Test"), e.get("Action")
        if a == "output": out[(p, t)].append(e.get("Output", ""))
        if t and a in ("pass", "fail", "skip"):
            n[a] += 1
            if a == "fail":
                tests_failed.add(p)
                fails.append((p, t, "".join(out[(p, t)])))
            if a == "skip":
                lines = [l.strip() for l in out[(p, t)] if l.strip() and not l.strip().startswith(("=== ", "--- "))]
                skips.append(f"{p} {t}: {lines[-1] if lines else '(no reason given)'}")
        elif not t and a in ("pass", "fail", "skip"):
            seen_pkg.add(p)
            if a == "fail": pkg_fail.add(p)
    for p in pkg_fail - tests_failed:
        n["fail"] += 1
        fails.append((p, "(package)", "".join(out[(p, None)])[-3000:]))
    if not seen_pkg:
        n["fail"] += 1
        fails.append((f, "(no result)", open(os.path.join(d, f[:-5] + ".stderr"), errors="replace").read()[-3000:]))
for p, t, o in fails:
    sys.stderr.write(f"--- FAIL {p} {t}\n{o}\n")
with open(os.path.join(d, "skips.txt"), "w") as s:
    s.write("\n".join(skips) + ("\n" if skips else ""))
with open(os.path.join(d, "fails.txt"), "w") as s:
    s.write("".join(f"{p} {t}\n" for p, t, _ in fails))
print(n["pass"], n["fail"], n["skip"])
PY
)
read -r gp gf gs <<<"$counts"
PASSED=$((PASSED + gp)) FAILED=$((FAILED + gf)) SKIPPED=$((SKIPPED + gs))
while IFS= read -r l; do [ -n "$l" ] && SKIPS+=("$l"); done <"$WORK/results/skips.txt"
while IFS= read -r l; do [ -n "$l" ] && FAILURES+=("go test: $l"); done <"$WORK/results/fails.txt"
wine_skips=$(grep -c 'Wine' "$WORK/results/skips.txt" || true)
echo "    Go tests under Wine: $gp passed, $gf failed, $gs skipped ($wine_skips for Wine limitations; the others skip on any Windows: Linux-only features, or the opt-in real-cloud tier)"
step_done

# ---------------------------------------------------------------------------------------
step "3. kmsctl.exe end to end against a Linux local KMS on 127.0.0.1"
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -ldflags "-X main.version=$RAW" -o "$WORK/bin/kmsctl.exe" ./cmd/kmsctl ||
  abort "build kmsctl.exe"
CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=$RAW" -o "$WORK/bin/kmsctl" ./cmd/kmsctl || abort "build kmsctl"
LCTL=$WORK/bin/kmsctl
export KMSDESK_HOME=$WORK/linux-home # the Linux kmsctl only; unset for kmsctl.exe (W)
# W ARGS...: kmsctl.exe in the prefix (its data in %APPDATA%\kmsdesk, secrets in wincred).
W() { env -u KMSDESK_HOME wine "$WORK/bin/kmsctl.exe" "$@" 2>&1 | tr -d '\r'; return "${PIPESTATUS[0]}"; }
cred=$("$LCTL" --json local credentials create --name wine-tier --data "$WORK/srv" --master-key file) || abort "local credentials create"
SID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secretId"])' <<<"$cred")
SKEY=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey"])' <<<"$cred")
"$LCTL" local serve --listen 127.0.0.1:0 --data "$WORK/srv" --master-key file >"$WORK/serve.out" 2>"$WORK/serve.err" &
SRV_PID=$!
EP=""
for _ in $(seq 1 100); do
  EP=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.out" 2>/dev/null | head -1) && [ -n "$EP" ] && break
  kill -0 "$SRV_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$EP" ] || { cat "$WORK/serve.err" >&2; abort "kmsctl local serve did not start"; }
echo "    local KMS: $EP"
export TENCENTCLOUD_SECRET_ID=$SID TENCENTCLOUD_SECRET_KEY=$SKEY

check "kmsctl.exe version prints kmsctl $RAW" bash -c '[ "$1" = "kmsctl $2" ]' _ "$(W version)" "$RAW"
check "kmsctl.exe keys create / list / describe" bash -c '
  set -e
  W() { env -u KMSDESK_HOME wine "$1" "${@:2}" 2>&1 | tr -d "\r"; }
  W "$0" --endpoint "$1" keys create wine-key --description "made by kmsctl.exe" >/dev/null
  W "$0" --endpoint "$1" keys list | grep -q wine-key
  W "$0" --endpoint "$1" --json keys describe wine-key | grep -q "made by kmsctl.exe"' "$WORK/bin/kmsctl.exe" "$EP"
text='机密 secret ✓ Ünïcødé'
check "kmsctl.exe text encrypt/decrypt round trip (CJK)" bash -c '
  blob=$(env -u KMSDESK_HOME wine "$0" --endpoint "$1" text encrypt --key wine-key "$2" 2>/dev/null | tr -d "\r")
  [ -n "$blob" ] || exit 1
  back=$(env -u KMSDESK_HOME wine "$0" --endpoint "$1" text decrypt "$blob" 2>/dev/null | tr -d "\r")
  [ "$back" = "$2" ] || { echo "got: $back"; exit 1; }' "$WORK/bin/kmsctl.exe" "$EP" "$text"

# Files made on Linux inside the prefix's C: drive (C:\e2e).
C=$WINEPREFIX/drive_c/e2e
mkdir -p "$C/tree/a/b" "$C/tree/空 folder"
head -c 5000000 /dev/urandom >"$C/report 2026 季度.pdf"
printf 'quarterly numbers\r\n' >"$C/tree/a/notes.txt"
head -c 70000 /dev/urandom >"$C/tree/a/b/深层 file.bin"
: >"$C/tree/empty.txt"
head -c 300 /dev/urandom >"$C/tree/空 folder/x y.dat"
check "kmsctl.exe encrypts a 5 MB file with spaces and CJK in its name, next to it" bash -c '
  env -u KMSDESK_HOME wine "$0" --endpoint "$1" encrypt --key wine-key "C:\\e2e\\report 2026 季度.pdf" &&
  [ -s "$2/report 2026 季度.pdf.kmsenc" ]' "$WORK/bin/kmsctl.exe" "$EP" "$C"
check "kmsctl.exe encrypts a folder recursively into a mirror (-r -o)" bash -c '
  env -u KMSDESK_HOME wine "$0" --endpoint "$1" encrypt -r --key wine-key -o "C:\\e2e\\enc" "C:\\e2e\\tree" &&
  for f in a/notes.txt "a/b/深层 file.bin" empty.txt "空 folder/x y.dat"; do [ -f "$2/enc/tree/$f.kmsenc" ] || { echo "missing $f"; exit 1; }; done' \
  "$WORK/bin/kmsctl.exe" "$EP" "$C"
check "kmsctl.exe verify (folder) and inspect (header, no KMS call)" bash -c '
  set -e
  env -u KMSDESK_HOME wine "$0" --endpoint "$1" verify "C:\\e2e\\enc" "C:\\e2e\\report 2026 季度.pdf.kmsenc"
  out=$(env -u KMSDESK_HOME wine "$0" --json inspect "C:\\e2e\\report 2026 季度.pdf.kmsenc" | tr -d "\r")
  echo "$out" | grep -q "report 2026 季度.pdf"' "$WORK/bin/kmsctl.exe" "$EP"
check "kmsctl.exe decrypts the folder and the file to identical bytes" bash -c '
  set -e
  env -u KMSDESK_HOME wine "$0" --endpoint "$1" decrypt -o "C:\\e2e\\dec" "C:\\e2e\\enc"
  env -u KMSDESK_HOME wine "$0" --endpoint "$1" decrypt -o "C:\\e2e\\dec1" "C:\\e2e\\report 2026 季度.pdf.kmsenc"
  diff -r "$2/tree" "$2/dec/enc/tree"
  cmp "$2/report 2026 季度.pdf" "$2/dec1/report 2026 季度.pdf"' "$WORK/bin/kmsctl.exe" "$EP" "$C"
# A tree deeper than MAX_PATH (260): Go uses \\?\ paths for long names.
long="$C/long"
seg=$(printf 'segment-%s' "$(printf 'x%.0s' $(seq 1 40))")
deep=$long
for i in 1 2 3 4 5 6; do deep="$deep/$seg-$i"; done
mkdir -p "$deep"
head -c 100000 /dev/urandom >"$deep/deep file.bin"
deep_w="C:\\e2e\\long${deep#"$long"}"
deep_w=${deep_w//\//\\}
echo "    long path: ${#deep_w} characters"
check "kmsctl.exe encrypts and decrypts under a path of ${#deep_w} characters (> MAX_PATH)" bash -c '
  set -e
  env -u KMSDESK_HOME wine "$0" --endpoint "$1" encrypt -r --key wine-key "C:\\e2e\\long"
  [ -s "$2/deep file.bin.kmsenc" ]
  env -u KMSDESK_HOME wine "$0" --endpoint "$1" decrypt -o "C:\\e2e\\longdec" "$3\\deep file.bin.kmsenc"
  cmp "$2/deep file.bin" "$4/longdec/deep file.bin"' "$WORK/bin/kmsctl.exe" "$EP" "$deep" "$deep_w" "$C"
check "kmsctl.exe --remove-originals deletes the original after verifying (Windows file locking)" bash -c '
  set -e
  printf "to be removed\n" >"$2/gone.txt"
  env -u KMSDESK_HOME wine "$0" --endpoint "$1" encrypt --key wine-key --remove-originals "C:\\e2e\\gone.txt"
  [ ! -e "$2/gone.txt" ] && [ -s "$2/gone.txt.kmsenc" ]
  env -u KMSDESK_HOME wine "$0" --endpoint "$1" decrypt "C:\\e2e\\gone.txt.kmsenc"
  [ "$(cat "$2/gone.txt")" = "to be removed" ]' "$WORK/bin/kmsctl.exe" "$EP" "$C"

# Interop: the same local KMS, one file format.
L=$WORK/linux-files
mkdir -p "$L/data/sub" "$L/reserved"
head -c 1234567 /dev/urandom >"$L/data/linux photo.jpg"
printf '中文内容\n' >"$L/data/sub/笔记.txt"
printf 'a file Windows cannot name\n' >"$L/reserved/CON.txt"
check "interop: a folder encrypted by the Linux kmsctl decrypts with kmsctl.exe" bash -c '
  set -e
  "$0" --endpoint "$1" encrypt -r --key wine-key -o "$2/linux-enc" "$2/data"
  env -u KMSDESK_HOME wine "$3" --endpoint "$1" decrypt -o "C:\\e2e\\from-linux" "$4"
  diff -r "$2/data" "$5/from-linux/linux-enc/data"' "$LCTL" "$EP" "$L" "$WORK/bin/kmsctl.exe" "$(winpath "$L/linux-enc")" "$C"
check "interop: files encrypted by kmsctl.exe decrypt with the Linux kmsctl" bash -c '
  set -e
  "$0" --endpoint "$1" decrypt -o "$2/from-windows" "$3/enc" "$3/report 2026 季度.pdf.kmsenc"
  diff -r "$3/tree" "$2/from-windows/enc/tree"
  cmp "$3/report 2026 季度.pdf" "$2/from-windows/report 2026 季度.pdf"' "$LCTL" "$EP" "$L" "$C"
check "reserved names: CON.txt from Linux is restored on Windows under a name Windows allows" bash -c '
  set -e
  "$0" --endpoint "$1" encrypt --key wine-key -o "$2/res-enc" "$2/reserved/CON.txt"
  cp "$2/res-enc/CON.txt.kmsenc" "$3/reserved.kmsenc"
  env -u KMSDESK_HOME wine "$4" --endpoint "$1" decrypt -o "C:\\e2e\\res" "C:\\e2e\\reserved.kmsenc"
  ls "$3/res"
  [ ! -e "$3/res/CON.txt" ] && cmp "$2/reserved/CON.txt" "$3/res/_CON.txt"' "$LCTL" "$EP" "$L" "$C" "$WORK/bin/kmsctl.exe"

# Profiles: the secret goes to Windows Credential Manager (wincred), nowhere else.
cm_keys() { wine_out reg query 'HKCU\Software\Wine\Credential Manager' | grep -c '^HKEY' || true; }
creds_before=$(cm_keys)
check "kmsctl.exe profile add --kind tencent stores the secret in wincred" bash -c '
  set -e
  env -u KMSDESK_HOME wine "$0" profile add wincred-test --kind tencent --region ap-guangzhou --endpoint "$1"
  env -u KMSDESK_HOME wine "$0" profile list | tr -d "\r" | grep -q wincred-test' "$WORK/bin/kmsctl.exe" "$EP"
unset TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY
creds_after=$(cm_keys)
check "wincred holds a new credential (Credential Manager: $creds_before -> $creds_after entries)" test "$creds_after" -gt "$creds_before"
check "the SecretKey is nowhere in the prefix in clear (registry, files)" bash -c '! grep -rlaF -- "$1" "$0"' "$WINEPREFIX" "$SKEY"
check "kmsctl.exe profile test / use / keys list with the secret from wincred only" bash -c '
  set -e
  W() { env -u KMSDESK_HOME -u TENCENTCLOUD_SECRET_ID -u TENCENTCLOUD_SECRET_KEY wine "$0" "$@" 2>&1 | tr -d "\r"; return ${PIPESTATUS[0]}; }
  W profile test wincred-test
  W profile use wincred-test
  W keys list | grep -q wine-key' "$WORK/bin/kmsctl.exe"
check "kmsctl.exe profile remove deletes the profile and its wincred item" bash -c '
  set -e
  env -u KMSDESK_HOME wine "$0" profile remove wincred-test
  n=$(wine reg query "HKCU\\Software\\Wine\\Credential Manager" 2>/dev/null | tr -d "\r" | grep -c "^HKEY" || true)
  [ "$n" = "$1" ] || { echo "Credential Manager has $n entries, want $1"; exit 1; }
  ! env -u KMSDESK_HOME wine "$0" --profile wincred-test keys list' "$WORK/bin/kmsctl.exe" "$creds_before"
stop "$SRV_PID"
SRV_PID=""
unset KMSDESK_HOME # kmsdesk.exe below keeps its data in %APPDATA%\kmsdesk
step_done

# ---------------------------------------------------------------------------------------
step "4. the installer: install, upgrade, registry, Explorer verbs, uninstall"
test -f frontend/dist/index.html || abort "no frontend build (make frontend)"
build_app() { # VERSION NAME
  wails build -m -skipbindings -nocolour -trimpath -s -platform windows/amd64 -ldflags "-X main.version=$1" \
    -o "$2" >"$WORK/wails-$2.log" 2>&1 || { cat "$WORK/wails-$2.log" >&2; return 1; }
  mv "build/bin/$2" "$WORK/bin/$2"
}
build_installer() { # APP VERSION OUT (with kmsctl.exe of step 3 beside the app)
  (cd build/windows/installer && makensis -V2 "-DARG_WAILS_AMD64_BINARY=$1" "-DKMSDESK_KMSCTL_BINARY=$WORK/bin/kmsctl.exe" "-DKMSDESK_VERSION=$2" \
    "-DKMSDESK_WIN_VERSION=$(win_version "$2")" "-DKMSDESK_OUTFILE=$3" project.nsi) >"$WORK/makensis.log" 2>&1 ||
    { cat "$WORK/makensis.log" >&2; return 1; }
}
t=$(date +%s)
wails_dir=$(cd scripts/tools/wails && go list -m -f '{{.Dir}}' github.com/wailsapp/wails/v2)
mkdir -p build/windows/installer/tmp
install -m 0644 "$wails_dir/internal/webview2runtime/MicrosoftEdgeWebview2Setup.exe" build/windows/installer/tmp/
build_app "$OLD_RAW" kmsdesk-wine-old.exe || abort "build the older kmsdesk.exe"
build_app "$RAW" kmsdesk-wine-new.exe || abort "build kmsdesk.exe"
build_installer "$WORK/bin/kmsdesk-wine-old.exe" "$OLD_RAW" "$WORK/bin/installer-old.exe" || abort "makensis (older build)"
build_installer "$WORK/bin/kmsdesk-wine-new.exe" "$RAW" "$WORK/bin/installer-new.exe" || abort "makensis"
echo "    built two apps and two installers in $(($(date +%s) - t)) s"

UNINST='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\KMSDesk'
INSTDIR_U="$LOCALAPPDATA_U/Programs/KMS Desk"
INSTDIR_W="$LOCALAPPDATA_W\\Programs\\KMS Desk"
STARTMENU_U="$APPDATA_U/Microsoft/Windows/Start Menu/Programs/KMS Desk.lnk"
# Every Windows has HKCU\Software\Classes; a fresh Wine prefix may not yet.
wine reg add 'HKCU\Software\Classes' /f >/dev/null 2>&1
wine reg export 'HKCU\Software\Classes' "$(winpath "$WORK/classes-before.reg")" /y >/dev/null 2>&1 || abort "reg export (before)"
# list_files: the prefix's C: drive without Windows itself, the tier's own files, temp
# files, the user's KMS Desk data (kept on purpose) and Microsoft's EdgeUpdate, which the
# WebView2 bootstrapper installs (and which is not KMS Desk's to remove).
list_files() {
  find "$WINEPREFIX/drive_c" -path "$C" -prune -o -print 2>/dev/null | sed "s|^$WINEPREFIX/drive_c||" |
    grep -v -e '^/windows/' -e '/AppData/Roaming/kmsdesk' -e '/Temp/' -e '^/Program Files[^/]*/Microsoft' \
      -e '^/ProgramData/Microsoft' -e '/AppData/Local/Microsoft/EdgeUpdate' | sort
}
list_files >"$WORK/files-before.txt"

t=$(date +%s)
rc=0
wine "$WORK/bin/installer-old.exe" /S >/dev/null 2>&1 || rc=$?
[ "$rc" = 0 ] && [ -f "$INSTDIR_U/kmsdesk.exe" ] || abort "silent install of the older build (exit $rc)"
check "silent per-user install (/S) of $OLD_RAW into %LOCALAPPDATA%\\Programs\\KMS Desk ($(($(date +%s) - t)) s)" bash -c '
  cmp "$0" "$1/kmsdesk.exe" && [ -f "$1/uninstall.exe" ] && [ "$2" = "$3" ]' \
  "$WORK/bin/kmsdesk-wine-old.exe" "$INSTDIR_U" "$(regval "$UNINST" DisplayVersion)" "$OLD_RAW"
check "kmsctl.exe is installed beside kmsdesk.exe but not put on the PATH" bash -c '
  cmp "$0" "$1/kmsctl.exe" && [[ ";$2;" != *";$3;"* ]]' "$WORK/bin/kmsctl.exe" "$INSTDIR_U" "$(regval 'HKCU\Environment' Path)" "$INSTDIR_W"
wine reg add 'HKCU\Environment' /v Path /t REG_EXPAND_SZ /d 'C:\tools;%USERPROFILE%\bin' /f >/dev/null 2>&1
t=$(date +%s)
rc=0
wine "$WORK/bin/installer-new.exe" /S /ADDTOPATH >/dev/null 2>&1 || rc=$?
check "upgrade: the $RAW installer over $OLD_RAW replaces the app in place ($(($(date +%s) - t)) s)" bash -c '
  [ "$4" = 0 ] && cmp "$0" "$1/kmsdesk.exe" && [ "$2" = "$3" ] &&
    [ "$(LC_ALL=C ls "$1" | tr "\n" " ")" = "LICENSE.txt THIRD_PARTY_NOTICES.txt kmsctl.exe kmsdesk.exe uninstall.exe " ]' \
  "$WORK/bin/kmsdesk-wine-new.exe" "$INSTDIR_U" "$(regval "$UNINST" DisplayVersion)" "$RAW" "$rc"
check "/ADDTOPATH appends the install folder to the user PATH once, keeping what was there" bash -c '
  [ "$0" = "C:\tools;%USERPROFILE%\bin;$1" ] && [ "$2" = 0x1 ]' "$(regval 'HKCU\Environment' Path)" "$INSTDIR_W" "$(regval "$UNINST" KmsctlOnPath)"
check "one uninstall entry, per user (HKCU), none under HKLM" bash -c '
  [ "$0" = "$1" ] && [ "$2" = "\"$1\\uninstall.exe\" /S" ] && ! wine reg query "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KMSDesk" >/dev/null 2>&1' \
  "$(regval "$UNINST" InstallLocation)" "$INSTDIR_W" "$(regval "$UNINST" QuietUninstallString)"
check "Start menu entry" test -f "$STARTMENU_U"
exe_w="$INSTDIR_W\\kmsdesk.exe"
while IFS='|' read -r key value want; do
  got=$(regval "HKCU\\Software\\Classes\\$key" "$value")
  want=${want//@EXE@/$exe_w}
  check "registry: HKCU\\Software\\Classes\\$key ${value:-(default)} = $want" test "$got" = "$want"
done <<'EOF'
.kmsenc||KMSDesk.kmsenc
.kmsenc|Content Type|application/x-kmsenc
KMSDesk.kmsenc\shell\open\command||"@EXE@" "%1"
KMSDesk.kmsenc\DefaultIcon||@EXE@,0
*\shell\KMSDesk.Encrypt|MUIVerb|Encrypt with KMS Desk
*\shell\KMSDesk.Encrypt|MultiSelectModel|Player
*\shell\KMSDesk.Encrypt|Icon|@EXE@,0
*\shell\KMSDesk.Encrypt\command||"@EXE@" --encrypt "%1"
Directory\shell\KMSDesk.Encrypt|MUIVerb|Encrypt with KMS Desk
Directory\shell\KMSDesk.Encrypt|MultiSelectModel|Player
Directory\shell\KMSDesk.Encrypt\command||"@EXE@" --encrypt "%1"
SystemFileAssociations\.kmsenc\shell\KMSDesk.Decrypt|MUIVerb|Decrypt with KMS Desk
SystemFileAssociations\.kmsenc\shell\KMSDesk.Decrypt|MultiSelectModel|Player
SystemFileAssociations\.kmsenc\shell\KMSDesk.Decrypt\command||"@EXE@" --decrypt "%1"
EOF

# Explorer runs a verb's command line with %1 replaced by the item's path. Wine's shell
# does not read per-user classes, so run the registered command lines as Explorer would:
# kmsdesk.exe must see the intent and the file (its log), then stop at the missing
# WebView2 Runtime (no display here: the message box returns at once) with exit code 4.
LOG_U="$APPDATA_U/kmsdesk/logs/kmsdesk.log"
mkdir -p "$C/verbs/a folder"
printf 'x' >"$C/verbs/plain file.txt"
cp "$C/report 2026 季度.pdf.kmsenc" "$C/verbs/sealed.kmsenc"
run_verb() { # KEY FILE_W INTENT
  local cmdline rc=0 argv=()
  cmdline=$(regval "HKCU\\Software\\Classes\\$1\\command" "")
  cmdline=${cmdline//%1/$2}
  # Split as Windows does for these command lines: double quotes group, no escapes.
  mapfile -t argv < <(python3 -c 'import shlex, sys
lex = shlex.shlex(sys.argv[1], posix=True); lex.whitespace_split = True; lex.escape = ""
print("\n".join(lex))' "$cmdline")
  : >"$LOG_U"
  wine "${argv[@]}" >/dev/null 2>&1 || rc=$?
  grep -q "msg=starting .* files=1 intent=$3" "$LOG_U" && grep -q 'msg="webview2 runtime missing"' "$LOG_U" && [ "$rc" = 4 ] ||
    { echo "exit $rc, command line: $cmdline"; cat "$LOG_U"; return 1; }
}
mkdir -p "$APPDATA_U/kmsdesk/logs"
check "verb KMSDesk.Encrypt on a file runs kmsdesk.exe --encrypt FILE" run_verb '*\shell\KMSDesk.Encrypt' 'C:\e2e\verbs\plain file.txt' encrypt
check "verb KMSDesk.Encrypt on a folder runs kmsdesk.exe --encrypt FOLDER" run_verb 'Directory\shell\KMSDesk.Encrypt' 'C:\e2e\verbs\a folder' encrypt
check "verb KMSDesk.Decrypt on a .kmsenc runs kmsdesk.exe --decrypt FILE" run_verb 'SystemFileAssociations\.kmsenc\shell\KMSDesk.Decrypt' 'C:\e2e\verbs\sealed.kmsenc' decrypt
check "double-click (.kmsenc open verb) runs kmsdesk.exe FILE" run_verb 'KMSDesk.kmsenc\shell\open' 'C:\e2e\verbs\sealed.kmsenc' none
step_done

# ---------------------------------------------------------------------------------------
step "5. kmsdesk.exe without the WebView2 Runtime: the message (zh-CN and en), exit code, log"
start_xvfb
# Wine's desktop process started without a display in the steps above and keeps its
# display driver: end this prefix's processes so the next program gets the X display.
wineserver -k >/dev/null 2>&1 || true
timeout 60 wineserver -w || true
# wv2_dialog LANG KEY NAME: starts the installed app in LANG, waits for its message box,
# screenshots it, answers with KEY and checks exit code 4 and the log line.
wv2_dialog() {
  local lang=$1 key=$2 name=$3 title=$4 wid="" w rc_file
  rc_file=$WORK/wv2-$name.rc
  rm -f "$rc_file" "$WINEPREFIX/drive_c/opened-url.txt"
  : >"$LOG_U"
  (
    rc=0
    LANG=$lang LC_ALL=$lang wine "$INSTDIR_U/kmsdesk.exe" >/dev/null 2>&1 || rc=$?
    echo "$rc" >"$rc_file"
  ) &
  # The first window of a new prefix takes long (Wine's desktop, the font cache).
  for _ in $(seq 1 480); do
    for w in $(xdotool search --name 'KMS Desk' 2>/dev/null); do
      [ "$(xdotool getwindowname "$w" 2>/dev/null)" = "$title" ] && wid=$w
    done
    [ -n "$wid" ] && break
    [ -s "$rc_file" ] && break # the app ended without showing its message
    sleep 0.25
  done
  [ -n "$wid" ] || { echo "no window titled '$title' (exit code '$(cat "$rc_file" 2>/dev/null)')"; cat "$LOG_U"; wineserver -k; return 1; }
  for _ in $(seq 1 40); do grep -q 'msg="webview2 runtime missing"' "$LOG_U" && break; sleep 0.25; done
  sleep 0.5 # let Wine paint the box before the screenshot
  import -window root "$ART/windows-webview2-$name.png"
  xdotool windowactivate --sync "$wid" >/dev/null 2>&1 || true
  xdotool key --window "$wid" "$key"
  for _ in $(seq 1 120); do [ -s "$rc_file" ] && break; sleep 0.25; done
  [ "$(cat "$rc_file" 2>/dev/null)" = 4 ] || { echo "exit code '$(cat "$rc_file" 2>/dev/null)', want 4"; wineserver -k; return 1; }
  grep -q "msg=\"webview2 runtime missing\" installed=\"\" minimum=94.0.992.31 lang=$name" "$LOG_U" || { cat "$LOG_U"; return 1; }
}
wv2_zh() {
  wv2_dialog zh_CN.UTF-8 Return zh-CN 'KMS Desk 无法启动' || return 1
  for _ in $(seq 1 40); do [ -s "$WINEPREFIX/drive_c/opened-url.txt" ] && break; sleep 0.25; done
  grep -q "https://developer.microsoft.com/zh-cn/microsoft-edge/webview2/#download" "$WINEPREFIX/drive_c/opened-url.txt" &&
    grep -q 'msg="opened the WebView2 download page"' "$LOG_U"
}
wv2_en() {
  wv2_dialog en_US.UTF-8 n en 'KMS Desk cannot start' || return 1
  [ ! -e "$WINEPREFIX/drive_c/opened-url.txt" ] && ! grep -q "opened the WebView2 download page" "$LOG_U"
}
check "zh-CN Windows: message 'KMS Desk 无法启动', Yes opens the zh-cn download page, exit 4 ($ART/windows-webview2-zh-CN.png)" wv2_zh
check "English Windows: message 'KMS Desk cannot start', No opens nothing, exit 4 ($ART/windows-webview2-en.png)" wv2_en
rm -f "$WINEPREFIX/drive_c/opened-url.txt"
stop "$XVFB_PID"
XVFB_PID=""
unset DISPLAY
step_done

# ---------------------------------------------------------------------------------------
step "6. uninstall: nothing left behind"
rc=0
wine "$INSTDIR_U/uninstall.exe" /S >/dev/null 2>&1 || rc=$?
# The NSIS uninstaller copies itself to %TEMP% and runs from there: wait for it.
for _ in $(seq 1 240); do [ -e "$INSTDIR_U" ] || break; sleep 0.25; done
timeout 60 wineserver -w || true
check "uninstall.exe /S removed the program folder and the Start menu entry" bash -c '[ ! -e "$0" ] && [ ! -e "$1" ]' "$INSTDIR_U" "$STARTMENU_U"
check "no uninstall entry left" bash -c '! wine reg query "$0" >/dev/null 2>&1' "$UNINST"
wine reg export 'HKCU\Software\Classes' "$(winpath "$WORK/classes-after.reg")" /y >/dev/null 2>&1 || abort "reg export (after)"
check "HKCU\\Software\\Classes is as before the install (.kmsenc, ProgID, verbs, Applications all gone)" bash -c '
  diff <(iconv -f UTF-16LE -t UTF-8 "$0" | tr -d "\r") <(iconv -f UTF-16LE -t UTF-8 "$1" | tr -d "\r")' \
  "$WORK/classes-before.reg" "$WORK/classes-after.reg"
check "the install folder is off the PATH again, the rest of it kept" bash -c '[ "$0" = "C:\tools;%USERPROFILE%\bin" ]' "$(regval 'HKCU\Environment' Path)"
check "App Paths entry removed" bash -c '! wine reg query "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\App Paths\\kmsdesk.exe" >/dev/null 2>&1'
list_files >"$WORK/files-after.txt"
check "no files left behind outside the user's data (%APPDATA%\\kmsdesk is kept on purpose)" diff "$WORK/files-before.txt" "$WORK/files-after.txt"
check "the user's data (%APPDATA%\\kmsdesk) is kept" test -d "$APPDATA_U/kmsdesk"
step_done

summary
[ "$FAILED" = 0 ]
