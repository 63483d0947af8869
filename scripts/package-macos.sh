#!/usr/bin/env bash
# package-macos.sh [VERSION]: the macOS release recipe (`make package-macos`). Runs on a Mac
# with Xcode (or its command-line tools), Go and Node.js; Wails cannot build for macOS
# from Linux (its darwin cross-build prints a warning and exits 0 without output).
#
# Produces in dist/:
#   kmsdesk-<ver>-macos-universal.dmg   KMS Desk.app (arm64 + x86_64), signed with the
#                                       hardened runtime, notarized and stapled; the DMG
#                                       itself signed, notarized and stapled
#   kmsctl-<ver>-darwin-{amd64,arm64}   signed and notarized (a bare binary cannot be
#                                       stapled; Gatekeeper checks it online)
#   SHA256SUMS
#
# Signing and notarization (all from the environment):
#   KMSDESK_MACOS_SIGN_IDENTITY   "Developer ID Application: <Name> (<TEAMID>)"
#   KMSDESK_MACOS_CERT_P12        optional: a .p12 with that identity, imported into a
#   KMSDESK_MACOS_CERT_PASSWORD   temporary keychain for this run (CI); else the login
#                                 keychain must hold it
#   notarytool credentials, one of:
#     KMSDESK_NOTARY_PROFILE      a profile saved with `xcrun notarytool store-credentials`
#     KMSDESK_NOTARY_KEY, KMSDESK_NOTARY_KEY_ID, KMSDESK_NOTARY_ISSUER
#                                 an App Store Connect API key (.p8 path, key id, issuer)
#     KMSDESK_NOTARY_APPLE_ID, KMSDESK_NOTARY_TEAM_ID, KMSDESK_NOTARY_PASSWORD
#                                 an Apple ID with an app-specific password
# Without KMSDESK_MACOS_SIGN_IDENTITY the app is only ad-hoc signed and not notarized:
# good for trying the bundle on this Mac, not for distribution (Gatekeeper refuses it on
# other Macs). KMSDESK_REQUIRE_SIGNING=1 turns that into an error.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.bin:$PATH"
source packaging/version.sh

die() { echo "package-macos.sh: $*" >&2; exit 1; }
[ "$(uname -s)" = Darwin ] || die "run this on macOS (Wails cannot cross-build the macOS app)"
for t in go npm xcrun codesign hdiutil ditto lipo plutil spctl; do
  command -v "$t" >/dev/null || die "missing $t (install Xcode command-line tools, Go 1.26+, Node.js 20.19+)"
done

