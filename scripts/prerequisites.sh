# Sourced by demo.sh and test.sh: installs what a fresh Debian or Ubuntu
# machine lacks (PostgreSQL's server binaries, Python's venv for the pinned
# emulator and checkers) and checks for Rust.

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt-get install, with one `apt-get update` per script run.
apt_updated=""
apt_update() {
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
}
apt_install() {
  apt_update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_prerequisites() {
  local packages=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || packages+=(python3-venv python3-pip)
  if [ ${#packages[@]} -gt 0 ]; then apt_install "${packages[@]}"; fi
  command -v cargo >/dev/null || { echo "Rust is required: install it with rustup (https://rustup.rs)"; exit 1; }
}
