# packaging/version.sh: turns a `git describe --tags --always --dirty` string into the
# version forms the packages need (sourced by scripts/package.sh and scripts/test-package.sh).
#
#   git describe            file_version       pkg_version (deb/rpm)          win_version
#   v1.2.3                  v1.2.3             1.2.3                          1.2.3.0
#   v1.2.3-4-gabc1234       v1.2.3-4-gabc1234  1.2.3+4.gabc1234               1.2.3.4
#   v1.2.3-rc.1             v1.2.3-rc.1        1.2.3~rc.1                     1.2.3.0
#   v1.2.3-rc1-2-gabc-dirty …                  1.2.3~rc1+2.gabc.dirty         1.2.3.2
#   abc1234                 abc1234            0.0.0~gitabc1234               0.0.0.0
#   abc1234-dirty           abc1234-dirty      0.0.0~gitabc1234.dirty         0.0.0.0
#   dev (no git)            dev                0.0.0~dev                      0.0.0.0
#
# pkg_version sorts the way Debian and RPM compare versions: "~" sorts before anything,
# so 1.2.3~rc1 < 1.2.3 < 1.2.3+4.gabc1234, and an untagged build (0.0.0~git…) is older
# than every release. It contains only [0-9A-Za-z.+~] (valid for dpkg and rpm; rpm
# forbids "-"). win_version is the four-part numeric version Windows resources need.

# _kmsdesk_parse_version RAW: sets _kv_base _kv_pre _kv_n _kv_sha _kv_dirty _kv_other.
_kmsdesk_parse_version() {
  local v=$1
  _kv_base="" _kv_pre="" _kv_n="" _kv_sha="" _kv_dirty="" _kv_other=""
  if [[ $v == *-dirty ]]; then _kv_dirty=1; v=${v%-dirty}; fi
  if [[ $v =~ ^(.*)-([0-9]+)-g([0-9a-f]{4,40})$ ]]; then
    v=${BASH_REMATCH[1]} _kv_n=${BASH_REMATCH[2]} _kv_sha=${BASH_REMATCH[3]}
  fi
  v=${v#v}
  if [[ $v =~ ^([0-9]+\.[0-9]+\.[0-9]+)(-(.+))?$ ]]; then
    _kv_base=${BASH_REMATCH[1]} _kv_pre=${BASH_REMATCH[3]}
  elif [[ -z $_kv_n && $v =~ ^[0-9a-f]{4,40}$ ]]; then
    _kv_sha=$v
  else
    _kv_other=$v
  fi
}

# _kmsdesk_clean S: keeps [0-9A-Za-z.], everything else becomes ".".
_kmsdesk_clean() { local s=$1; printf '%s' "${s//[^0-9A-Za-z.]/.}"; }

# file_version RAW: the version as it appears in file names (git describe, made file-name safe).
file_version() {
  local s=$1
  printf '%s\n' "${s//[^0-9A-Za-z._+-]/-}"
}

# pkg_version RAW: the Debian/RPM version.
pkg_version() {
  _kmsdesk_parse_version "$1"
  local out plus=()
  if [[ -n $_kv_base ]]; then
    out=$_kv_base
    [[ -n $_kv_pre ]] && out+="~$(_kmsdesk_clean "$_kv_pre")"
    [[ -n $_kv_n ]] && plus+=("$_kv_n" "g$_kv_sha")
  elif [[ -n $_kv_sha ]]; then
    out="0.0.0~git$_kv_sha"
  else
    out="0.0.0~$(_kmsdesk_clean "${_kv_other:-unknown}")"
  fi
  [[ -n $_kv_dirty ]] && plus+=(dirty)
  if [[ ${#plus[@]} -gt 0 ]]; then
    local IFS=.
    if [[ -n $_kv_base ]]; then out+="+${plus[*]}"; else out+=".${plus[*]}"; fi
  fi
  printf '%s\n' "$out"
}

# win_version RAW: four numeric parts, each 0..65535 (Windows VERSIONINFO).
win_version() {
  _kmsdesk_parse_version "$1"
  local base=${_kv_base:-0.0.0} n=${_kv_n:-0} p
  for p in ${base//./ } "$n"; do
    if ((10#$p > 65535)); then echo "version part $p is too large for Windows (max 65535)" >&2; return 1; fi
  done
  printf '%s.%s\n' "$base" "$n"
}
