#!/usr/bin/env bash
# Measures the .kmsenc streaming engine (backend/envelope) on large files against cp
# of the same file on the same disk: wall time (including sync to disk), user+sys
# CPU seconds per GiB, and peak RSS.
#
#   scripts/bench-envelope.sh            # 1 GiB and 4 GiB in a temp dir under /var/tmp
#   SIZES="1" WORKERS="1 0" SUITES="sm4" BENCH_DIR=/mnt/ssd/tmp scripts/bench-envelope.sh
#
# The input is random and warm in the page cache for every tool alike.
set -euo pipefail

SIZES=${SIZES:-"1 4"}      # GiB
WORKERS=${WORKERS:-"0 1"}  # 0 = one AEAD goroutine per CPU
SUITES=${SUITES:-"aes sm4"} # aes = AES-256-GCM (0x0001), sm4 = SM4-GCM, 国密 (0x0002)
if [[ -n ${BENCH_DIR:-} ]]; then
	DIR=$BENCH_DIR
	trap 'rm -f "$DIR"/in.bin "$DIR"/cp.bin "$DIR"/out.kmsenc "$DIR"/out.bin "$DIR"/benchfile "$DIR"/master.key' EXIT
else
	DIR=$(mktemp -d /var/tmp/kmsenc-bench.XXXXXX)
	trap 'rm -rf "$DIR"' EXIT
fi
cd "$(dirname "$0")/.."
go build -o "$DIR/benchfile" ./backend/envelope/internal/benchfile

# measure NAME GIB CMD...: runs CMD under /usr/bin/time, then sync, and prints one row.
measure() {
	local name=$1 gib=$2
	shift 2
	sync
	local t0 t1 stats
	t0=$(date +%s.%N)
	stats=$( { /usr/bin/time -f '%e %U %S %M' "$@" 2>&1 >/dev/null | tail -n 1; } )
	sync
	t1=$(date +%s.%N)
	read -r wall user sys rss <<<"$stats"
	awk -v n="$name" -v g="$gib" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v t0="$t0" -v t1="$t1" 'BEGIN {
		ws = t1 - t0
		printf "%-26s %4d GiB  wall %6.2f s  +sync %6.2f s (%5.0f MB/s)  user %5.2f  sys %5.2f  cpu %4.2f s/GiB  rss %6.1f MiB\n",
			n, g, w, ws, g * 1073741824 / ws / 1e6, u, s, (u + s) / g, r / 1024 }'
}

for g in $SIZES; do
	head -c $((g << 30)) /dev/urandom >"$DIR/in.bin"
	cat "$DIR/in.bin" >/dev/null
	measure "cp" "$g" cp "$DIR/in.bin" "$DIR/cp.bin"
	rm -f "$DIR/cp.bin"
	for s in $SUITES; do
		for w in $WORKERS; do
			measure "$s encrypt workers=$w" "$g" "$DIR/benchfile" -key "$DIR/master.key" -suite "$s" -workers "$w" -mode encrypt -in "$DIR/in.bin" -out "$DIR/out.kmsenc"
			measure "$s decrypt workers=$w" "$g" "$DIR/benchfile" -key "$DIR/master.key" -workers "$w" -mode decrypt -in "$DIR/out.kmsenc" -out "$DIR/out.bin"
			cmp "$DIR/in.bin" "$DIR/out.bin"
			rm -f "$DIR/out.kmsenc" "$DIR/out.bin"
		done
		measure "$s encrypt to /dev/null" "$g" "$DIR/benchfile" -key "$DIR/master.key" -suite "$s" -mode encrypt -in "$DIR/in.bin" -out /dev/null
	done
done
