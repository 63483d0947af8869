#!/usr/bin/env bash
# go-test.sh: runs the Go tests with the race detector and prints a summary with counts.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
rc=0
go test -race -count=1 -json "${@:-./...}" >build/test-go.json || rc=$?
python3 - build/test-go.json <<'PY'
import json, sys, collections
counts = collections.Counter(); failed = []; pkgs = collections.Counter()
for line in open(sys.argv[1]):
    try: e = json.loads(line)
    except ValueError: continue
    a, t = e.get("Action"), e.get("Test")
    if t and a in ("pass", "fail", "skip"):
        counts[a] += 1
        if a == "fail": failed.append(f'{e["Package"]} {t}')
    elif not t and a in ("pass", "fail", "skip"):
        pkgs[a] += 1
        if a == "fail": failed.append(f'{e["Package"]} (package)')
    if a == "output" and (e.get("Output", "").startswith(("--- FAIL", "panic:", "FAIL")) or "_test.go:" in e.get("Output", "")):
        sys.stdout.write(e["Output"])
print(f"==> Go tests: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped, in {pkgs['pass']+pkgs['fail']} packages")
for f in failed: print("FAIL:", f)
PY
exit $rc
