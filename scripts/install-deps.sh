#!/usr/bin/env bash
# install-deps.sh [build|test|package|windows|all]: installs what KMS Desk needs and is missing.
# Idempotent and non-interactive: apt packages (with retries), the pinned Wails CLI and
# dev tools into ./.bin, and the frontend's npm packages (npm ci from the lock file).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
what=${1:-build}

build_pkgs=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev)
# The fonts of a Debian desktop, which the UI tests draw with: DejaVu Sans (the app's Linux
# sans, frontend/src/App.vue), WenQuanYi Micro Hei (Chinese) and Liberation (Chromium's
# default serif: the font test, frontend/e2e/fonts.test.mjs, checks no text falls back to it).
test_pkgs=(xvfb xauth xdotool imagemagick chromium python3-gi python3-cryptography gir1.2-gtk-3.0 gir1.2-webkit2-4.1 gnome-keyring dbus libsecret-tools x11-utils
  fonts-dejavu-core fonts-wqy-microhei fonts-liberation)
# gir1.2-nautilus-4.0: the file-manager test loads the Nautilus extension with the real
# Nautilus introspection data (scripts/filemanager-actions.py).
package_pkgs=(nsis rpm p7zip-full file osslsigncode desktop-file-utils shared-mime-info xdg-utils python3-gi gir1.2-nautilus-4.0)
# wine64 runs the Go test binaries, kmsctl.exe and the (64-bit) NSIS installer: no wine32,
# which needs the i386 architecture and a kernel that runs 32-bit programs (not every VM's
# does). mingw-w64 builds the test-only ProcessPrng shim (scripts/winshim).
windows_pkgs=(wine wine64 gcc-mingw-w64-x86-64-win32 xvfb xauth xdotool nsis p7zip-full file)

pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  package) pkgs+=("${package_pkgs[@]}") ;;
  windows) pkgs+=("${windows_pkgs[@]}") ;;
  all) pkgs+=("${test_pkgs[@]}" "${package_pkgs[@]}" "${windows_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|package|windows|all]" >&2; exit 2 ;;
esac

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing apt packages: ${missing[*]}"
  if [ -n "$SUDO" ]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  fi
  export DEBIAN_FRONTEND=noninteractive
  for attempt in 1 2 3 4 5; do
    if $SUDO apt-get update -qq -o Acquire::Retries=3 &&
      $SUDO apt-get install -y -qq --no-install-recommends -o Acquire::Retries=3 -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null; then
      break
    fi
    [ "$attempt" = 5 ] && { echo "apt-get failed 5 times" >&2; exit 1; }
    echo "apt-get failed (attempt $attempt); retrying in $((attempt * 10)) s" >&2
    sleep $((attempt * 10))
  done
fi

command -v go >/dev/null || { echo "Go is required (https://go.dev/dl/, 1.26 or newer)" >&2; exit 1; }
command -v npm >/dev/null || { echo "Node.js 20.19+ with npm is required" >&2; exit 1; }

mkdir -p .bin
# The Wails CLI v2.9.2, built from the pinned tools module: `go install .../wails@v2.9.2`
# does not build on Go >= 1.25 (its golang.org/x/tools is too old).
if [ ! -x .bin/wails ] || [ scripts/tools/wails/go.sum -nt .bin/wails ]; then
  echo "==> building the Wails CLI (scripts/tools/wails)"
  (cd scripts/tools/wails && go build -o "$ROOT/.bin/wails" github.com/wailsapp/wails/v2/cmd/wails)
fi
if [ "$what" != build ]; then
  for tool in staticcheck:honnef.co/go/tools/cmd/staticcheck nfpm:github.com/goreleaser/nfpm/v2/cmd/nfpm; do
    name=${tool%%:*} pkg=${tool#*:}
    if [ ! -x ".bin/$name" ] || [ scripts/tools/dev/go.sum -nt ".bin/$name" ]; then
      echo "==> building $name (scripts/tools/dev)"
      (cd scripts/tools/dev && go build -o "$ROOT/.bin/$name" "$pkg")
    fi
  done
fi

scripts/npm-ci.sh
go mod download
