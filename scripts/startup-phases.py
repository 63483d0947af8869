#!/usr/bin/env python3
"""startup-phases.py LOG...: the startup's phases, as the app logs them at debug level
(KMSDESK_LOG_LEVEL=debug: "startup phase=NAME sinceStartMs=N", and "ui ready"), with the
median over the logs of when each phase ended and how long it took since the one before.

scripts/smoke.sh prints it for its 5 measured starts.
"""
import re
import statistics
import sys

PHASE = re.compile(r'msg=startup phase=(?:"([^"]*)"|(\S+)) sinceStartMs=(-?\d+)')
READY = re.compile(r'msg="ui ready" .*sinceStartMs=(\d+)')


def phases(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = PHASE.search(line)
            if m:
                out.setdefault(m.group(1) or m.group(2), int(m.group(3)))
                continue
            m = READY.search(line)
            if m:
                out.setdefault("ui ready", int(m.group(1)))
    return out


def main(paths):
    runs = [phases(p) for p in paths]
    names = list(dict.fromkeys(n for r in runs for n in r))  # in the order they were logged
    at = {n: statistics.median(r[n] for r in runs if n in r) for n in names}
    if not at:
        print("    (no startup phases in the logs: KMSDESK_LOG_LEVEL=debug was not set?)")
        return 1
    print(f"    startup phases, median of {len(runs)} (ms since the process started, and since the phase before):")
    before = 0
    for n in sorted(names, key=lambda n: (at[n], names.index(n))):
        print(f"      {n:<40} {at[n]:6.0f}  +{at[n] - before:4.0f}")
        before = at[n]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
