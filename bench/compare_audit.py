#!/usr/bin/env python3
"""Compare `patchloop scan` with `cargo audit` on one Cargo.lock.

Both reports are reduced to the same set of lines

    <kind> <advisory id> <crate> <version>

where kind is `vulnerability` or the informational kind (`unmaintained`,
`unsound`, `notice`; `yanked` only when cargo-audit checks yanked crates,
which bench/scan-vs-cargo-audit.sh turns off with --no-yanked).

  compare_audit.py audit AUDIT.json          cargo-audit --json -> lines
  compare_audit.py patchloop SCAN.json [OSV_DIR]  patchloop scan -f json -> lines
  compare_audit.py diff NAME AUDIT.txt PL.txt   counts and differences
                                             (exit 1 when they differ)

cargo-audit's JSON (rustsec::Report): `vulnerabilities.list[]` with
`advisory.id` and `package.{name,version}`; `warnings` is a map from the
warning kind to a list of the same shape (`advisory` may be null for
yanked crates).

patchloop merges records that are aliases of one another into one finding
(`id` is the primary id, `records` every matched record): each matched
record gives one line. Its kind is the record's own
(`affected[].database_specific.informational` for that crate, read from
OSV_DIR), since one finding can merge records of different kinds
(RUSTSEC-2019-0036 unsound + RUSTSEC-2020-0036 unmaintained); the
finding's own category and kind are checked against its records (exit 1
when they disagree). Without OSV_DIR every record takes the finding's kind.
Lines starting with `#` are comments (the fixture header) and are ignored
by `diff`.
"""

import json
import sys


def audit_lines(report):
    out = set()
    for v in report.get("vulnerabilities", {}).get("list", []) or []:
        p = v["package"]
        out.add(("vulnerability", v["advisory"]["id"], p["name"], p["version"]))
    for kind, warnings in (report.get("warnings") or {}).items():
        for w in warnings or []:
            p = w["package"]
            adv = (w.get("advisory") or {}).get("id", "-")
            out.add((w.get("kind", kind), adv, p["name"], p["version"]))
    return out


def record_kind(osv_dir, record, crate):
    """`vulnerability` or the record's informational kind for this crate."""
    with open(f"{osv_dir}/{record}.json") as fh:
        rec = json.load(fh)
    for a in rec.get("affected", []):
        if (a.get("package") or {}).get("name") == crate:
            return (a.get("database_specific") or {}).get("informational") or "vulnerability"
    return "vulnerability"


def patchloop_lines(report, osv_dir=None):
    out, problems = set(), []
    for f in report.get("findings", []):
        if f["category"] == "vulnerability":
            kind = "vulnerability"
        else:
            kind = f.get("informational") or "informational"
        p = f["package"]
        records = f.get("records") or [f["id"]]
        kinds = {}
        for rec in records:
            kinds[rec] = record_kind(osv_dir, rec, p["name"]) if osv_dir else kind
            out.add((kinds[rec], rec, p["name"], p["version"]))
        # The finding says what its records say: a vulnerability when any
        # record is one, else the primary record's kind.
        want = (
            "vulnerability"
            if "vulnerability" in kinds.values()
            else kinds.get(f["id"], kind)
        )
        if want != kind:
            problems.append(
                f"finding {f['id']} {p['name']} {p['version']}: shown as {kind}, its records say {want} ({kinds})"
            )
    return out, problems


def read_lines(path):
    with open(path) as fh:
        return {
            tuple(line.split())
            for line in fh
            if line.strip() and not line.startswith("#")
        }


def counts(lines):
    vul = sum(1 for l in lines if l[0] == "vulnerability")
    return vul, len(lines) - vul


def main(argv):
    if len(argv) >= 2 and argv[0] in ("audit", "patchloop"):
        with open(argv[1]) as fh:
            report = json.load(fh)
        problems = []
        if argv[0] == "audit":
            lines = audit_lines(report)
        else:
            lines, problems = patchloop_lines(report, argv[2] if len(argv) > 2 else None)
        for l in sorted(lines):
            print(" ".join(l))
        for p in problems:
            sys.stderr.write(p + "\n")
        return 1 if problems else 0
    if len(argv) == 4 and argv[0] == "diff":
        name, a, p = argv[1], read_lines(argv[2]), read_lines(argv[3])
        av, ai = counts(a)
        pv, pi = counts(p)
        same = a == p
        print(
            f"{name}: cargo-audit {av} vulnerabilities + {ai} warnings; "
            f"patchloop {pv} + {pi}: {'IDENTICAL' if same else 'DIFFERENT'}"
        )
        for l in sorted(a - p):
            print("  only cargo-audit: " + " ".join(l))
        for l in sorted(p - a):
            print("  only patchloop:   " + " ".join(l))
        return 0 if same else 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
