#!/usr/bin/env bash
# test-package.sh [--no-build] [VERSION]: builds the packages (scripts/package.sh, as
# `make package` does) and checks them end to end (`make package-test`):
#   0. the version mapping (packaging/version.sh) and how dpkg/rpm order the results
#   1. the third-party notices are complete and fresh (scripts/notices.sh --check); every
#      artifact in dist/ exists and has the right type, SHA256SUMS verifies (and a
#      tampered file does not), `make package` left no new files in the git tree
#   2. the .deb and .rpm metadata and contents (License Apache-2.0, Depends, .desktop,
#      MIME XML, icons, kmsctl and its man pages, the notices, the binary's WebKitGTK/glibc
#      needs); the .deb installs with apt-get, the installed app
#      starts under Xvfb from a .kmsenc "double-click" (xdg-open, as a GNOME file manager
#      would), shows its window, takes a second file from a second launch and the
#      selections of --encrypt/--decrypt launches and of each file manager's "Encrypt/
#      Decrypt with KMS Desk" action as one batch each (its log), the MIME and
#      desktop databases know .kmsenc, and apt-get remove takes everything away again
#   3. the NSIS installer contains the app, kmsctl.exe, LICENSE.txt, the notices, the
#      uninstaller and the WebView2 bootstrapper, and names the license in its version
#      resource (it is installed and run under Wine by scripts/test-windows.sh); the script
#      it is built from installs per user, registers .kmsenc, shows the license and offers
#      (off by default) to put kmsctl on the PATH
#   4. Authenticode: a build signed with a throw-away self-signed certificate verifies
#      with osslsigncode (installer, app inside it, uninstaller, portable exe, kmsctl)
#   5. sizes against the targets (installer <= 12 MB, .deb <= 12 MB, each with kmsctl)
# Needs root (apt-get install), Xvfb, xdotool, ImageMagick, dbus (scripts/install-deps.sh
# all). Screenshots go to build/test-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.bin:$PATH"
source scripts/lib.sh
source packaging/version.sh

build=1
RAW=""
for a in "$@"; do
  case "$a" in
    --no-build) build="" ;;
    -*) echo "usage: test-package.sh [--no-build] [VERSION]" >&2; exit 2 ;;
    *) RAW=$a ;;
  esac
done
[ -n "$RAW" ] || RAW=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
FV=$(file_version "$RAW")
PV=$(pkg_version "$RAW")
DIST=$ROOT/dist
ART=$ROOT/build/test-artifacts
mkdir -p "$ART"

