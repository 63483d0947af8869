#!/usr/bin/env bash
# icons.sh [--check]: derives the Linux hicolor icons (packaging/linux/icons/<N>.png) from
# the one source image, build/appicon.png (1024x1024), with ImageMagick.
#
# The PNGs are committed, so packaging needs no ImageMagick and the .deb/.rpm contents do
# not depend on an ImageMagick version. Run this after changing build/appicon.png.
# --check regenerates into a temp dir and fails if a committed icon differs visibly from
# the regenerated one (scripts/test-package.sh runs it), so the icons cannot drift.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=(16 22 24 32 48 64 128 256 512)
SRC=build/appicon.png
OUT=packaging/linux/icons

command -v convert >/dev/null || { echo "icons.sh needs ImageMagick (apt-get install imagemagick)" >&2; exit 1; }
[ "$(identify -format '%wx%h' "$SRC")" = 1024x1024 ] || { echo "$SRC must be 1024x1024" >&2; exit 1; }

render() { # render SIZE DEST
  # Lanczos downscale in linear light, 8-bit RGBA, no timestamps or other metadata.
  convert "$SRC" -colorspace RGB -filter Lanczos -resize "$1x$1" -colorspace sRGB \
    -strip -define png:exclude-chunks=date,time "PNG32:$2"
}

if [ "${1:-}" = --check ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  fail=0
  for n in "${SIZES[@]}"; do
    f=$OUT/$n.png
    [ -f "$f" ] || { echo "missing $f (run packaging/icons.sh)" >&2; fail=1; continue; }
    dims=$(identify -format '%wx%h' "$f")
    [ "$dims" = "${n}x$n" ] || { echo "$f is $dims, want ${n}x$n" >&2; fail=1; continue; }
    render "$n" "$tmp/$n.png"
    # normalised RMSE over all channels; 0 = identical. Tolerates ImageMagick rounding
    # differences, not a changed source image.
    rmse=$(compare -metric RMSE "$f" "$tmp/$n.png" null: 2>&1 | sed -E 's/.*\(([0-9.e-]+)\).*/\1/')
    if ! awk -v r="$rmse" 'BEGIN { exit !(r + 0 < 0.01) }'; then
      echo "$f differs from build/appicon.png resized (RMSE $rmse): run packaging/icons.sh" >&2
      fail=1
    fi
  done
  exit $fail
fi

mkdir -p "$OUT"
for n in "${SIZES[@]}"; do
  render "$n" "$OUT/$n.png"
done
ls -l "$OUT"
