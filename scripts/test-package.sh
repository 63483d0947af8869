#!/usr/bin/env bash
# test-package.sh [--no-build] [VERSION]: builds the packages (scripts/package.sh, as
# `make package` does) and checks them end to end (`make package-test`):
#   0. the version mapping (packaging/version.sh) and how dpkg/rpm order the results
#   1. every artifact in dist/ exists and has the right type, SHA256SUMS verifies (and a
#      tampered file does not), `make package` left no new files in the git tree
#   2. the .deb and .rpm metadata and contents (Depends, .desktop, MIME XML, icons, the
#      binary's WebKitGTK/glibc needs); the .deb installs with apt-get, the installed app
#      starts under Xvfb from a .kmsenc "double-click" (xdg-open, as a GNOME file manager
#      would), shows its window, takes a second file from a second launch, the MIME and
#      desktop databases know .kmsenc, and apt-get remove takes everything away again
#   3. the NSIS installer contains the app, the uninstaller and the WebView2 bootstrapper;
#      the script it is built from installs per user and registers .kmsenc
#   4. Authenticode: a build signed with a throw-away self-signed certificate verifies
#      with osslsigncode (installer, app inside it, uninstaller, portable exe, kmsctl)
#   5. sizes against the targets (installer <= 12 MB, .deb <= 10 MB)
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

echo "==> 1. artifacts"
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
expect_file_type "$inst" '^PE32 executable \(GUI\) Intel 80386.*Nullsoft Installer self-extracting archive'
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
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|' | sort >"$work/deb.list"
want=(/usr/bin/kmsdesk /usr/share/applications/kmsdesk.desktop /usr/share/mime/packages/kmsdesk.xml
  /usr/share/doc/kmsdesk/copyright)
for n in 16 22 24 32 48 64 128 256 512; do want+=("/usr/share/icons/hicolor/${n}x$n/apps/kmsdesk.png"); done
for p in "${want[@]}"; do grep -qx "$p" "$work/deb.list" || fail "deb lacks $p"; done
pass "deb contents: the app, .desktop, MIME XML, copyright, 9 hicolor icons (16-512)"
dpkg-deb -x "$deb" "$work/deb"
out=$(desktop-file-validate "$work/deb/usr/share/applications/kmsdesk.desktop" 2>&1) || fail "desktop-file-validate: $out"
if grep -E ': (error|warning):' <<<"$out"; then fail "desktop-file-validate reports problems"; fi
desktop=$work/deb/usr/share/applications/kmsdesk.desktop
grep -qx 'Exec=kmsdesk %F' "$desktop" || fail ".desktop Exec"
grep -qx 'MimeType=application/x-kmsenc;' "$desktop" || fail ".desktop MimeType"
pass "desktop-file-validate kmsdesk.desktop: ok (Exec=kmsdesk %F, MimeType=application/x-kmsenc;)"
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
for _ in $(seq 1 120); do grep -q 'msg="ui ready"' "$KMSDESK_HOME/logs/kmsdesk.log" 2>/dev/null && break; sleep 0.25; done
grep -q 'msg="ui ready"' "$KMSDESK_HOME/logs/kmsdesk.log" || fail "the UI never reported ready"
sleep 1
class=$(xprop -id "$wid" WM_CLASS 2>/dev/null || true)
[ -z "$class" ] || [[ $class == *'"kmsdesk"'* ]] || fail "WM_CLASS $class does not match StartupWMClass=kmsdesk"
import -window root "$ART/installed-window.png"
colors=$(convert "$ART/installed-window.png" -format '%k' info:)
stddev=$(convert "$ART/installed-window.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
awk -v c="$colors" -v s="$stddev" 'BEGIN { exit !(c > 50 && s > 0.05) }' ||
  fail "the window looks blank ($colors colours, grey stddev $stddev)"
pass "installed app window: screenshot $ART/installed-window.png ($colors colours, grey stddev $stddev)"
# A second launch (another double-click) must hand its file to the running app and exit.
rc=0
timeout 30 kmsdesk "$f/no-extension" >"$WORK/second.log" 2>&1 || rc=$?
[ "$rc" != 124 ] || fail "the second launch did not exit"
for _ in $(seq 1 40); do grep -q 'msg="second launch" files=1' "$KMSDESK_HOME/logs/kmsdesk.log" && break; sleep 0.25; done
grep -q 'msg="second launch" files=1' "$KMSDESK_HOME/logs/kmsdesk.log" || fail "the running app did not get the second launch's file"
[ "$(xdotool search --name '^KMS Desk$' | wc -l)" = 1 ] || fail "a second window opened"
kill -0 "$pid" || fail "the first instance died"
pass "second launch handed its file to the running instance (exit $rc) and opened no second window"
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
for p in kmsdesk.exe uninstall.exe '$PLUGINSDIR/MicrosoftEdgeWebview2Setup.exe' '$PLUGINSDIR/UserInfo.dll'; do
  grep -qxF "Path = $p" "$work/7z.list" || fail "the installer lacks $p"
done
mkdir "$work/nsis"
7z x -y -o"$work/nsis" "$inst" kmsdesk.exe uninstall.exe '$PLUGINSDIR/MicrosoftEdgeWebview2Setup.exe' >/dev/null
cmp -s "$work/nsis/kmsdesk.exe" "$portable" || fail "the app in the installer differs from $(basename "$portable")"
expect_file_type "$work/nsis/uninstall.exe" '^PE32 executable \(GUI\) Intel 80386.*Nullsoft'
osslsigncode verify -in "$work/nsis/\$PLUGINSDIR/MicrosoftEdgeWebview2Setup.exe" >"$work/wv2.verify" 2>&1 || true
grep -q 'Subject: .*O=Microsoft Corporation' "$work/wv2.verify" || fail "the WebView2 bootstrapper is not signed by Microsoft"
pass "7z l: kmsdesk.exe (= the portable exe), uninstall.exe, Microsoft-signed MicrosoftEdgeWebview2Setup.exe"
# What makensis compiles, with every macro expanded (-SAFEPPO: preprocess only).
(cd build/windows/installer && makensis -SAFEPPO "-DARG_WAILS_AMD64_BINARY=$portable" project.nsi) >"$work/nsi.pp" 2>"$work/nsi.pp.err" ||
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
EOF
if grep -qiE '^RMDir /r "?\$INSTDIR"?$' "$work/nsi.pp"; then fail "the uninstaller deletes \$INSTDIR recursively"; fi
pass "installer script: per-user (RequestExecutionLevel user, %LOCALAPPDATA%\\Programs), .kmsenc -> \"kmsdesk.exe\" \"%1\", Start menu, uninstaller, WebView2 bootstrapper"

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
7z x -y -o"$work/signed-x" "$s_inst" kmsdesk.exe uninstall.exe >/dev/null
verify_signed "$work/signed-x/kmsdesk.exe"
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
echo "    .deb               $(mib "$deb_size")   (target <= 10 MB)"
echo "    .rpm               $(mib "$(stat -c %s "$rpmf")")"
echo "    portable .exe      $(mib "$(stat -c %s "$portable")")"
echo "    kmsctl linux/amd64 $(mib "$(stat -c %s "$DIST/kmsctl-$FV-linux-amd64")")"
((inst_size <= 12000000)) || fail "the Windows installer is larger than 12 MB"
((deb_size <= 10000000)) || fail "the .deb is larger than 10 MB"
pass "sizes within targets"
echo "==> package-test: all checks passed"
