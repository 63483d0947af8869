#!/usr/bin/env bash
# bench.sh (make bench): local KMS throughput, the jobs benchmarks, and file
# encryption through kmsctl against cp on the same disk (scripts/bench-files.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> local KMS: Encrypt round trips from 64 SDK clients over loopback"
go test -run '^$' -bench BenchmarkEncryptLoopback64 ./backend/localkms/

echo "==> backend/envelope: the streaming engine in memory, AES-256-GCM vs SM4-GCM (国密), 1 MiB and 64 MiB, 1 worker and auto"
go test -run '^$' -bench 'Benchmark(En|De)crypt$' -benchtime 5x ./backend/envelope/

echo "==> backend/jobs: whole jobs on the in-process local KMS (disk, fsync included)"
go test -run '^$' -bench . -benchtime 5x ./backend/jobs/

echo "==> files: kmsctl encrypt/decrypt against a local KMS vs cp"
scripts/bench-files.sh
