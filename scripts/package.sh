#!/usr/bin/env bash
# package.sh [--only linux,windows,kmsctl] [--dist DIR] [VERSION]
#
# Builds KMS Desk's installers and binaries into dist/ (`make package` runs it):
#   kmsdesk_<pkgver>_amd64.deb, kmsdesk-<pkgver>-1.x86_64.rpm   (WebKitGTK 4.1 build and kmsctl, nfpm)
#   kmsdesk-<ver>-windows-amd64-installer.exe                    (NSIS, per-user, kmsctl.exe, WebView2 bootstrapper)
#   kmsdesk-<ver>-windows-amd64.exe                              (the portable app)
#   kmsctl-<ver>-{linux,windows,darwin}-{amd64,arm64}[.exe]      (CGO_ENABLED=0)
#   SHA256SUMS                                                   (sha256sum -c SHA256SUMS)
# VERSION defaults to `git describe --tags --always --dirty`; <ver> is that string made
# file-name safe, <pkgver> its Debian/RPM form (packaging/version.sh). The version is
# compiled in with -X main.version, so `kmsdesk --version` and `kmsctl version` show it.
#
# Windows signing: with KMSDESK_SIGN_PFX (+ KMSDESK_SIGN_PASSWORD) set, kmsdesk.exe is
# signed before it goes into the installer, then the uninstaller, the installer and the
# kmsctl .exe files (scripts/sign-windows.sh). KMSDESK_REQUIRE_SIGNING=1 makes a missing
# certificate an error (release builds). macOS packages are built on a Mac:
# scripts/package-macos.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.bin:$PATH"
source packaging/version.sh

only=linux,windows,kmsctl
DIST=$ROOT/dist
RAW=""
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=$2; shift 2 ;;
    --dist) DIST=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "package.sh: unknown option $1" >&2; exit 2 ;;
    *) RAW=$1; shift ;;
  esac
done
want() { [[ ",$only," == *",$1,"* ]]; }
[ -n "$RAW" ] || RAW=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
FV=$(file_version "$RAW")
PV=$(pkg_version "$RAW")
WV=$(win_version "$RAW")

t_all=$(date +%s)
step_start=0
step() { step_start=$(date +%s); echo "==> package: $*"; }
step_done() { echo "    ($(($(date +%s) - step_start)) s)"; }

echo "==> package: version $RAW (files: $FV, deb/rpm: $PV, Windows: $WV) into ${DIST#"$ROOT"/}"

