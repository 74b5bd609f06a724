#!/usr/bin/env bash
# Regenerate crates/patchloop/symbol-order.txt: the functions a scan
# executes, in the order the linker is to place them at the start of
# `.text` (crates/patchloop/build.rs passes the file to lld with
# `--symbol-ordering-file`).
#
#   bench/symbol-order.sh
#
# Why: a short command touches a few hundred kilobytes of code spread
# over the whole 16 MB `.text`, and the kernel maps each code fault's
# 64 KiB neighbourhood ("fault-around"). Scattered, a scan of a Cargo.lock
# mapped 8 MB of code and took ~130 code faults; packed together, the
# same code fits in about 1.5 MB (docs/performance.md, "Scan", third pass).
#
# How: the release binary runs typical commands (scan of every lockfile
# of the corpus, each output format, inventory) under callgrind with
# symbol names left mangled; every function of the patchloop executable
# that ran is listed, the most executed first. Names that no longer exist
# after a later change are skipped by the linker, so a stale file only
# loses some of the benefit: rerun this script after large changes.
set -euo pipefail
source "$(dirname "$0")/common.sh"
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
cargo build --release -q -p patchloop
PL="$CARGO_TARGET_DIR/release/patchloop"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export PATCHLOOP_CONFIG="$WORK/none.toml" # no user config
STORE="$WORK/store.db"
"$PL" -q db import --db "$STORE" "$DATA/osv" "$DATA/osv-ghsa-sample" -o /dev/null

n=0
profile() {
  n=$((n + 1))
  valgrind -q --tool=callgrind --callgrind-out-file="$WORK/cg.$n" \
    --demangle=no --compress-strings=no --compress-pos=no "$PL" "$@" >/dev/null 2>&1 || true
}
scan=(-q scan --db "$STORE" --max-age 100000d --fail-on none)
for lock in "$DATA"/lockfiles/*/*; do
  case "$lock" in *.md) continue ;; esac
  profile "${scan[@]}" -f json -o /dev/null "$lock"
done
for lock in "$DATA"/lockfiles/crates.io/*Cargo.lock; do
  profile "${scan[@]}" "$lock" # the table, to the terminal's stream
done
one="$DATA/lockfiles/crates.io/nushell-0.30.0__Cargo.lock"
for format in sarif cyclonedx markdown; do
  profile "${scan[@]}" -f "$format" -o /dev/null "$one"
done
profile -q inventory -f json -o /dev/null "$one"
profile -q inventory -o /dev/null "$DATA/lockfiles/npm/jellyfin-web-master__package-lock.json"

python3 bench/symbol_order.py "$PL" "$WORK"/cg.* >crates/patchloop/symbol-order.txt
echo "crates/patchloop/symbol-order.txt: $(wc -l <crates/patchloop/symbol-order.txt) functions from $n runs"
