#!/usr/bin/env bash
# test.sh: set up, build, and run the whole test suite (ctest).
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