work=$(mktemp -d)
APP_PID="" XVFB_PID="" installed=""
cleanup() {
  stop "$APP_PID" "$XVFB_PID"
  if [ -n "$installed" ]; then
    apt-get remove -y -qq -o DPkg::Lock::Timeout=300 kmsdesk >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

pass() { echo "PASS $*"; }
fail() {
  echo "FAIL $*" >&2
  exit 1
}
# expect_file_type FILE REGEX
expect_file_type() {
  local t
  t=$(file -b "$1")
  [[ $t =~ $2 ]] || fail "$(basename "$1"): type is '$t', want /$2/"
  pass "type $(basename "$1"): ${t%%,*}"
}
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB (%d bytes)", b / 1048576, b }'; }

for tool in file dpkg-deb rpm 7z osslsigncode makensis desktop-file-validate xdg-mime gio \
  Xvfb xdotool import convert openssl dbus-run-session; do
  command -v "$tool" >/dev/null || fail "missing tool $tool (run scripts/install-deps.sh all)"
done
[ "$(id -u)" = 0 ] || fail "run as root (the test installs the .deb with apt-get)"

echo "==> 0. version mapping"
while read -r raw want_pv want_wv; do
  got_pv=$(pkg_version "$raw") got_wv=$(win_version "$raw")
  [ "$got_pv" = "$want_pv" ] || fail "pkg_version $raw = $got_pv, want $want_pv"
  [ "$got_wv" = "$want_wv" ] || fail "win_version $raw = $got_wv, want $want_wv"
done <<'EOF'
v1.2.3 1.2.3 1.2.3.0
v1.2.3-dirty 1.2.3+dirty 1.2.3.0
v1.2.3-4-gabc1234 1.2.3+4.gabc1234 1.2.3.4
v1.2.3-rc.1 1.2.3~rc.1 1.2.3.0
v1.2.3-rc1-2-gabc1234-dirty 1.2.3~rc1+2.gabc1234.dirty 1.2.3.2
abc1234 0.0.0~gitabc1234 0.0.0.0
abc1234-dirty 0.0.0~gitabc1234.dirty 0.0.0.0
dev 0.0.0~dev 0.0.0.0
EOF
if win_version v1.70000.0 >/dev/null 2>&1; then fail "win_version accepted a part > 65535"; fi
# Each version must sort strictly before the next, for dpkg and for rpm.
order=(0.0.0~gitabc1234 0.0.0~gitabc1234.dirty 1.2.3~rc1 1.2.3~rc1+2.gabc1234 1.2.3 1.2.3+4.gabc1234 1.2.4~rc.1)
for ((i = 0; i + 1 < ${#order[@]}; i++)); do
  a=${order[i]} b=${order[i + 1]}
  dpkg --compare-versions "$a" lt "$b" || fail "dpkg does not sort $a before $b"
  [ "$(rpm --eval "%{lua: print(rpm.vercmp('$a', '$b'))}")" = -1 ] || fail "rpm does not sort $a before $b"
done
pass "version mapping: $RAW -> files $FV, deb/rpm $PV, Windows $(win_version "$RAW"); dpkg and rpm order it"

echo "==> 1. notices and artifacts"
scripts/notices.sh --check || fail "the third-party notices are stale or incomplete (make notices)"
pass "third-party notices: every shipped Go module and npm package has one, and the files are fresh"
if [ -n "$build" ]; then
  before=$(git status --porcelain=v1 --untracked-files=all | sort)
  t0=$(date +%s)
  scripts/package.sh "$RAW"
  echo "    scripts/package.sh took $(($(date +%s) - t0)) s"
  after=$(git status --porcelain=v1 --untracked-files=all | sort)
  # Other people may be editing sources meanwhile; only paths packaging writes count.
  new=$(comm -13 <(echo "$before") <(echo "$after") |
    grep -E ' (build/|packaging/|dist/|wails\.json|go\.(mod|sum)|frontend/wailsjs/|frontend/dist/|[^/]*\.syso)' || true)
  [ -z "$new" ] || fail "packaging changed the git tree (commit or ignore these):"$'\n'"$new"
  pass "git tree: packaging added or changed no tracked or unignored files"
fi
[ -d "$DIST" ] || fail "no dist/ (run make package)"
deb=$DIST/kmsdesk_${PV}_amd64.deb
rpmf=$DIST/kmsdesk-${PV}-1.x86_64.rpm
inst=$DIST/kmsdesk-$FV-windows-amd64-installer.exe
portable=$DIST/kmsdesk-$FV-windows-amd64.exe
for f in "$deb" "$rpmf" "$inst" "$portable" "$DIST/SHA256SUMS"; do
  [ -s "$f" ] || fail "missing $f"
done
expect_file_type "$deb" '^Debian binary package'
expect_file_type "$rpmf" '^RPM v3\.0 bin .*x86_64'
# A 64-bit NSIS installer: file(1) names no NSIS in a PE32+ file, its manifest does (and
# 7z reads it as an NSIS archive, step 3).
expect_file_type "$inst" '^PE32\+ executable \(GUI\) x86-64'
grep -qaF 'name="Nullsoft.NSIS.exehead"' "$inst" || fail "$(basename "$inst") is not an NSIS installer"
expect_file_type "$portable" '^PE32\+ executable \(GUI\) x86-64'
declare -A ctl_type=(
  [linux-amd64]='^ELF 64-bit LSB executable, x86-64.*statically linked'
  [linux-arm64]='^ELF 64-bit LSB executable, ARM aarch64.*statically linked'
  [windows-amd64.exe]='^PE32\+ executable \(console\) x86-64'
  [windows-arm64.exe]='^PE32\+ executable \(console\) Aarch64'
  [darwin-amd64]='^Mach-O 64-bit x86_64 executable'
  [darwin-arm64]='^Mach-O 64-bit arm64 executable'
)
for k in "${!ctl_type[@]}"; do
  f=$DIST/kmsctl-$FV-$k
  [ -s "$f" ] || fail "missing $f"
  expect_file_type "$f" "${ctl_type[$k]}"
done
got=$("$DIST/kmsctl-$FV-linux-amd64" version)
[ "$got" = "kmsctl $RAW" ] || fail "kmsctl version printed '$got', want 'kmsctl $RAW'"
pass "kmsctl version: $got"
n_listed=$(wc -l <"$DIST/SHA256SUMS")
n_files=$(find "$DIST" -maxdepth 1 -type f ! -name SHA256SUMS | wc -l)
[ "$n_listed" = "$n_files" ] || fail "SHA256SUMS lists $n_listed files, dist/ has $n_files"
(cd "$DIST" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c SHA256SUMS"
mkdir "$work/sums"
cp "$DIST/SHA256SUMS" "$DIST/kmsctl-$FV-linux-amd64" "$work/sums/"
grep " kmsctl-$FV-linux-amd64\$" "$DIST/SHA256SUMS" >"$work/sums/one"
(cd "$work/sums" && sha256sum --quiet -c one) || fail "sha256sum -c on a copy"
printf '\x00' | dd of="$work/sums/kmsctl-$FV-linux-amd64" bs=1 seek=4096 conv=notrunc status=none
if (cd "$work/sums" && sha256sum --quiet -c one >/dev/null 2>&1); then fail "a modified file still matched SHA256SUMS"; fi
pass "SHA256SUMS: $n_listed files verify with sha256sum -c; a modified file is caught"

echo "==> 2. Linux packages"
[ "$(dpkg-deb -f "$deb" Package)" = kmsdesk ] || fail "deb Package"
[ "$(dpkg-deb -f "$deb" Version)" = "$PV" ] || fail "deb Version $(dpkg-deb -f "$deb" Version), want $PV"
[ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] || fail "deb Architecture"
depends=$(dpkg-deb -f "$deb" Depends)
for d in 'libwebkit2gtk-4\.1-0' 'libgtk-3-0' 'libc6 \(>= 2\.34\)'; do
  [[ $depends =~ (^|, )$d(,|$) ]] || fail "deb Depends '$depends' lacks $d"
done
[[ $depends != *libwebkit2gtk-4.0* ]] || fail "deb depends on WebKitGTK 4.0 (gone in Ubuntu 24.04)"
pass "deb control: kmsdesk $PV amd64, Depends: $depends"
[ "$(rpm -qp --qf '%{LICENSE}' "$rpmf" 2>/dev/null)" = Apache-2.0 ] || fail "rpm License: $(rpm -qp --qf '%{LICENSE}' "$rpmf" 2>&1)"
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|' | sort >"$work/deb.list"
want=(/usr/bin/kmsdesk /usr/share/applications/kmsdesk.desktop /usr/share/mime/packages/kmsdesk.xml
  /usr/share/doc/kmsdesk/copyright /usr/share/doc/kmsdesk/THIRD_PARTY_NOTICES.txt /usr/bin/kmsctl
  /usr/share/man/man1/kmsctl.1.gz /usr/share/man/man1/kmsctl-encrypt.1.gz
  /usr/share/kio/servicemenus/kmsdesk-encrypt.desktop /usr/share/kio/servicemenus/kmsdesk-decrypt.desktop
  /usr/share/file-manager/actions/kmsdesk-encrypt.desktop /usr/share/file-manager/actions/kmsdesk-decrypt.desktop
  /usr/share/nemo/actions/kmsdesk-encrypt.nemo_action /usr/share/nemo/actions/kmsdesk-decrypt.nemo_action
  /usr/share/nautilus-python/extensions/kmsdesk.py)
for n in 16 22 24 32 48 64 128 256 512; do want+=("/usr/share/icons/hicolor/${n}x$n/apps/kmsdesk.png"); done
for p in "${want[@]}"; do grep -qx "$p" "$work/deb.list" || fail "deb lacks $p"; done
pass "deb contents: the app, kmsctl, .desktop, MIME XML, copyright, notices, man pages, 9 hicolor icons (16-512), file-manager actions"
dpkg-deb -x "$deb" "$work/deb"
grep -qx 'License: Apache-2.0' "$work/deb/usr/share/doc/kmsdesk/copyright" || fail "the deb's copyright file does not say License: Apache-2.0"
cmp -s "$work/deb/usr/share/doc/kmsdesk/THIRD_PARTY_NOTICES.txt" THIRD_PARTY_NOTICES.txt || fail "the deb's THIRD_PARTY_NOTICES.txt is not the repository's"
pass "license: rpm License Apache-2.0, deb copyright License: Apache-2.0, THIRD_PARTY_NOTICES.txt in /usr/share/doc/kmsdesk"
ctl=$work/deb/usr/bin/kmsctl
expect_file_type "$ctl" '^ELF 64-bit LSB executable, x86-64.*statically linked'
[ "$("$ctl" version)" = "kmsctl $RAW" ] || fail "kmsctl version in the deb printed '$("$ctl" version)'"
n_man=$(grep -c '^/usr/share/man/man1/kmsctl.*\.1\.gz$' "$work/deb.list")
((n_man >= 30)) || fail "only $n_man kmsctl man pages in the deb"
for page in "$work"/deb/usr/share/man/man1/kmsctl*.1.gz; do
  gzip -t "$page" && zcat "$page" | grep -q '^\.TH "KMSCTL" "1"' || fail "$(basename "$page") is not a section-1 man page"
done
zcat "$work/deb/usr/share/man/man1/kmsctl-encrypt.1.gz" | grep -q -- '--overwrite' || fail "kmsctl-encrypt.1 does not document --overwrite"
pass "kmsctl in the deb: /usr/bin/kmsctl ($("$ctl" version)), $n_man man pages in /usr/share/man/man1"
out=$(desktop-file-validate "$work/deb/usr/share/applications/kmsdesk.desktop" 2>&1) || fail "desktop-file-validate: $out"
if grep -E ': (error|warning):' <<<"$out"; then fail "desktop-file-validate reports problems"; fi
desktop=$work/deb/usr/share/applications/kmsdesk.desktop
grep -qx 'Exec=kmsdesk %F' "$desktop" || fail ".desktop Exec"
grep -qx 'MimeType=application/x-kmsenc;' "$desktop" || fail ".desktop MimeType"
pass "desktop-file-validate kmsdesk.desktop: ok (Exec=kmsdesk %F, MimeType=application/x-kmsenc;)"
# The right-click actions are KDE service menus, FileManager-Actions and Nemo actions
# (desktop-file-validate knows only Application/Link/Directory entries) and a Nautilus
# extension: each is parsed as its file manager reads it.
/usr/bin/python3 scripts/filemanager-actions.py validate "$work/deb" >"$work/fm.log" 2>&1 || { cat "$work/fm.log" >&2; fail "file-manager actions"; }
sed 's/^/    /' "$work/fm.log"
grep -q '^Recommends:.*python3-nautilus' <(dpkg-deb -f "$deb") || fail "the deb does not recommend python3-nautilus"
pass "file-manager actions: Dolphin, Caja/PCManFM-Qt (FileManager-Actions), Nemo, Nautilus run kmsdesk --encrypt|--decrypt -- FILES"
for n in 16 22 24 32 48 64 128 256 512; do
  d=$(identify -format '%wx%h' "$work/deb/usr/share/icons/hicolor/${n}x$n/apps/kmsdesk.png")
  [ "$d" = "${n}x$n" ] || fail "icon ${n}x$n is $d"
done
packaging/icons.sh --check || fail "the icons are not build/appicon.png resized"
pass "icons: every size has its dimensions and matches build/appicon.png resized"
# The MIME magic must be the .kmsenc magic from docs/FORMAT.md / backend/envelope.
grep -q '89 4B 4D 53 0D 0A 1A 0A' docs/FORMAT.md || fail "docs/FORMAT.md no longer documents the magic 89 4B 4D 53 0D 0A 1A 0A"
grep -q 'value="\\x89KMS\\r\\n\\x1a\\n"' "$work/deb/usr/share/mime/packages/kmsdesk.xml" || fail "MIME XML magic"
bin=$work/deb/usr/bin/kmsdesk
got=$("$bin" --version)
[ "$got" = "kmsdesk $RAW" ] || fail "kmsdesk --version in the deb printed '$got'"
needed=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
[[ $needed == *libwebkit2gtk-4.1.so.0* && $needed != *libwebkit2gtk-4.0* ]] || fail "the app links $needed"
glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
[ "$(printf '%s\n' "$glibc" GLIBC_2.35 | sort -V | tail -1)" = GLIBC_2.35 ] ||
  fail "the app needs $glibc; Ubuntu 22.04 has glibc 2.35"
pass "deb binary: $got, links WebKitGTK 4.1, needs at most $glibc (Ubuntu 22.04 has 2.35)"
[ "$(rpm -qp --qf '%{NAME} %{VERSION} %{RELEASE} %{ARCH}' "$rpmf" 2>/dev/null)" = "kmsdesk $PV 1 x86_64" ] ||
  fail "rpm header: $(rpm -qp --qf '%{NAME} %{VERSION} %{RELEASE} %{ARCH}' "$rpmf" 2>&1)"
rpm -qpl "$rpmf" 2>/dev/null | sort >"$work/rpm.list"
grep -v /usr/share/doc/ "$work/deb.list" | grep -v '/$' | while read -r p; do
  [ -d "$work/deb$p" ] || grep -qx "$p" "$work/rpm.list" || { echo "rpm lacks $p" >&2; exit 1; }
done || fail "the rpm lacks files of the deb"
requires=$(rpm -qpR "$rpmf" 2>/dev/null | tr '\n' ' ')
[[ $requires == *'libwebkit2gtk-4.1.so.0()(64bit)'* && $requires == *'libgtk-3.so.0()(64bit)'* ]] ||
  fail "rpm requires: $requires"
for p in /usr/bin/kmsctl /usr/share/man/man1/kmsctl.1.gz /usr/share/doc/kmsdesk/THIRD_PARTY_NOTICES.txt /usr/share/licenses/kmsdesk/LICENSE; do
  grep -qx "$p" "$work/rpm.list" || fail "the rpm lacks $p"
done
pass "rpm: kmsdesk $PV-1 x86_64, same files as the deb, requires the WebKitGTK 4.1 and GTK 3 sonames"

echo "==> 2b. install the .deb, run it, remove it"
export DEBIAN_FRONTEND=noninteractive
t0=$(date +%s)
installed=1
apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$deb" >"$work/apt-install.log" 2>&1 ||
  { cat "$work/apt-install.log" >&2; fail "apt-get install $deb"; }
[ "$(dpkg-query -W -f='${Status} ${Version}' kmsdesk)" = "install ok installed $PV" ] || fail "dpkg status"
for trig in shared-mime-info desktop-file-utils hicolor-icon-theme; do
  grep -q "Processing triggers for $trig" "$work/apt-install.log" || fail "dpkg did not run the $trig trigger"
done
pass "apt-get install ./$(basename "$deb"): installed in $(($(date +%s) - t0)) s; triggers ran (mime, desktop, icons)"
got=$(kmsdesk --version)
[ "$got" = "kmsdesk $RAW" ] || fail "installed kmsdesk --version printed '$got'"
[ "$(command -v kmsdesk)" = /usr/bin/kmsdesk ] || fail "kmsdesk is not /usr/bin/kmsdesk"
pass "installed: /usr/bin/kmsdesk --version -> $got"
[ "$(kmsctl version)" = "kmsctl $RAW" ] && [ "$(command -v kmsctl)" = /usr/bin/kmsctl ] || fail "installed kmsctl: $(kmsctl version 2>&1)"
pass "installed: /usr/bin/kmsctl version -> $(kmsctl version)"

# A private desktop session: own HOME, XDG dirs, session bus (Wails' single-instance
# lock uses D-Bus) and X display, so nothing of this machine's user setup interferes.
mkdir -p "$work/home" "$work/run" "$work/files"
chmod 700 "$work/run"
printf '\x89KMS\r\n\x1a\n\x01\x00\x01\x00\x00\x00\x40' >"$work/files/report.pdf.kmsenc"
cp "$work/files/report.pdf.kmsenc" "$work/files/no-extension"
printf 'plain text, not encrypted\n' >"$work/files/notes.txt"
cat >"$work/session.sh" <<'EOS'
set -euo pipefail
source "$ROOT/scripts/lib.sh"
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*" >&2; exit 1; }
f=$WORK/files
ft() { XDG_CURRENT_DESKTOP=$1 xdg-mime query filetype "$2"; }
for de in GNOME XFCE; do
  [ "$(ft $de "$f/report.pdf.kmsenc")" = application/x-kmsenc ] || fail "$de: filetype of report.pdf.kmsenc is $(ft $de "$f/report.pdf.kmsenc")"
  [ "$(ft $de "$f/no-extension")" = application/x-kmsenc ] || fail "$de: content sniffing gave $(ft $de "$f/no-extension")"
  [ "$(ft $de "$f/notes.txt")" = text/plain ] || fail "$de: notes.txt is $(ft $de "$f/notes.txt")"
done
pass "xdg-mime query filetype: *.kmsenc and an extension-less file with the magic -> application/x-kmsenc (GNOME, XFCE: shared-mime-info)"
if command -v mimetype >/dev/null; then
  [ "$(ft generic "$f/no-extension")" = application/x-kmsenc ] || fail "generic: $(ft generic "$f/no-extension")"
  pass "xdg-mime query filetype (generic, File::MimeInfo): application/x-kmsenc"
fi
for de in "" GNOME; do
  d=$(XDG_CURRENT_DESKTOP=$de xdg-mime query default application/x-kmsenc)
  [ "$d" = kmsdesk.desktop ] || fail "xdg-mime query default (${de:-generic}) = '$d'"
done
pass "xdg-mime query default application/x-kmsenc -> kmsdesk.desktop (generic and GNOME)"

start_xvfb
# This session's display goes with it, also when a check fails.
trap 'stop "$XVFB_PID"' EXIT
# "Double-click": xdg-open in a GNOME session hands the file to gio, which starts the
# default application's Exec line (kmsdesk %F) with the file.
XDG_CURRENT_DESKTOP=GNOME timeout 30 xdg-open "$f/report.pdf.kmsenc" >"$WORK/xdg-open.log" 2>&1 ||
  { cat "$WORK/xdg-open.log" >&2; fail "xdg-open report.pdf.kmsenc"; }
wid=""
for _ in $(seq 1 120); do
  wid=$(xdotool search --name '^KMS Desk$' 2>/dev/null | head -1) && [ -n "$wid" ] && break
  sleep 0.25
done
[ -n "$wid" ] || fail "no window titled 'KMS Desk' within 30 s of xdg-open"
pid=$(xdotool getwindowpid "$wid")
echo "$pid" >"$WORK/app.pid"
[ "$(readlink "/proc/$pid/exe")" = /usr/bin/kmsdesk ] || fail "the window belongs to $(readlink "/proc/$pid/exe")"
args=$(tr '\0' '\n' <"/proc/$pid/cmdline" | tail -n +2)
[ "$args" = "$f/report.pdf.kmsenc" ] || fail "the app was started with '$args'"
pass "xdg-open report.pdf.kmsenc started /usr/bin/kmsdesk $f/report.pdf.kmsenc (pid $pid), window $wid"
# The double-clicked file goes to the UI as one batch without an intent.
for _ in $(seq 1 120); do grep -q 'msg="files handed over" count=1 intent=none' "$KMSDESK_HOME/logs/kmsdesk.log" 2>/dev/null && break; sleep 0.25; done
grep -q 'msg="files handed over" count=1 intent=none' "$KMSDESK_HOME/logs/kmsdesk.log" || fail "the double-clicked file was not handed to the UI"
class=$(xprop -id "$wid" WM_CLASS 2>/dev/null || true)
[ -z "$class" ] || [[ $class == *'"kmsdesk"'* ]] || fail "WM_CLASS $class does not match StartupWMClass=kmsdesk"
# Opened with a file the app shows the Files view (the "ui ready" log line is the Keys
# view's startup measurement): wait until the window is drawn.
drawn=""
for _ in $(seq 1 60); do
  import -window root "$ART/installed-window.png"
  colors=$(convert "$ART/installed-window.png" -format '%k' info:)
  stddev=$(convert "$ART/installed-window.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
  awk -v c="$colors" -v s="$stddev" 'BEGIN { exit !(c > 50 && s > 0.05) }' && { drawn=1; break; }
  sleep 0.5
done
[ -n "$drawn" ] || fail "the window looks blank ($colors colours, grey stddev $stddev)"
pass "installed app window: screenshot $ART/installed-window.png ($colors colours, grey stddev $stddev)"
LOGF=$KMSDESK_HOME/logs/kmsdesk.log
lines() { wc -l <"$LOGF"; }
# expect_batch FROM LAUNCHES COUNT INTENT WHAT: after log line FROM, LAUNCHES launches
# reached the running app and became exactly one batch of COUNT files with INTENT. The
# batch is logged after the last launch it contains, so once a batch line follows the
# last launch line, every batch of these launches has been logged.
expect_batch() {
  local new="" ok=""
  for _ in $(seq 1 120); do
    new=$(tail -n +"$(($1 + 1))" "$LOGF")
    if [ "$(grep -c 'msg="second launch"' <<<"$new")" -ge "$2" ] &&
      awk '/msg="second launch"/ { l = NR } /msg="files handed over"/ { h = NR } END { exit !(h > l && l > 0) }' <<<"$new"; then
      ok=1
      break
    fi
    sleep 0.25
  done
  [ -n "$ok" ] || fail "$5: no batch after $2 launches: $(tail -5 "$LOGF")"
  [ "$(grep -c 'msg="second launch"' <<<"$new")" = "$2" ] || fail "$5: $(grep -c 'msg="second launch"' <<<"$new") launches, want $2"
  [ "$(grep -c 'msg="files handed over"' <<<"$new")" = 1 ] || fail "$5: $(grep 'files handed over' <<<"$new")"
  grep 'msg="files handed over"' <<<"$new" | grep -q "count=$3 intent=$4\$" ||
    fail "$5: $(grep 'files handed over' <<<"$new"), want count=$3 intent=$4"
  pass "$5: $2 launch(es), one batch, count=$3 intent=$4"
}
# A second launch (another double-click) must hand its file to the running app and exit.
b=$(lines)
rc=0
timeout 30 kmsdesk "$f/no-extension" >"$WORK/second.log" 2>&1 || rc=$?
[ "$rc" != 124 ] || fail "the second launch did not exit"
expect_batch "$b" 1 1 none "second launch (a double-click while it runs)"
[ "$(xdotool search --name '^KMS Desk$' | wc -l)" = 1 ] || fail "a second window opened"
kill -0 "$pid" || fail "the first instance died"
pass "second launch handed its file to the running instance (exit $rc) and opened no second window"

# Right-click "Encrypt/Decrypt with KMS Desk": every way the file managers start
# kmsdesk must reach the running app as one batch with the intent (its log).
printf 'a\n' >"$f/a.txt"; printf 'b\n' >"$f/b b.txt"; mkdir -p "$f/folder c"
# A launch that hands over exits at once (Wails exits the second instance with 1); a
# timeout (124) means it hung.
b=$(lines); rc=0; timeout 30 kmsdesk --encrypt "$f/a.txt" "$f/b b.txt" "$f/folder c" || rc=$?
[ "$rc" != 124 ] || fail "kmsdesk --encrypt a b c did not exit"
expect_batch "$b" 1 3 encrypt "kmsdesk --encrypt a b c while it runs"
# Explorer on Windows starts one process per selected file: the app gathers them.
b=$(lines); pids=()
for x in a.txt "b b.txt" "folder c"; do timeout 30 kmsdesk --encrypt "$f/$x" & pids+=($!); done
for p in "${pids[@]}"; do rc=0; wait "$p" || rc=$?; [ "$rc" != 124 ] || fail "a launch of kmsdesk --encrypt did not exit"; done
expect_batch "$b" 3 3 encrypt "three launches of kmsdesk --encrypt FILE at once (Explorer's way)"
cp "$f/report.pdf.kmsenc" "$f/second.kmsenc"
for fm in kde fma nemo nautilus; do
  b=$(lines)
  /usr/bin/python3 "$ROOT/scripts/filemanager-actions.py" run / "$fm-encrypt" "$f/a.txt" "$f/folder c" || fail "$fm-encrypt"
  expect_batch "$b" 1 2 encrypt "$fm: Encrypt with KMS Desk on a file and a folder"
  b=$(lines)
  /usr/bin/python3 "$ROOT/scripts/filemanager-actions.py" run / "$fm-decrypt" "$f/report.pdf.kmsenc" "$f/second.kmsenc" || fail "$fm-decrypt"
  expect_batch "$b" 1 2 decrypt "$fm: Decrypt with KMS Desk on two .kmsenc files"
done
[ "$(xdotool search --name '^KMS Desk$' | wc -l)" = 1 ] || fail "a second window opened"
stop "$pid"
stop "$XVFB_PID"
EOS
export ROOT ART WORK=$work
if ! HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_DATA_HOME=$work/home/.local/share \
  XDG_CACHE_HOME=$work/home/.cache XDG_RUNTIME_DIR=$work/run KMSDESK_HOME=$work/kmsdesk-home \
  timeout 180 dbus-run-session -- bash "$work/session.sh" 2> >(grep -v -E 'dbus-daemon|signal 10|SpiRegistry|GNOME_KEYRING|couldn.t access control socket' >&2); then
  [ -f "$work/app.pid" ] && APP_PID=$(cat "$work/app.pid")
  fail "the installed app session (log: $(tail -5 "$work/kmsdesk-home/logs/kmsdesk.log" 2>/dev/null))"
fi

t0=$(date +%s)
apt-get remove -y -qq -o DPkg::Lock::Timeout=300 kmsdesk >"$work/apt-remove.log" 2>&1 ||
  { cat "$work/apt-remove.log" >&2; fail "apt-get remove kmsdesk"; }
installed=""
if dpkg-query -W -f='${Status}' kmsdesk 2>/dev/null | grep -q installed; then fail "kmsdesk still installed"; fi
for p in "${want[@]}"; do [ ! -e "$p" ] || fail "$p is still there after apt-get remove"; done
if grep -q 'application/x-kmsenc' /usr/share/mime/types; then fail "the MIME database still has application/x-kmsenc"; fi
if grep -q 'x-kmsenc' /usr/share/applications/mimeinfo.cache; then fail "mimeinfo.cache still maps application/x-kmsenc"; fi
d=$(XDG_CONFIG_HOME=$work/home/.config XDG_DATA_HOME=$work/home/.local/share xdg-mime query default application/x-kmsenc)
[ -z "$d" ] || fail "xdg-mime still names $d for application/x-kmsenc"
pass "apt-get remove kmsdesk ($(($(date +%s) - t0)) s): binary, .desktop, MIME XML, icons gone; MIME and desktop databases updated"

echo "==> 3. Windows installer"
7z l -slt "$inst" >"$work/7z.list" || fail "7z l $inst"
grep -q '^Type = Nsis' "$work/7z.list" || fail "7z does not see an NSIS installer"
for p in kmsdesk.exe kmsctl.exe LICENSE.txt THIRD_PARTY_NOTICES.txt uninstall.exe '$PLUGINSDIR/MicrosoftEdgeWebview2Setup.exe' '$PLUGINSDIR/UserInfo.dll'; do
  grep -qxF "Path = $p" "$work/7z.list" || fail "the installer lacks $p"
done
mkdir "$work/nsis"
7z x -y -o"$work/nsis" "$inst" kmsdesk.exe kmsctl.exe LICENSE.txt THIRD_PARTY_NOTICES.txt uninstall.exe '$PLUGINSDIR/MicrosoftEdgeWebview2Setup.exe' >/dev/null
cmp -s "$work/nsis/kmsdesk.exe" "$portable" || fail "the app in the installer differs from $(basename "$portable")"
cmp -s "$work/nsis/kmsctl.exe" "$DIST/kmsctl-$FV-windows-amd64.exe" || fail "kmsctl.exe in the installer differs from kmsctl-$FV-windows-amd64.exe"
cmp -s "$work/nsis/LICENSE.txt" LICENSE || fail "LICENSE.txt in the installer is not LICENSE"
cmp -s "$work/nsis/THIRD_PARTY_NOTICES.txt" THIRD_PARTY_NOTICES.txt || fail "THIRD_PARTY_NOTICES.txt in the installer is not the repository's"
strings -el "$inst" | grep -qx 'Apache-2.0' || fail "the installer's version resource does not name the license"
pass "installer: kmsctl.exe (= kmsctl-$FV-windows-amd64.exe), LICENSE.txt, THIRD_PARTY_NOTICES.txt beside kmsdesk.exe; License Apache-2.0 in the version resource"
expect_file_type "$work/nsis/uninstall.exe" '^PE32\+ executable \(GUI\) x86-64'
grep -qaF 'name="Nullsoft.NSIS.exehead"' "$work/nsis/uninstall.exe" || fail "uninstall.exe is not NSIS's"
osslsigncode verify -in "$work/nsis/\$PLUGINSDIR/MicrosoftEdgeWebview2Setup.exe" >"$work/wv2.verify" 2>&1 || true
grep -q 'Subject: .*O=Microsoft Corporation' "$work/wv2.verify" || fail "the WebView2 bootstrapper is not signed by Microsoft"
pass "7z l: kmsdesk.exe (= the portable exe), uninstall.exe, Microsoft-signed MicrosoftEdgeWebview2Setup.exe"
# What makensis compiles, with every macro expanded (-SAFEPPO: preprocess only).
(cd build/windows/installer && makensis -SAFEPPO "-DARG_WAILS_AMD64_BINARY=$portable" "-DKMSDESK_KMSCTL_BINARY=$DIST/kmsctl-$FV-windows-amd64.exe" project.nsi) >"$work/nsi.pp" 2>"$work/nsi.pp.err" ||
  { cat "$work/nsi.pp.err" >&2; fail "makensis -SAFEPPO project.nsi"; }
while IFS= read -r line; do
  grep -qF -- "$line" "$work/nsi.pp" || fail "the installer script lacks: $line"
done <<'EOF'
RequestExecutionLevel user
StrCpy $INSTDIR "$LOCALAPPDATA\Programs\KMS Desk"
StrCpy $INSTDIR "$PROGRAMFILES64\KMS Desk"
WriteRegStr SHELL_CONTEXT "Software\Classes\.kmsenc" "" "KMSDesk.kmsenc"
WriteRegStr SHELL_CONTEXT "Software\Classes\.kmsenc" "Content Type" "application/x-kmsenc"
WriteRegStr SHELL_CONTEXT "Software\Classes\KMSDesk.kmsenc\shell\open\command" "" '"$INSTDIR\kmsdesk.exe" "%1"'
CreateShortcut "$SMPROGRAMS\KMS Desk.lnk" "$INSTDIR\kmsdesk.exe"
WriteUninstaller "$INSTDIR\uninstall.exe"
WriteRegStr SHELL_CONTEXT "Software\Microsoft\Windows\CurrentVersion\Uninstall\KMSDesk" "UninstallString" '"$INSTDIR\uninstall.exe"'
ExecWait '"$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe" /silent /install' $R1
DeleteRegKey SHELL_CONTEXT "Software\Classes\KMSDesk.kmsenc"
DeleteRegKey SHELL_CONTEXT "Software\Microsoft\Windows\CurrentVersion\Uninstall\KMSDesk"
WriteRegStr SHELL_CONTEXT "Software\Classes\*\shell\KMSDesk.Encrypt\command" "" '"$INSTDIR\kmsdesk.exe" --encrypt "%1"'
WriteRegStr SHELL_CONTEXT "Software\Classes\Directory\shell\KMSDesk.Encrypt\command" "" '"$INSTDIR\kmsdesk.exe" --encrypt "%1"'
WriteRegStr SHELL_CONTEXT "Software\Classes\SystemFileAssociations\.kmsenc\shell\KMSDesk.Decrypt\command" "" '"$INSTDIR\kmsdesk.exe" --decrypt "%1"'
WriteRegStr SHELL_CONTEXT "Software\Classes\*\shell\KMSDesk.Encrypt" "MultiSelectModel" "Player"
DeleteRegKey SHELL_CONTEXT "Software\Classes\*\shell\KMSDesk.Encrypt"
DeleteRegKey SHELL_CONTEXT "Software\Classes\Directory\shell\KMSDesk.Encrypt"
DeleteRegKey SHELL_CONTEXT "Software\Classes\SystemFileAssociations\.kmsenc\shell\KMSDesk.Decrypt"
LicenseData "..\..\..\LICENSE"
File "/oname=kmsctl.exe"
Section /o "$(KMSDESK_PATH_SECTION)" SecKmsctlPath
Push `/ADDTOPATH`
WriteRegExpandStr HKCU "Environment" "Path" "$R0"
DeleteRegValue HKCU "Environment" "Path"
Delete "$INSTDIR\kmsctl.exe"
EOF
if grep -qiE '^RMDir /r "?\$INSTDIR"?$' "$work/nsi.pp"; then fail "the uninstaller deletes \$INSTDIR recursively"; fi
pass "installer script: per-user (RequestExecutionLevel user, %LOCALAPPDATA%\\Programs), .kmsenc -> \"kmsdesk.exe\" \"%1\", Explorer verbs --encrypt/--decrypt, Start menu, license page, kmsctl on the PATH only if chosen (/ADDTOPATH), uninstaller, WebView2 bootstrapper (installed and run under Wine: make test-windows)"

echo "==> 4. Authenticode signing (self-signed test certificate)"
cert=$work/cert
mkdir "$cert"
openssl req -x509 -newkey rsa:3072 -sha256 -days 2 -nodes -subj "/CN=KMS Desk Test Signing/O=KMS Desk Test" \
  -addext "extendedKeyUsage=codeSigning" -addext "keyUsage=critical,digitalSignature" \
  -keyout "$cert/key.pem" -out "$cert/cert.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$cert/key.pem" -in "$cert/cert.pem" -out "$cert/sign.pfx" -passout pass:kmsdesk-test-pw
t0=$(date +%s)
KMSDESK_SIGN_PFX=$cert/sign.pfx KMSDESK_SIGN_PASSWORD=kmsdesk-test-pw \
  scripts/package.sh --only windows,kmsctl --dist "$work/signed" "$RAW" >"$work/signed.log" 2>&1 ||
  { cat "$work/signed.log" >&2; fail "signed package build"; }
grep -c '    signed ' "$work/signed.log" | grep -qx 5 || { cat "$work/signed.log" >&2; fail "expected 5 signed files (2 kmsctl, app, uninstaller, installer)"; }
echo "    signed build (app, uninstaller, installer, kmsctl): $(($(date +%s) - t0)) s"
# verify_signed FILE: the signature is present, intact and made by the test certificate.
verify_signed() {
  local f=$1 log=$work/verify.log
  osslsigncode verify -in "$f" -CAfile "$cert/cert.pem" >"$log" 2>&1 || { cat "$log" >&2; fail "osslsigncode verify $(basename "$f")"; }
  grep -q '^Signature verification: ok' "$log" || fail "$(basename "$f"): no 'Signature verification: ok'"
  grep -q 'Subject: /CN=KMS Desk Test Signing/O=KMS Desk Test' "$log" || fail "$(basename "$f"): wrong signer"
  local stored computed
  stored=$(sed -n 's/^Current message digest *: *\([0-9A-F]*\).*/\1/p' "$log")
  computed=$(sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' "$log")
  if [ -z "$stored" ] || [ "$stored" != "$computed" ]; then fail "$(basename "$f"): digest '$stored' != '$computed'"; fi
  pass "osslsigncode verify $(basename "$f"): Signature verification: ok, signer CN=KMS Desk Test Signing, digest $stored"
}
s_inst=$work/signed/$(basename "$inst")
verify_signed "$s_inst"
verify_signed "$work/signed/$(basename "$portable")"
verify_signed "$work/signed/kmsctl-$FV-windows-amd64.exe"
mkdir "$work/signed-x"
7z x -y -o"$work/signed-x" "$s_inst" kmsdesk.exe kmsctl.exe uninstall.exe >/dev/null
verify_signed "$work/signed-x/kmsdesk.exe"
verify_signed "$work/signed-x/kmsctl.exe"
cmp -s "$work/signed-x/kmsdesk.exe" "$work/signed/$(basename "$portable")" || fail "the installer holds another exe than the signed portable one"
verify_signed "$work/signed-x/uninstall.exe"
# Without the test root as trust anchor the chain is untrusted, as it would be for any
# self-signed certificate; the signature itself still matches the file.
osslsigncode verify -in "$s_inst" >"$work/untrusted.log" 2>&1 && fail "a self-signed chain verified without -CAfile"
grep -q 'self-signed certificate' "$work/untrusted.log" || fail "expected 'self-signed certificate' without -CAfile"
# Tampering: one changed byte in the signed installer must break the signature.
cp "$s_inst" "$work/tampered.exe"
printf '\xff' | dd of="$work/tampered.exe" bs=1 seek=$(($(stat -c %s "$s_inst") / 2)) conv=notrunc status=none
if osslsigncode verify -in "$work/tampered.exe" -CAfile "$cert/cert.pem" >"$work/tampered.log" 2>&1; then
  fail "a modified signed installer still verified"
fi
grep -q 'MISMATCH' "$work/tampered.log" || fail "expected a digest MISMATCH for the modified installer"
if osslsigncode verify -in "$inst" >/dev/null 2>&1; then fail "the unsigned dist installer verified"; fi
pass "signatures: untrusted chain reported without -CAfile, a changed byte is a digest MISMATCH, unsigned files do not verify"

echo "==> 5. sizes"
inst_size=$(stat -c %s "$inst") deb_size=$(stat -c %s "$deb")
echo "    Windows installer  $(mib "$inst_size")   (target <= 12 MB)"
echo "    .deb               $(mib "$deb_size")   (target <= 12 MB: the app and kmsctl)"
echo "    .rpm               $(mib "$(stat -c %s "$rpmf")")"
echo "    portable .exe      $(mib "$(stat -c %s "$portable")")"
echo "    kmsctl linux/amd64 $(mib "$(stat -c %s "$DIST/kmsctl-$FV-linux-amd64")")"
((inst_size <= 12000000)) || fail "the Windows installer is larger than 12 MB"
# 10 MB for the app alone, until kmsctl (about 3.9 MB of it, xz) came into the package.
((deb_size <= 12000000)) || fail "the .deb is larger than 12 MB"
pass "sizes within targets"
echo "==> package-test: all checks passed"
