#!/usr/bin/env bash
# bench-files.sh: file encryption through the jobs layer, measured the way a user runs
# it: kmsctl encrypt/decrypt against a local KMS over loopback ('kmsctl local serve'),
# against cp of the same file on the same disk, in one run.
#
#   scripts/bench-files.sh                       # 1 GiB best of 3, 4 GiB once, 1000 files
#   RUNS=5 BIG_GIB=0 SUITES=sm4 BENCH_DIR=/mnt/ssd/tmp scripts/bench-files.sh
#
# Each suite in SUITES (aes = AES-256-GCM, sm4 = SM4-GCM, 国密) gets its own encrypt and
# decrypt rows (kmsctl encrypt --suite).
#
# Wall times include a final `sync`, so cp (which leaves its data in the page cache) and
# kmsctl (which fsyncs before renaming) are compared with their data on disk. Every
# input is warm in the page cache, for every tool alike. CPU is user+sys seconds per
# GiB and peak RSS is "Maximum resident set size", both from /usr/bin/time. KMS calls
# are counted from the local KMS request log (one line per request on its stderr).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
GIB=${GIB:-1}        # size of the timed file
BIG_GIB=${BIG_GIB:-4} # size of the second file for the RSS comparison (0 = skip)
FILES=${FILES:-1000} # files in the batch whose KMS calls are counted
SUITES=${SUITES:-"aes sm4"}

if [[ ! -x /usr/bin/time ]]; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		echo "==> installing GNU time (Debian package 'time')"
		apt-get install -y -qq time >/dev/null
	else
		echo "bench-files: /usr/bin/time is missing: apt-get install time" >&2
		exit 1
	fi
fi

if [[ -n ${BENCH_DIR:-} ]]; then
	DIR=$(mktemp -d "$BENCH_DIR/kmsdesk-files-bench.XXXXXX")
else
	DIR=$(mktemp -d /var/tmp/kmsdesk-files-bench.XXXXXX)
fi
SERVE_PID=
cleanup() {
	if [[ -n $SERVE_PID ]]; then
		kill "$SERVE_PID" 2>/dev/null || true
		wait "$SERVE_PID" 2>/dev/null || true
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT

K=$DIR/kmsctl
echo "==> building kmsctl"
CGO_ENABLED=0 go build -trimpath -o "$K" ./cmd/kmsctl

echo "==> starting the local KMS on loopback"
"$K" local credentials create --data "$DIR/kms" --master-key file --json >"$DIR/cred.json"
TENCENTCLOUD_SECRET_ID=$(sed -n 's/.*"secretId": *"\([^"]*\)".*/\1/p' "$DIR/cred.json")
TENCENTCLOUD_SECRET_KEY=$(sed -n 's/.*"secretKey": *"\([^"]*\)".*/\1/p' "$DIR/cred.json")
export TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY
rm -f "$DIR/cred.json"
"$K" local serve --data "$DIR/kms" --master-key file --listen 127.0.0.1:0 >"$DIR/serve.out" 2>"$DIR/serve.log" &
SERVE_PID=$!
URL=
for _ in $(seq 1 100); do
	URL=$(sed -n 's/^local KMS listening on //p' "$DIR/serve.out")
	[[ -n $URL ]] && break
	sleep 0.1
done
[[ -n $URL ]] || { echo "the local KMS did not start" >&2; cat "$DIR/serve.log" >&2; exit 1; }
KEY=$("$K" --endpoint "$URL" --json keys create bench-files | sed -n 's/.*"keyId": *"\([^"]*\)".*/\1/p')
[[ -n $KEY ]] || { echo "could not create a key" >&2; exit 1; }

# measure CMD...: runs CMD under /usr/bin/time, then sync; sets WALL (s, with the
# sync), CPU (user+sys s) and RSS (KiB).
measure() {
	sync
	local t0 t1 u s
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S %M' -o "$DIR/time.txt" "$@" >/dev/null 2>>"$DIR/cmd.err" || {
		echo "failed: $*" >&2
		cat "$DIR/cmd.err" >&2
		exit 1
	}
	sync
	t1=$(date +%s.%N)
	read -r u s RSS <"$DIR/time.txt"
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}

# stats VALUES...: "best spread-low–spread-high" (best = minimum).
stats() { printf '%s\n' "$@" | sort -g | awk 'NR==1 { lo = $1 } { hi = $1 } END { printf "%s %s %s", lo, lo, hi }'; }

