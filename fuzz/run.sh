#!/usr/bin/env bash
# Run every parser fuzz target for a while, seeded from the real corpus.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Seeds: every file of ../shared/data/lockfiles whose name is recognised
# as the target's format, plus fuzz/seeds/<target>/ if present. Crashes
# land in fuzz/artifacts/<target>/ (not committed): turn each into a
# regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")"
SECS="${1:-60}"; shift || true
DATA="${PATCHLOOP_SHARED_DATA:-$(pwd)/../../shared/data}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
seed_for() { # target -> glob of matching corpus files
  case "$1" in
    parse_cargo_lock) echo "*Cargo.lock";;
    parse_package_lock) echo "*package-lock.json";;
    parse_yarn_lock) echo "*yarn.lock";;
    parse_pnpm_lock) echo "*pnpm-lock.yaml";;
    parse_requirements) echo "*requirements*.txt";;
    parse_poetry_lock) echo "*poetry.lock";;
    parse_pipfile_lock) echo "*Pipfile.lock";;
    parse_uv_lock) echo "*uv.lock";;
    parse_go_mod) echo "*go.mod";;
    parse_go_sum) echo "*go.sum";;
    parse_gemfile_lock) echo "*Gemfile.lock";;
    parse_composer_lock) echo "*composer.lock";;
    parse_pom_xml) echo "*pom.xml";;
    parse_gradle_lockfile) echo "*gradle.lockfile";;
    parse_nuget_lock) echo "*packages.lock.json";;
    *) echo "";;
  esac
}
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  g="$(seed_for "$t")"
  if [ -n "$g" ]; then
    find "$DATA/lockfiles" -name "$g" -exec cp {} "corpus/$t/" \;
  fi
  if [ -d "seeds/$t" ]; then cp -r "seeds/$t/." "corpus/$t/"; fi
  # OSV matching: real records of each database.
  if [ "$t" = osv_match ]; then
    for eco in crates.io PyPI Go; do
      find "$DATA/osv/$eco" -name '*.json' | head -150 | xargs -r cp -t "corpus/$t/"
    done
    find "$DATA/osv-ghsa-sample" -name '*.json' | xargs -r cp -t "corpus/$t/"
  fi
  # Formats without real files in the corpus get the other JSON/TOML/XML
  # lockfiles as structural seeds.
  if [ -z "$(ls -A "corpus/$t")" ]; then
    find "$DATA/lockfiles" -type f \( -name '*.json' -o -name '*.toml' -o -name '*.lock' -o -name '*.xml' \) -size -200k -exec cp {} "corpus/$t/" \;
  fi
  echo "== $t ($SECS s)"
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=1048576 2>&1 \
    | grep -E "^(#[0-9]+.*DONE|==[0-9]+==|SUMMARY|Done)" || true
done
