#!/usr/bin/env python3
"""Write a synthetic Cargo.lock (format v3) of N registry packages.

  gen_cargo_lock.py N OUT [--osv DIR] [--lock FILE]... [--synthetic K] [--seed S]

Names: every crate named by the OSV records in --osv DIR (crates with
advisories) and by the --lock files (real crates, mostly without), then
`crate-<i>` to reach N. With --synthetic K, K packages are named
`package-<rank>` with versions `<0-11>.<0-29>.<0-19>`: the names and version
shapes of crates.io records written by patchloop-feeds' gen_corpus, so a
store of synthetic records matches some of them.

Versions: a crate with advisories gets, in turn, a version inside its
first advisory's first range (vulnerable) and one above every fixed version
(not vulnerable); other crates get 1.<i>.0. About 10% of the packages are
crates with advisories. Every package but the first depends on one earlier
package and one in ten on a second: a tree plus some sharing, as in real
lockfiles; the workspace member `app` depends on the first 20 packages.
Deterministic for a given seed.
"""

import glob
import json
import os
import random
import re
import sys


def osv_crates(d):
    """crate name -> list of (introduced, fixed) from its advisories."""
    out = {}
    for f in sorted(glob.glob(os.path.join(d, "*.json"))):
        with open(f) as fh:
            rec = json.load(fh)
        if rec.get("withdrawn"):
            continue
        for a in rec.get("affected", []):
            name = (a.get("package") or {}).get("name")
            if not name:
                continue
            for r in a.get("ranges", []):
                ev = r.get("events", [])
                intro = next((e["introduced"] for e in ev if "introduced" in e), "0.0.0-0")
                fixed = next((e["fixed"] for e in ev if "fixed" in e), None)
                out.setdefault(name, []).append((intro, fixed))
    return out


def lock_names(path):
    with open(path) as fh:
        return re.findall(r'^name = "([^"]+)"', fh.read(), re.M)


def semver_key(v):
    core = v.split("-", 1)[0].split("+", 1)[0]
    try:
        return tuple(int(x) for x in core.split("."))
    except ValueError:
        return (0, 0, 0)


def inside(intro, fixed):
    """A release version in [intro, fixed)."""
    base = intro.split("-", 1)[0].split("+", 1)[0]
    if base in ("0.0.0", "0"):
        base = "0.0.1"
    if fixed and semver_key(base) >= semver_key(fixed):
        return None
    return base


def above(ranges):
    hi = max((semver_key(f) for _, f in ranges if f), default=(0, 0, 0))
    return f"{hi[0]}.{hi[1]}.{hi[2] + 1}" if len(hi) == 3 else "999.0.0"


def main(argv):
    args = argv[:]
    n, out = int(args.pop(0)), args.pop(0)
    osv, locks, synthetic, seed = None, [], 0, 1
    while args:
        k = args.pop(0)
        if k == "--osv":
            osv = args.pop(0)
        elif k == "--lock":
            locks.append(args.pop(0))
        elif k == "--synthetic":
            synthetic = int(args.pop(0))
        elif k == "--seed":
            seed = int(args.pop(0))
        else:
            sys.exit(f"unknown argument {k}")
    rnd = random.Random(seed)
    adv = osv_crates(osv) if osv else {}
    plain = sorted({x for l in locks for x in lock_names(l)} - set(adv))
    pkgs, seen = [], set()

    def add(name, version):
        if (name, version) not in seen and len(pkgs) < n:
            seen.add((name, version))
            pkgs.append((name, version))

    for i in range(synthetic):
        rank = int(3000 ** rnd.random())
        add(f"package-{min(rank, 2999)}", f"{rnd.randrange(12)}.{rnd.randrange(30)}.{rnd.randrange(20)}")
    adv_names = sorted(adv)
    want_adv = n // 10
    i = 0
    while adv_names and len(pkgs) < synthetic + want_adv and i < 20 * want_adv:
        name = adv_names[i % len(adv_names)]
        ranges = adv[name]
        v = inside(*ranges[0]) if (i // len(adv_names)) % 2 == 0 else None
        add(name, v or above(ranges))
        i += 1
    for name in plain:
        add(name, "1.0.0")
    i = 0
    while len(pkgs) < n:
        add(f"crate-{i}", f"1.{i % 100}.0")
        i += 1
    rnd.shuffle(pkgs)

    deps = [[] for _ in pkgs]
    for j in range(1, len(pkgs)):
        deps[rnd.randrange(j)].append(j)
        if rnd.random() < 0.1:
            k = rnd.randrange(j)
            if j not in deps[k]:
                deps[k].append(j)
    counts = {}
    for name, _ in pkgs:
        counts[name] = counts.get(name, 0) + 1

    def ref(j):
        name, version = pkgs[j]
        return name if counts[name] == 1 else f"{name} {version}"

    src = "registry+https://github.com/rust-lang/crates.io-index"
    with open(out, "w") as fh:
        fh.write("# synthetic, bench/gen_cargo_lock.py\nversion = 3\n\n")
        fh.write('[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = [\n')
        for j in range(min(20, len(pkgs))):
            fh.write(f' "{ref(j)}",\n')
        fh.write("]\n")
        for j, (name, version) in enumerate(pkgs):
            fh.write(f'\n[[package]]\nname = "{name}"\nversion = "{version}"\nsource = "{src}"\n')
            if deps[j]:
                fh.write("dependencies = [\n")
                for d in deps[j]:
                    fh.write(f' "{ref(d)}",\n')
                fh.write("]\n")
    print(f"{out}: {len(pkgs)} packages, {sum(1 for p in pkgs if p[0] in adv)} crates with advisories")


if __name__ == "__main__":
    main(sys.argv[1:])
