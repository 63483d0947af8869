#!/usr/bin/env bash
# fuzz.sh [DURATION]: runs every fuzz target of the module for DURATION (default 10s).
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}
n=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "==> fuzz $pkg $f ($dur)"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$dur" "$pkg" | tail -2
    n=$((n + 1))
  done
done
echo "==> fuzz: $n targets ran for $dur each"
[ "$n" -gt 0 ]
