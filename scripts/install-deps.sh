#!/usr/bin/env bash
# Installs what prestige needs to build and test: Debian packages (apt-get) and the npm
# test peers (npm ci from the committed package-lock.json). Does nothing when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PKGS=(
  build-essential pkg-config clang libclang-rt-14-dev
  libzstd-dev libsnappy-dev zlib1g-dev liblz4-dev libbrotli-dev
  libcurl4-openssl-dev libssl-dev libjansson-dev libsqlite3-dev
  libpq-dev postgresql libmicrohttpd-dev
  python3 python3-botocore python3-avro prometheus nodejs npm curl bc util-linux
)

missing=()
for p in "${DEB_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from outside Debian (e.g. a preinstalled toolchain): accept any working ones.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=()
  for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm test peers: install only when node_modules does not match the lock file.
# A node_modules that is a symbolic link belongs to another checkout (a git worktree sharing one
# install): running npm ci through it would empty the install under every other user's feet.
if [ -L node_modules ]; then
  [ -d node_modules/@duckdb ] || echo "install-deps: node_modules is a link to an incomplete install; run npm ci where it points" >&2
elif [ -f package-lock.json ]; then
  stamp=node_modules/.prestige-lock-stamp
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "install-deps: npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    echo "$want" > "$stamp"
  fi
fi
