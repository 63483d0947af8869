#!/usr/bin/env bash
# install-deps.sh [build|test|package|all]: installs what KMS Desk needs and is missing.
# Idempotent and non-interactive: apt packages (with retries), the pinned Wails CLI and
# dev tools into ./.bin, and the frontend's npm packages (npm ci from the lock file).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
what=${1:-build}

build_pkgs=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev)
test_pkgs=(xvfb xauth xdotool imagemagick chromium python3-gi gir1.2-gtk-3.0 gnome-keyring dbus libsecret-tools x11-utils fonts-wqy-microhei)
package_pkgs=(nsis rpm p7zip-full file osslsigncode desktop-file-utils shared-mime-info xdg-utils)

pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  package) pkgs+=("${package_pkgs[@]}") ;;
  all) pkgs+=("${test_pkgs[@]}" "${package_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|package|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing apt packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  for attempt in 1 2 3 4 5; do
    if $SUDO apt-get update -qq -o Acquire::Retries=3 &&
      $SUDO apt-get install -y -qq --no-install-recommends -o Acquire::Retries=3 -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null; then
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
if [ ! -x .bin/wails ] || [ tools/wails/go.sum -nt .bin/wails ]; then
  echo "==> building the Wails CLI (tools/wails)"
  (cd tools/wails && go build -o "$ROOT/.bin/wails" github.com/wailsapp/wails/v2/cmd/wails)
fi
if [ "$what" != build ]; then
  for tool in staticcheck:honnef.co/go/tools/cmd/staticcheck nfpm:github.com/goreleaser/nfpm/v2/cmd/nfpm; do
    name=${tool%%:*} pkg=${tool#*:}
    if [ ! -x ".bin/$name" ] || [ tools/dev/go.sum -nt ".bin/$name" ]; then
      echo "==> building $name (tools/dev)"
      (cd tools/dev && go build -o "$ROOT/.bin/$name" "$pkg")
    fi
  done
fi

scripts/npm-ci.sh
go mod download
