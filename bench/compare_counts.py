#!/usr/bin/env python3
"""Per-file package counts: patchloop inventory JSON vs syft JSON.

usage: compare_counts.py PATCHLOOP.json SYFT.json ROOT
Counts distinct (name, version) per file on both sides and lists the
first differences, so every difference can be explained.
"""
import json
import os
import sys
from collections import defaultdict

pl = json.load(open(sys.argv[1]))
sy = json.load(open(sys.argv[2]))
root = os.path.realpath(sys.argv[3])

ours = defaultdict(set)
for s in pl["sources"]:
    rel = os.path.relpath(os.path.realpath(s["path"]), root)
    for p in s["packages"]:
        ours[rel].add((p["name"].lower(), p["version"]))
theirs = defaultdict(set)
for a in sy["artifacts"]:
    for loc in a["locations"]:
        rel = loc["path"].lstrip("/")
        theirs[rel].add((a["name"].lower(), a["version"]))

print(f"{'file':60} {'patchloop':>9} {'syft':>6}  only-patchloop / only-syft (examples)")
for f in sorted(set(ours) | set(theirs)):
    o, t = ours.get(f, set()), theirs.get(f, set())
    only_o = sorted(o - t)[:3]
    only_t = sorted(t - o)[:3]
    print(f"{f:60} {len(o):9} {len(t):6}  {len(o - t)} {only_o} / {len(t - o)} {only_t}")
