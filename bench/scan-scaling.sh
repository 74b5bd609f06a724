#!/usr/bin/env bash
# How `patchloop scan` grows with the number of packages and with the
# number of advisories in the store.
#
#   bench/scan-scaling.sh                 # all
#   PACKAGES="100 1000" ADVISORIES="10000" bench/scan-scaling.sh   # fewer
#
# npm: the largest package-lock.json of the corpus against a store of all
# the OSV data (crates.io, PyPI, Go and the GHSA sample).
# Packages: synthetic Cargo.lock files (bench/gen_cargo_lock.py) of 100 to
# 50,000 registry packages, real crate names (every crate of the RustSec
# OSV export, ~10% of the packages, half of them at a vulnerable version,
# plus the crates of two real lockfiles, then `crate-<i>`), a dependency
# tree with some sharing; scanned against the real crates.io store.
# Advisories: stores of synthetic records (patchloop-feeds' gen_corpus,
# 13 ecosystems, 3% crates.io) of 10k to 500k records; scanned with a
# real lockfile (nushell-main: names the synthetic store does not have,
# so lookups only) and a synthetic 1,000-package lockfile of which 300
# are named like gen_corpus' crates (`package-<rank>`), so some match.
#
# Prints one line per run: wall time (hyperfine mean ± σ, min), CPU time
# (user + sys), peak RSS, findings. Needs ~3 GB of temporary disk for the
# 500k store (generated in $TMPDIR, removed at exit).
set -euo pipefail
source "$(dirname "$0")/common.sh"
PACKAGES="${PACKAGES:-100 1000 10000 50000}"
ADVISORIES="${ADVISORIES:-10000 100000 500000}"
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
cargo build --release -q -p patchloop -p patchloop-feeds --example gen_corpus
PL="$CARGO_TARGET_DIR/release/patchloop"
GEN="$CARGO_TARGET_DIR/release/examples/gen_corpus"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export PATCHLOOP_CONFIG="$WORK/none.toml"
LOCKS=(--lock "$DATA/lockfiles/crates.io/nushell-main__Cargo.lock" --lock "$DATA/lockfiles/crates.io/alacritty-v0.3.0__Cargo.lock")

# measure LABEL STORE LOCKFILE RUNS
measure() {
  local label="$1" store="$2" lock="$3" runs="$4"
  local cmd="$PL -q scan --db $store --max-age 100000d --fail-on none -f json -o /dev/null $lock"
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$WORK/hf.json" "$cmd" >/dev/null 2>&1
  local rss findings
  rss="$(/usr/bin/time -f %M $cmd 2>&1 >/dev/null | tail -1)"
  findings="$("$PL" -q scan --db "$store" --max-age 100000d --fail-on none -f json "$lock" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r["findings"]), r["summary"]["packages"])')"
  python3 - "$label" "$WORK/hf.json" "$rss" "$findings" <<'EOF'
import json, sys
label, hf, rss, findings = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
r = json.load(open(hf))["results"][0]
print(f"{label:<44} {r['mean']*1e3:8.1f} ms ± {r['stddev']*1e3:5.1f} (min {r['min']*1e3:7.1f})"
      f"  cpu {(r['user']+r['system'])*1e3:7.1f} ms  {rss/1024:6.1f} MB  {findings[0]:>5} findings / {findings[1]} packages")
EOF
}

echo "== the largest package-lock.json (jellyfin-web, 1,846 entries) vs all the OSV data (8,264 records) =="
"$PL" -q db import --db "$WORK/all.db" "$DATA/osv" "$DATA/osv-ghsa-sample" -o /dev/null
measure "jellyfin-web package-lock.json" "$WORK/all.db" "$DATA/lockfiles/npm/jellyfin-web-master__package-lock.json" 30
rm -f "$WORK/all.db"*

echo "== packages: synthetic Cargo.lock vs the real crates.io store (1,206 records) =="
"$PL" -q db import --db "$WORK/crates.db" "$DATA/osv/crates.io" -o /dev/null
for n in $PACKAGES; do
  python3 bench/gen_cargo_lock.py "$n" "$WORK/n${n}__Cargo.lock" --osv "$DATA/osv/crates.io" "${LOCKS[@]}" >/dev/null
  runs=10; [ "$n" -ge 10000 ] && runs=5
  measure "$n packages" "$WORK/crates.db" "$WORK/n${n}__Cargo.lock" "$runs"
done

echo "== advisories: synthetic stores (gen_corpus) =="
python3 bench/gen_cargo_lock.py 1000 "$WORK/syn1000__Cargo.lock" --synthetic 300 "${LOCKS[@]}" >/dev/null
for n in $ADVISORIES; do
  rm -rf "$WORK/corpus"
  "$GEN" "$WORK/corpus" "$n" >/dev/null 2>&1
  /usr/bin/time -f "import of $n records: %e s, %M KB peak RSS" \
    "$PL" -q db import --db "$WORK/s$n.db" "$WORK/corpus" -o /dev/null
  rm -rf "$WORK/corpus"
  measure "$n records, nushell-main (lookups only)" "$WORK/s$n.db" "$DATA/lockfiles/crates.io/nushell-main__Cargo.lock" 10
  measure "$n records, synthetic 1k (300 matchable)" "$WORK/s$n.db" "$WORK/syn1000__Cargo.lock" 10
  rm -f "$WORK/s$n.db"*
done
