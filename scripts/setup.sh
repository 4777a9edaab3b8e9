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
  postfix
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
  new_postfix=0
  if [[ " ${missing[*]} " == *" postfix "* ]]; then
    # test_delivery_postfix.sh runs its own Postfix instance (postfix -c DIR). The system's
    # must stay unconfigured: without main.cf it never starts, so it cannot listen on port 25
    # of every address, which the delivery tests bind on 127.0.N.x.
    new_postfix=1
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ "$new_postfix" = 1 ] && ss -ltnH 2>/dev/null | awk '{ print $4 }' | grep -qE '^(0\.0\.0\.0|\*|\[::\]):25$'; then
    echo "warning: something listens on port 25 of every address; the delivery tests need" \
      "127.0.N.x:25 (stop it, e.g. 'postfix stop')" >&2
  fi
fi
