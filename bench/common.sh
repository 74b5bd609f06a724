# Sourced by the bench scripts: run from the repository root, find the
# shared data, pick the target directory.
#   REPO  the repository
#   DATA  $PATCHLOOP_SHARED_DATA, else shared/data beside the repository or
#         one of its ancestors (as patchloop-testdata looks for it)
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"
DATA="${PATCHLOOP_SHARED_DATA:-}"
if [ -z "$DATA" ]; then
  d="$REPO"
  while [ "$d" != / ] && [ ! -d "$d/shared/data" ]; do d="$(dirname "$d")"; done
  DATA="$d/shared/data"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/../patchloop-target}"