RAW=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
FV=$(file_version "$RAW")
DIST=$ROOT/dist
APP="$ROOT/build/bin/KMS Desk.app"
DMG=$DIST/kmsdesk-$FV-macos-universal.dmg
IDENTITY=${KMSDESK_MACOS_SIGN_IDENTITY:-}
work=$(mktemp -d)
keychain=""
cleanup() {
  if [ -n "$keychain" ]; then security delete-keychain "$keychain" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ $RAW =~ ^v?([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
  pv=$(node -p "require('./wails.json').info.productVersion")
  [ "$pv" = "${BASH_REMATCH[1]}" ] || die "tag $RAW but wails.json info.productVersion is $pv"
fi
if [ -z "$IDENTITY" ] && [ "${KMSDESK_REQUIRE_SIGNING:-}" = 1 ]; then
  die "KMSDESK_REQUIRE_SIGNING=1 but KMSDESK_MACOS_SIGN_IDENTITY is not set"
fi

notary=()
if [ -n "${KMSDESK_NOTARY_PROFILE:-}" ]; then
  notary=(--keychain-profile "$KMSDESK_NOTARY_PROFILE")
elif [ -n "${KMSDESK_NOTARY_KEY:-}" ]; then
  notary=(--key "$KMSDESK_NOTARY_KEY" --key-id "${KMSDESK_NOTARY_KEY_ID:?}" --issuer "${KMSDESK_NOTARY_ISSUER:?}")
elif [ -n "${KMSDESK_NOTARY_APPLE_ID:-}" ]; then
  notary=(--apple-id "$KMSDESK_NOTARY_APPLE_ID" --team-id "${KMSDESK_NOTARY_TEAM_ID:?}" --password "${KMSDESK_NOTARY_PASSWORD:?}")
fi
if [ -n "$IDENTITY" ] && [ ${#notary[@]} -eq 0 ]; then
  die "a signing identity without notarytool credentials: set KMSDESK_NOTARY_PROFILE (or the API key / Apple ID variables)"
fi

# CI: put the Developer ID certificate into a temporary keychain that this run deletes.
if [ -n "${KMSDESK_MACOS_CERT_P12:-}" ]; then
  keychain=$work/signing.keychain-db
  kpass=$(openssl rand -hex 24)
  security create-keychain -p "$kpass" "$keychain"
  security set-keychain-settings -lut 3600 "$keychain"
  security unlock-keychain -p "$kpass" "$keychain"
  security import "$KMSDESK_MACOS_CERT_P12" -k "$keychain" -P "${KMSDESK_MACOS_CERT_PASSWORD:-}" \
    -T /usr/bin/codesign >/dev/null
  security set-key-partition-list -S apple-tool:,apple: -s -k "$kpass" "$keychain" >/dev/null
  # shellcheck disable=SC2046 # the list is one path per line, without spaces
  security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
fi

echo "==> package-macos: version $RAW"
if [ ! -x .bin/wails ] || [ scripts/tools/wails/go.sum -nt .bin/wails ]; then
  mkdir -p .bin
  (cd scripts/tools/wails && go build -o "$ROOT/.bin/wails" github.com/wailsapp/wails/v2/cmd/wails)
fi
(cd frontend && npm ci --no-audit --no-fund --loglevel=error)

echo "==> package-macos: KMS Desk.app (darwin/universal)"
rm -rf "$APP"
wails build -m -skipbindings -nocolour -trimpath -platform darwin/universal -ldflags "-X main.version=$RAW"
# `wails build` exits 0 even when it produced nothing (e.g. cross-builds): check.
[ -x "$APP/Contents/MacOS/kmsdesk" ] || die "wails build produced no $APP/Contents/MacOS/kmsdesk"
archs=$(lipo -archs "$APP/Contents/MacOS/kmsdesk")
[[ $archs == *x86_64* && $archs == *arm64* ]] || die "the app is not universal ($archs)"
[ "$(plutil -extract CFBundleExecutable raw "$APP/Contents/Info.plist")" = kmsdesk ] || die "Info.plist CFBundleExecutable"
got=$("$APP/Contents/MacOS/kmsdesk" --version)
[ "$got" = "kmsdesk $RAW" ] || die "kmsdesk --version printed '$got'"

# notarize FILE: submits FILE (.zip or .dmg) and waits; fails unless Apple accepts it.
notarize() {
  local out id status
  out=$(xcrun notarytool submit "$1" "${notary[@]}" --wait --timeout 45m --output-format json)
  id=$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' <<<"$out" | head -1)
  status=$(sed -n 's/.*"status" *: *"\([^"]*\)".*/\1/p' <<<"$out" | head -1)
  if [ "$status" != Accepted ]; then
    echo "$out" >&2
    if [ -n "$id" ]; then xcrun notarytool log "$id" "${notary[@]}" >&2 || true; fi
    die "notarization of $(basename "$1") ended with status '${status:-unknown}'"
  fi
  echo "    notarized $(basename "$1") (submission $id)"
}

if [ -n "$IDENTITY" ]; then
  echo "==> package-macos: sign (hardened runtime), notarize, staple the app"
  codesign --force --timestamp --options runtime --entitlements build/darwin/entitlements.plist \
    --sign "$IDENTITY" "$APP"
  codesign --verify --strict --deep --verbose=2 "$APP"
  codesign -dv "$APP" 2>&1 | grep -q 'flags=.*runtime' || die "the app is not signed with the hardened runtime"
  ditto -c -k --keepParent "$APP" "$work/app.zip"
  notarize "$work/app.zip"
  xcrun stapler staple "$APP"
  xcrun stapler validate "$APP"
  spctl --assess --type execute --verbose=2 "$APP"
else
  echo "WARNING: KMSDESK_MACOS_SIGN_IDENTITY is not set: ad-hoc signature, no notarization." >&2
  echo "         Other Macs will refuse this app ('damaged' / 'unidentified developer')." >&2
  codesign --force --sign - --options runtime --entitlements build/darwin/entitlements.plist "$APP"
fi

echo "==> package-macos: DMG"
mkdir -p "$DIST" "$work/dmg"
rm -f "$DMG"
ditto "$APP" "$work/dmg/KMS Desk.app"
ln -s /Applications "$work/dmg/Applications"
hdiutil create -volname "KMS Desk" -srcfolder "$work/dmg" -fs HFS+ -format UDZO -imagekey zlib-level=9 -ov "$DMG"
if [ -n "$IDENTITY" ]; then
  codesign --force --timestamp --sign "$IDENTITY" "$DMG"
  notarize "$DMG"
  xcrun stapler staple "$DMG"
  xcrun stapler validate "$DMG"
  spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG"
fi

echo "==> package-macos: kmsctl for darwin/amd64 and darwin/arm64"
for arch in amd64 arm64; do
  out=$DIST/kmsctl-$FV-darwin-$arch
  CGO_ENABLED=0 GOOS=darwin GOARCH=$arch go build -trimpath -ldflags "-s -w -X main.version=$RAW" -o "$out" ./cmd/kmsctl
  if [ -n "$IDENTITY" ]; then
    codesign --force --timestamp --options runtime --identifier com.kmsdesk.kmsctl --sign "$IDENTITY" "$out"
    ditto -c -k "$out" "$work/kmsctl-$arch.zip"
    notarize "$work/kmsctl-$arch.zip"
  else
    codesign --force --sign - --identifier com.kmsdesk.kmsctl "$out"
  fi
done
got=$("$DIST/kmsctl-$FV-darwin-$(uname -m | sed 's/x86_64/amd64/')" version)
[ "$got" = "kmsctl $RAW" ] || die "kmsctl version printed '$got'"

(cd "$DIST" && shasum -a 256 "$(basename "$DMG")" "kmsctl-$FV-darwin-amd64" "kmsctl-$FV-darwin-arm64" >SHA256SUMS)
echo "==> package-macos: done"
ls -l "$DIST"