kms_calls() { grep -c 'msg="localkms request"' "$DIR/serve.log" || true; }
kms_action() { grep 'msg="localkms request"' "$DIR/serve.log" | grep -c "action=$1 " || true; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
summary=
echo "==> writing a ${GIB} GiB random file in $DIR"
head -c $((GIB << 30)) /dev/urandom >"$DIR/in.bin"
cat "$DIR/in.bin" >/dev/null

# Per suite: space-separated values of every run.
declare -a cpw cpc cpr
declare -A encw encc encr decw decc decr
for r in $(seq 1 "$RUNS"); do
	echo "==> run $r of $RUNS"
	rm -rf "$DIR/cp.bin" "$DIR/enc" "$DIR/dec"
	measure cp "$DIR/in.bin" "$DIR/cp.bin"
	cpw+=("$WALL") cpc+=("$CPU") cpr+=("$RSS")
	rm -f "$DIR/cp.bin"
	for s in $SUITES; do
		measure "$K" --endpoint "$URL" encrypt --key "$KEY" --suite "$s" -o "$DIR/enc" "$DIR/in.bin"
		encw[$s]+=" $WALL" encc[$s]+=" $CPU" encr[$s]+=" $RSS"
		cat "$DIR/enc/in.bin.kmsenc" >/dev/null
		measure "$K" --endpoint "$URL" decrypt -o "$DIR/dec" "$DIR/enc/in.bin.kmsenc"
		decw[$s]+=" $WALL" decc[$s]+=" $CPU" decr[$s]+=" $RSS"
		cmp -s "$DIR/in.bin" "$DIR/dec/in.bin" || { echo "the decrypted file differs" >&2; exit 1; }
		rm -rf "$DIR/enc" "$DIR/dec"
	done
done
rm -rf "$DIR/in.bin" "$DIR/enc" "$DIR/dec"

declare -A big_enc_rss big_dec_rss big_enc_cpu big_dec_cpu
if [[ $BIG_GIB -gt 0 ]]; then
	echo "==> ${BIG_GIB} GiB file (peak RSS must not grow with the size)"
	head -c $((BIG_GIB << 30)) /dev/urandom >"$DIR/big.bin"
	for s in $SUITES; do
		cat "$DIR/big.bin" >/dev/null
		measure "$K" --endpoint "$URL" encrypt --key "$KEY" --suite "$s" -o "$DIR/enc" "$DIR/big.bin"
		big_enc_rss[$s]=$RSS big_enc_cpu[$s]=$(awk -v c="$CPU" -v g="$BIG_GIB" 'BEGIN { printf "%.2f", c / g }')
		cat "$DIR/enc/big.bin.kmsenc" >/dev/null
		measure "$K" --endpoint "$URL" decrypt -o "$DIR/dec" "$DIR/enc/big.bin.kmsenc"
		big_dec_rss[$s]=$RSS big_dec_cpu[$s]=$(awk -v c="$CPU" -v g="$BIG_GIB" 'BEGIN { printf "%.2f", c / g }')
		rm -rf "$DIR/enc" "$DIR/dec"
	done
	rm -f "$DIR/big.bin"
fi

echo "==> a batch of $FILES small files"
mkdir -p "$DIR/many"
for i in $(seq -w 1 "$FILES"); do
	printf 'file %s %s\n' "$i" "$RANDOM$RANDOM" >"$DIR/many/f$i.txt"
done
c0=$(kms_calls) g0=$(kms_action GenerateDataKey) l0=$(kms_action ListAlgorithms)
measure "$K" --endpoint "$URL" encrypt --key "$KEY" -r -o "$DIR/many-enc" "$DIR/many"
many_enc_wall=$WALL
c1=$(kms_calls) g1=$(kms_action GenerateDataKey) d1=$(kms_action Decrypt) l1=$(kms_action ListAlgorithms)
measure "$K" --endpoint "$URL" decrypt -o "$DIR/many-dec" "$DIR/many-enc/many"
many_dec_wall=$WALL
c2=$(kms_calls) d2=$(kms_action Decrypt)
diff -r "$DIR/many" "$DIR/many-dec/many" >/dev/null || { echo "the decrypted batch differs" >&2; exit 1; }
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

read -r cp_best cp_lo cp_hi <<<"$(stats "${cpw[@]}")"
read -r cpc_best _ cpc_hi <<<"$(stats "${cpc[@]}")"
read -r _ _ cpr_hi <<<"$(stats "${cpr[@]}")"

mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f MiB", k / 1024 }'; }
pergib() { awk -v c="$1" -v g="$GIB" 'BEGIN { printf "%.2f", c / g }'; }
mbs() { awk -v w="$1" -v g="$GIB" 'BEGIN { printf "%.0f MB/s", g * 1073741824 / w / 1e6 }'; }

echo
echo "KMS Desk file benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r), disk of $DIR"
echo "load average before: $LOAD_BEFORE, after: $LOAD_AFTER (a shared machine makes wall times noisy)"
echo
printf '%-28s %9s %-19s %11s %-17s %11s\n' "${GIB} GiB, best of $RUNS" "wall" "  spread" "rate" "  CPU s/GiB" "peak RSS"
printf '%-28s %8ss %7s–%-7s s %11s %7s–%-7s %11s\n' "cp (+sync)" "$cp_best" "$cp_lo" "$cp_hi" "$(mbs "$cp_best")" "$(pergib "$cpc_best")" "$(pergib "$cpc_hi")" "$(mib "$cpr_hi")"
for s in $SUITES; do
	# shellcheck disable=SC2086 # the per-suite lists split on purpose
	{
		read -r enc_best enc_lo enc_hi <<<"$(stats ${encw[$s]})"
		read -r dec_best dec_lo dec_hi <<<"$(stats ${decw[$s]})"
		read -r encc_best _ encc_hi <<<"$(stats ${encc[$s]})"
		read -r decc_best _ decc_hi <<<"$(stats ${decc[$s]})"
		read -r _ _ encr_hi <<<"$(stats ${encr[$s]})"
		read -r _ _ decr_hi <<<"$(stats ${decr[$s]})"
	}
	printf '%-28s %8ss %7s–%-7s s %11s %7s–%-7s %11s\n' "kmsctl encrypt --suite $s" "$enc_best" "$enc_lo" "$enc_hi" "$(mbs "$enc_best")" "$(pergib "$encc_best")" "$(pergib "$encc_hi")" "$(mib "$encr_hi")"
	printf '%-28s %8ss %7s–%-7s s %11s %7s–%-7s %11s\n' "kmsctl decrypt ($s)" "$dec_best" "$dec_lo" "$dec_hi" "$(mbs "$dec_best")" "$(pergib "$decc_best")" "$(pergib "$decc_hi")" "$(mib "$decr_hi")"
	summary+=$(
		awk -v s="$s" -v e="$enc_best" -v d="$dec_best" -v c="$cp_best" 'BEGIN {
			printf "%s: encrypt / cp (best): %.2f   (target <= 1.11 for aes)\n", s, e / c
			printf "%s: decrypt / cp (best): %.2f\n", s, d / c }'
		printf '%s: CPU per GiB, encrypt best: %s   (target <= 0.6 for aes)\n' "$s" "$(pergib "$encc_best")"
		if [[ $BIG_GIB -gt 0 ]]; then
			printf '%s: peak RSS, encrypt: %s for %s GiB, %s for %s GiB; decrypt: %s / %s   (target <= 64 MiB, equal)\n' "$s" \
				"$(mib "$encr_hi")" "$GIB" "$(mib "${big_enc_rss[$s]}")" "$BIG_GIB" "$(mib "$decr_hi")" "$(mib "${big_dec_rss[$s]}")"
			printf '%s: CPU per GiB at %s GiB: encrypt %s, decrypt %s\n' "$s" "$BIG_GIB" "${big_enc_cpu[$s]}" "${big_dec_cpu[$s]}"
		fi
	)$'\n'
done
echo
printf '%s' "$summary"
printf 'KMS calls for %s files: encrypt %d (GenerateDataKey %d, ListAlgorithms %d), decrypt %d (Decrypt %d)   (target 1 each, plus one ListAlgorithms per run: the suite "auto" asks the region its standard)\n' \
	"$FILES" $((c1 - c0)) $((g1 - g0)) $((l1 - l0)) $((c2 - c1)) $((d2 - d1))
printf '%s files: encrypt %ss, decrypt %ss (one fsync per file and per folder rename)\n' "$FILES" "$many_enc_wall" "$many_dec_wall"
