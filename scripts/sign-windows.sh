#!/usr/bin/env bash
# sign-windows.sh FILE...: Authenticode-signs Windows executables in place with
# osslsigncode (SHA-256), then checks that each file carries an intact signature.
#
# The certificate comes from the environment (never from arguments, so it does not show
# up in process lists or logs):
#   KMSDESK_SIGN_PFX            PKCS#12 file (.pfx/.p12): the code-signing key, its
#                               certificate and the intermediate CA certificates
#   KMSDESK_SIGN_PASSWORD       its password, or
#   KMSDESK_SIGN_PASSWORD_FILE  a file that contains the password
#   KMSDESK_SIGN_TIMESTAMP_URL  optional RFC 3161 timestamp server, e.g.
#                               http://timestamp.digicert.com. Use one for releases:
#                               without a timestamp the signature stops being valid
#                               when the certificate expires.
#   KMSDESK_SIGN_DESCRIPTION    optional (default "KMS Desk")
#   KMSDESK_SIGN_URL            optional (default https://github.com/kmsdesk/kmsdesk)
#
# scripts/package.sh calls this for kmsdesk.exe before it goes into the installer, for
# the uninstaller (through !uninstfinalize in project.nsi), for the installer and for
# the kmsctl .exe files, when KMSDESK_SIGN_PFX is set. Certificates kept in hardware
# (PKCS#11 tokens, cloud HSMs) are not supported yet; see docs/INSTALL.md.
set -euo pipefail

die() { echo "sign-windows.sh: $*" >&2; exit 1; }

[ $# -gt 0 ] || die "usage: sign-windows.sh FILE..."
command -v osslsigncode >/dev/null || die "osslsigncode is not installed (scripts/install-deps.sh package)"
[ -n "${KMSDESK_SIGN_PFX:-}" ] || die "KMSDESK_SIGN_PFX is not set: no certificate to sign with"
[ -r "$KMSDESK_SIGN_PFX" ] || die "cannot read KMSDESK_SIGN_PFX ($KMSDESK_SIGN_PFX)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"
passfile=$work/pass
if [ -n "${KMSDESK_SIGN_PASSWORD_FILE:-}" ]; then
  [ -r "$KMSDESK_SIGN_PASSWORD_FILE" ] || die "cannot read KMSDESK_SIGN_PASSWORD_FILE"
  passfile=$KMSDESK_SIGN_PASSWORD_FILE
else
  (umask 077 && printf '%s' "${KMSDESK_SIGN_PASSWORD:-}" >"$passfile")
fi

args=(-pkcs12 "$KMSDESK_SIGN_PFX" -readpass "$passfile" -h sha256
  -n "${KMSDESK_SIGN_DESCRIPTION:-KMS Desk}" -i "${KMSDESK_SIGN_URL:-https://github.com/kmsdesk/kmsdesk}")
if [ -n "${KMSDESK_SIGN_TIMESTAMP_URL:-}" ]; then
  args+=(-ts "$KMSDESK_SIGN_TIMESTAMP_URL")
fi

for f in "$@"; do
  [ -f "$f" ] || die "no such file: $f"
  out=$(dirname "$f")/.$(basename "$f").signing
  rm -f "$out"
  if ! osslsigncode sign "${args[@]}" -in "$f" -out "$out" >"$work/log" 2>&1; then
    rm -f "$out"
    cat "$work/log" >&2
    die "signing $f failed"
  fi
  # The chain need not be trusted here (a test certificate, or a CA this machine does not
  # know), but the signature must be there and cover the file as written: osslsigncode
  # prints the digest stored in the signature and the one it computes from the file.
  osslsigncode verify -in "$out" >"$work/verify" 2>&1 || true
  stored=$(sed -n 's/^Current message digest *: *\([0-9A-F]*\).*/\1/p' "$work/verify" | head -1)
  computed=$(sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' "$work/verify" | head -1)
  if [ -z "$stored" ] || [ "$stored" != "$computed" ]; then
    rm -f "$out"
    cat "$work/verify" >&2
    die "the signature of $f does not verify"
  fi
  # Keep the original's mode; replace it only once the signed copy is complete.
  chmod --reference="$f" "$out"
  mv -f "$out" "$f"
  subject=$(sed -n 's/^[[:space:]]*Subject: //p' "$work/verify" | head -1)
  echo "    signed $(basename "$f") (signer $subject${KMSDESK_SIGN_TIMESTAMP_URL:+, timestamped})"
done
