#!/usr/bin/env bash
# Installs what Herald needs, builds it, and runs `herald serve` on its embedded defaults
# (extra arguments go to `herald`, e.g. --config FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --run-only
cmake -S . -B build -G Ninja >/dev/null
ninja -C build herald
exec build/herald serve "$@"
