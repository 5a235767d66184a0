#!/usr/bin/env bash
# Make sure the command-line tools the services run are installed: qemu-img (qemu-utils), which
# the image service and the data mover use to read and convert disk images.
#
# Usage: scripts/tools-local.sh ensure
#   Installs Debian's qemu-utils with apt-get when qemu-img is missing (root only; otherwise
#   it says what to install). Logs go to stderr; exit 0 when every tool answers.
# Docs: docs/infrastructure.md
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STRATA_HOME="${STRATA_HOME:-$ROOT_DIR/.strata}"
mkdir -p "$STRATA_HOME"

log() { printf '[tools-local] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ensure_qemu_img() {
  if command -v qemu-img >/dev/null; then return 0; fi
  [[ "$(id -u)" == 0 ]] || die "qemu-img is missing and this is not root; install it yourself (apt-get install -y qemu-utils)"
  log "installing qemu-utils with apt-get (apt-get update first)"
  local started=$SECONDS
  # Another apt run (e.g. postgres-local.sh) may hold the dpkg lock: wait for it rather than fail.
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq qemu-utils; } \
    >"$STRATA_HOME/apt-tools.log" 2>&1; then
    tail -n 20 "$STRATA_HOME/apt-tools.log" >&2
    die "apt-get install qemu-utils failed; see $STRATA_HOME/apt-tools.log"
  fi
  command -v qemu-img >/dev/null || die "qemu-utils installed but qemu-img is not on the PATH"
  log "installed qemu-utils in $(( SECONDS - started )) s: $(qemu-img --version | head -n 1)"
}

case "${1:-}" in
  ensure) ensure_qemu_img ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