# A release tag must match wails.json's info.productVersion, which Wails writes into the
# Windows version resource and the macOS Info.plist.
if [[ $RAW =~ ^v?([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
  pv=$(node -p "require('./wails.json').info.productVersion")
  if [ "$pv" != "${BASH_REMATCH[1]}" ]; then
    echo "package.sh: tag $RAW but wails.json info.productVersion is $pv; set it to ${BASH_REMATCH[1]} first" >&2
    exit 1
  fi
fi

SIGN=""
if [ -n "${KMSDESK_SIGN_PFX:-}" ]; then
  SIGN=1
elif [ "${KMSDESK_REQUIRE_SIGNING:-}" = 1 ] && want windows; then
  echo "package.sh: KMSDESK_REQUIRE_SIGNING=1 but KMSDESK_SIGN_PFX is not set" >&2
  exit 1
fi

step "dependencies (scripts/install-deps.sh package)"
scripts/install-deps.sh package
step_done

mkdir -p "$DIST" build/bin
rm -f "$DIST"/kmsdesk[_-]* "$DIST"/kmsctl-* "$DIST"/SHA256SUMS
BIN=$ROOT/build/bin
LDFLAGS="-X main.version=$RAW"
WAILS=(wails build -m -skipbindings -nocolour -trimpath -ldflags "$LDFLAGS")

# check_version BINARY: the binary must report the version it was built with.
check_version() {
  local got
  got=$("$@" 2>&1) || { echo "$* failed: $got" >&2; exit 1; }
  [[ $got == *" $RAW" ]] || { echo "$* printed '$got', want the version $RAW" >&2; exit 1; }
}

if want kmsctl; then
  step "kmsctl for linux/windows/darwin x amd64/arm64"
  for os in linux windows darwin; do
    for arch in amd64 arm64; do
      ext=""
      [ "$os" = windows ] && ext=.exe
      CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "-s -w $LDFLAGS" \
        -o "$DIST/kmsctl-$FV-$os-$arch$ext" ./cmd/kmsctl
    done
  done
  check_version "$DIST/kmsctl-$FV-linux-amd64" version
  if [ -n "$SIGN" ]; then
    scripts/sign-windows.sh "$DIST/kmsctl-$FV-windows-amd64.exe" "$DIST/kmsctl-$FV-windows-arm64.exe"
  fi
  step_done
fi

if want linux || want windows; then
  # The frontend is built once, here, with wails.json's "frontend:build" command; both
  # wails builds then skip it (-s). Letting `wails build` do it would also run its
  # "frontend:install" (npm ci) whenever frontend/package.json.md5 is missing, a second
  # npm ci right after scripts/install-deps.sh's.
  step "frontend ($(node -p "require('./wails.json')['frontend:build']"))"
  (cd frontend && sh -c "$(node -p "require('../wails.json')['frontend:build']")") >"$BIN/.package-frontend.log" 2>&1 ||
    { cat "$BIN/.package-frontend.log" >&2; exit 1; }
  [ -s frontend/dist/index.html ] || { echo "the frontend build produced no frontend/dist/index.html" >&2; exit 1; }
  step_done
fi

if want linux; then
  step "desktop app for Linux (wails build -tags webkit2_41)"
  "${WAILS[@]}" -s -tags webkit2_41 -o kmsdesk-package-linux-amd64 >"$BIN/.package-linux.log" 2>&1 ||
    { cat "$BIN/.package-linux.log" >&2; exit 1; }
  check_version "$BIN/kmsdesk-package-linux-amd64" --version
  step_done

  step "kmsctl and its man pages for the .deb and .rpm"
  ctl=$BIN/kmsctl-package-linux-amd64
  CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "-s -w $LDFLAGS" -o "$ctl" ./cmd/kmsctl
  check_version "$ctl" version
  man=$BIN/kmsctl-man
  rm -rf "$man"
  "$ctl" __man "$man"
  gzip -9n "$man"/*.1
  step_done

  step ".deb and .rpm (nfpm)"
  export KMSDESK_PKG_VERSION=$PV KMSDESK_APP_BIN=$BIN/kmsdesk-package-linux-amd64 KMSDESK_CTL_BIN=$ctl KMSDESK_MAN_DIR=$man
  nfpm package --config packaging/nfpm.yaml --packager deb --target "$DIST/kmsdesk_${PV}_amd64.deb"
  nfpm package --config packaging/nfpm.yaml --packager rpm --target "$DIST/kmsdesk-${PV}-1.x86_64.rpm"
  step_done
fi

if want windows; then
  step "desktop app for Windows (wails build -platform windows/amd64)"
  "${WAILS[@]}" -s -platform windows/amd64 -o kmsdesk-package-windows-amd64.exe \
    >"$BIN/.package-windows.log" 2>&1 || { cat "$BIN/.package-windows.log" >&2; exit 1; }
  exe=$BIN/kmsdesk-package-windows-amd64.exe
  file -b "$exe" | grep -q '^PE32+ executable (GUI) x86-64' || { file "$exe" >&2; exit 1; }
  if [ -n "$SIGN" ]; then
    scripts/sign-windows.sh "$exe"
  fi
  cp "$exe" "$DIST/kmsdesk-$FV-windows-amd64.exe"
  step_done

  # kmsctl.exe goes into the installer too: the signed one of dist/ when it was built.
  ctl_exe=$DIST/kmsctl-$FV-windows-amd64.exe
  if ! want kmsctl; then
    ctl_exe=$BIN/kmsctl-package-windows-amd64.exe
    CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -ldflags "-s -w $LDFLAGS" -o "$ctl_exe" ./cmd/kmsctl
    if [ -n "$SIGN" ]; then
      scripts/sign-windows.sh "$ctl_exe"
    fi
  fi

  step "Windows installer (NSIS)"
  # The WebView2 bootstrapper ships inside the pinned Wails module (go.sum-checked).
  wails_dir=$(cd scripts/tools/wails && go list -m -f '{{.Dir}}' github.com/wailsapp/wails/v2)
  mkdir -p build/windows/installer/tmp
  install -m 0644 "$wails_dir/internal/webview2runtime/MicrosoftEdgeWebview2Setup.exe" \
    build/windows/installer/tmp/MicrosoftEdgeWebview2Setup.exe
  nsis=(-V2 "-DARG_WAILS_AMD64_BINARY=$exe" "-DKMSDESK_KMSCTL_BINARY=$ctl_exe" "-DKMSDESK_VERSION=$RAW" "-DKMSDESK_WIN_VERSION=$WV"
    "-DKMSDESK_OUTFILE=$DIST/kmsdesk-$FV-windows-amd64-installer.exe")
  [ -n "$SIGN" ] && nsis+=("-DKMSDESK_SIGN_UNINSTALLER=$ROOT/scripts/sign-windows.sh")
  (cd build/windows/installer && makensis "${nsis[@]}" project.nsi)
  if [ -n "$SIGN" ]; then
    scripts/sign-windows.sh "$DIST/kmsdesk-$FV-windows-amd64-installer.exe"
  else
    echo "    not signed (set KMSDESK_SIGN_PFX to sign; see docs/INSTALL.md)"
  fi
  step_done
fi

step "SHA256SUMS"
(
  cd "$DIST"
  files=()
  for f in kmsdesk[_-]* kmsctl-*; do [ -f "$f" ] && files+=("$f"); done
  [ ${#files[@]} -gt 0 ] || { echo "nothing was built" >&2; exit 1; }
  sha256sum -- "${files[@]}" >SHA256SUMS
  sha256sum --quiet -c SHA256SUMS
)
step_done

echo "==> package: done in $(($(date +%s) - t_all)) s"
(cd "$DIST" && ls -l --time-style=+ | awk 'NR > 1 { printf "    %10.1f MiB  %s\n", $5 / 1048576, $NF }')
