#!/usr/bin/env python3
"""Time whole commands taking turns, for ratios that survive a noisy machine.

    bench/interleave.py [--runs N] [--warmup W] [--json FILE] NAME=COMMAND...

Each round runs every command once, in turn (the order reversed every other
round), so that when the machine slows down or speeds up (other tenants on
a shared host) every command sees the same conditions. hyperfine runs all
runs of one command, then all of the next: on this machine their times
drifted by a third between the two blocks, and the ratio with them.

Per command: median, mean, min and 25th percentile of the wall time, and the
median CPU time (user + system of the process and its threads). Commands
run without a shell (split on spaces), stdout and stderr to /dev/null; exit
codes are ignored (cargo-audit exits 1 when it finds vulnerabilities).
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    a = ap.parse_args()
    cmds = []
    for c in a.commands:
        name, _, line = c.partition("=")
        if not line:
            sys.exit(f"expected NAME=COMMAND, got {c!r}")
        cmds.append((name, line.split()))
    null = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
    wall = {n: [] for n, _ in cmds}
    cpu = {n: [] for n, _ in cmds}
    for i in range(a.warmup + a.runs):
        for name, argv in cmds if i % 2 == 0 else cmds[::-1]:
            t = time.perf_counter()
            pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
            _, _, ru = os.wait4(pid, 0)
            dt = time.perf_counter() - t
            if i >= a.warmup:
                wall[name].append(dt * 1e3)
                cpu[name].append((ru.ru_utime + ru.ru_stime) * 1e3)
    out = {}
    for name, _ in cmds:
        w = sorted(wall[name])
        out[name] = {
            "median": statistics.median(w),
            "mean": statistics.fmean(w),
            "min": w[0],
            "p25": w[len(w) // 4],
            "cpu_median": statistics.median(cpu[name]),
            "runs": len(w),
        }
    text = json.dumps(out, indent=2)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
