#!/usr/bin/env bash
# Installs every Debian package Herald's build, tests and run need. Idempotent:
# packages already present are skipped, so a second run costs one dpkg query.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config clang-format
  libboost1.81-dev libssl-dev libsqlite3-dev libpq-dev libc-ares-dev libsodium-dev
  libopendkim-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev
)
# Real clients and peers the integration tests drive.
test_pkgs=(
  python3 swaks libnet-ssleay-perl libauthen-sasl-perl curl openssl php-cli php-symfony-mailer
  msmtp sqlite3 procps dnsmasq-base iproute2 python3-aiosmtpd python3-dkim
)

wanted=("${build_pkgs[@]}")
[ "${1:-}" = "--run-only" ] || wanted+=("${test_pkgs[@]}")

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
