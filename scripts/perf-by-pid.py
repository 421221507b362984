#!/usr/bin/env python3
"""Splits a `perf record -a -g` profile by process: the self and inclusive shares of the symbols
of the given pids (e.g. the attendance worker and its PostgreSQL backend during a bench phase).

    perf record -F 250 -a -g -o perf.data -- .build/release/frontdoor bench attendance ...
    perf script -i perf.data -F pid,time,comm | ...     # find the phase's pids
    scripts/perf-by-pid.py perf.data 1301 40           # pid(s), comma-separated; rows to print

The machine's VM has no hardware counters, so `perf` samples cpu-clock; shares are of the
samples taken while the process ran, not of wall time.
"""
import collections
import re
import subprocess
import sys

data, pids = sys.argv[1], set(sys.argv[2].split(","))
top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
script = subprocess.Popen(
    ["perf", "script", "-i", data, "-F", "pid,ip,sym"],
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors="replace")
own, inclusive, samples = collections.Counter(), collections.Counter(), 0
pid, frames = None, []


def flush():
    global samples
    if pid in pids and frames:
        samples += 1
        own[frames[0]] += 1
        for f in set(frames):
            inclusive[f] += 1


for line in script.stdout:
    if not line.strip():
        flush()
        pid, frames = None, []
    elif not line.startswith(("\t", " " * 8)):
        fields = line.split()
        pid, frames = (fields[0] if fields else None), []
    else:
        parts = line.strip().split(None, 1)
        frames.append(re.sub(r"\+0x[0-9a-f]+$", "", parts[1] if len(parts) > 1 else "?")[:150])
flush()
print("samples", samples)
for title, counter in (("self", own), ("inclusive", inclusive)):
    print("---", title)
    for symbol, n in counter.most_common(top):
        print(f"{100 * n / max(samples, 1):5.1f}% {symbol}")
