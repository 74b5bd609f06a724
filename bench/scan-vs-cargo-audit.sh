#!/usr/bin/env bash
# `patchloop scan` vs `cargo audit` on the real Cargo.lock files: same
# findings? how fast? how much memory?
#
#   bench/scan-vs-cargo-audit.sh            # compare, write fixtures, time
#   bench/scan-vs-cargo-audit.sh --no-time  # compare and write fixtures only
#   RUNS=100 bench/scan-vs-cargo-audit.sh   # more timed runs (default 40)
#
# Timings: the two tools take turns (bench/interleave.py), so that a
# machine shared with other tenants slows both alike.
#
# Installs cargo-audit if missing; builds patchloop in release mode.
# Both tools read the same advisory database: patchloop the OSV export
# (../shared/data/osv/crates.io, imported into a temporary store),
# cargo-audit the same database in RustSec's own format
# (../shared/data/rustsec-advisory-db), offline, yanked-crate check off.
#
# For each lockfile the findings of both are reduced to lines
# `<kind> <advisory id> <crate> <version>` (bench/compare_audit.py) and
# compared. cargo-audit's lines are written as the CI fixture
# crates/patchloop/tests/fixtures/cargo-audit/<lockfile>.txt, checked by
# crates/patchloop/tests/scan_vs_cargo_audit.rs without cargo-audit.
set -euo pipefail
source "$(dirname "$0")/common.sh"
TIME=1
[ "${1:-}" = "--no-time" ] && TIME=0

CARGO_AUDIT="$(command -v cargo-audit || echo "$HOME/.cargo/bin/cargo-audit")"
if [ ! -x "$CARGO_AUDIT" ]; then
  cargo install cargo-audit --locked
fi
RUNS="${RUNS:-40}"
cargo build --release -q -p patchloop
PL="$CARGO_TARGET_DIR/release/patchloop"
AUDIT_VERSION="$("$CARGO_AUDIT" audit --version | awk '{print $2}')"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
STORE="$WORK/store.db"
# With --no-fetch cargo-audit reads a plain (even read-only) directory:
# no git repository needed.
ADB="$DATA/rustsec-advisory-db"
"$PL" -q db import --db "$STORE" "$DATA/osv/crates.io" -o /dev/null
export PATCHLOOP_CONFIG="$WORK/none.toml" # no user config

FIX="$REPO/crates/patchloop/tests/fixtures/cargo-audit"
mkdir -p "$FIX"

audit() { "$CARGO_AUDIT" audit --db "$ADB" --no-fetch --no-yanked -f "$1" --json; }
scan() { "$PL" -q scan --db "$STORE" --max-age 100000d --fail-on none -f json "$1"; }

status=0
echo "== findings: (advisory, crate, version) per kind =="
for lock in "$DATA"/lockfiles/crates.io/*Cargo.lock "$FIX"/*Cargo.lock; do
  name="$(basename "$lock")"
  case "$lock" in
    "$FIX"/*) shown="crates/patchloop/tests/fixtures/cargo-audit/$name" ;;
    *) shown="../shared/data/lockfiles/crates.io/$name" ;;
  esac
  audit "$lock" >"$WORK/a.json" || true # exit 1 when it finds vulnerabilities
  scan "$lock" >"$WORK/p.json"
  {
    echo "# cargo-audit $AUDIT_VERSION, advisory db ../shared/data/rustsec-advisory-db"
    echo "# cargo audit --db ../shared/data/rustsec-advisory-db --no-fetch --no-yanked -f $shown --json"
    echo "# written by bench/scan-vs-cargo-audit.sh; one line per <kind> <advisory> <crate> <version>"
    python3 bench/compare_audit.py audit "$WORK/a.json"
  } >"$FIX/$name.txt"
  python3 bench/compare_audit.py patchloop "$WORK/p.json" "$DATA/osv/crates.io" >"$WORK/p.txt" || status=1
  python3 bench/compare_audit.py diff "$name" "$FIX/$name.txt" "$WORK/p.txt" || status=1
done
[ "$TIME" = 1 ] || exit "$status"

echo
echo "== time: end to end per process (taking turns, $RUNS runs each), store already imported =="
for lock in "$DATA"/lockfiles/crates.io/*Cargo.lock; do
  name="$(basename "$lock")"
  python3 bench/interleave.py --runs "$RUNS" --warmup 3 --json "$WORK/$name.hf.json" \
    "patchloop=$PL -q scan --db $STORE --max-age 100000d --fail-on none -f json -o /dev/null $lock" \
    "cargo-audit=$CARGO_AUDIT audit --db $ADB --no-fetch --no-yanked -f $lock --json"
  rss_pl="$(/usr/bin/time -f %M "$PL" -q scan --db "$STORE" --max-age 100000d --fail-on none -f json -o /dev/null "$lock" 2>&1 >/dev/null | tail -1)"
  # cargo-audit exits 1 when it finds vulnerabilities.
  rss_ca="$( (/usr/bin/time -f %M "$CARGO_AUDIT" audit --db "$ADB" --no-fetch --no-yanked -f "$lock" --json || true) 2>&1 >/dev/null | tail -1)"
  python3 - "$name" "$WORK/$name.hf.json" "$rss_pl" "$rss_ca" <<'EOF'
import json, sys
name, hf, rss_pl, rss_ca = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
r = json.load(open(hf))
pl, ca = r["patchloop"], r["cargo-audit"]
print(f"{name}:\n"
      f"  patchloop   median {pl['median']:6.1f} ms, mean {pl['mean']:6.1f}, min {pl['min']:6.1f}, cpu {pl['cpu_median']:6.1f} ms, {rss_pl/1024:5.1f} MB\n"
      f"  cargo-audit median {ca['median']:6.1f} ms, mean {ca['mean']:6.1f}, min {ca['min']:6.1f}, cpu {ca['cpu_median']:6.1f} ms, {rss_ca/1024:5.1f} MB\n"
      f"  speed-up: median {ca['median']/pl['median']:.1f}x, mean {ca['mean']/pl['mean']:.1f}x, min {ca['min']/pl['min']:.1f}x, "
      f"cpu {ca['cpu_median']/pl['cpu_median']:.1f}x; RSS ratio {rss_pl/rss_ca:.2f}")
EOF
done
exit "$status"
