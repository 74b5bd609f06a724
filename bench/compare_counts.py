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

import re


def norm(eco, name, version):
    """Spell both sides alike: the tools differ in presentation only here
    (Go/Composer `v` prefixes, Maven group:artifact vs artifact, PEP 503)."""
    name = name.lower()
    if eco == "Maven" and ":" in name:
        name = name.split(":", 1)[1]
    if eco == "PyPI":
        name = re.sub(r"[-_.]+", "-", name)
    if version[:1] in ("v", "V") and version[1:2].isdigit():
        version = version[1:]
    return (name, version)


ours = defaultdict(set)
for s in pl["sources"]:
    rel = os.path.relpath(os.path.realpath(s["path"]), root)
    eco = rel.split("/", 1)[0]
    for p in s["packages"]:
        ours[rel].add(norm(eco, p["name"], p["version"]))
theirs = defaultdict(set)
for a in sy["artifacts"]:
    for loc in a["locations"]:
        rel = loc["path"].lstrip("/")
        eco = rel.split("/", 1)[0]
        theirs[rel].add(norm(eco, a["name"], a["version"]))

print(f"{'file':52} {'patchloop':>9} {'syft':>6} {'both':>6}  only-patchloop / only-syft (examples)")
for f in sorted(set(ours) | set(theirs)):
    o, t = ours.get(f, set()), theirs.get(f, set())
    only_o = sorted(o - t)[:3]
    only_t = sorted(t - o)[:3]
    print(f"{f:52} {len(o):9} {len(t):6} {len(o & t):6}  {len(o - t)} {only_o} / {len(t - o)} {only_t}")
