#!/usr/bin/env bash
# test.sh: set up, build, and run the whole test suite (ctest); then build the same under
# AddressSanitizer and UBSan into build-asan/ and run the suite there (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --test
ctest --test-dir build --output-on-failure -j"$(nproc)"

echo "test.sh: the suite again, under -fsanitize=address,undefined (build-asan/)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETC_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)" >/dev/null
# LeakSanitizer stays on: no report to suppress.
UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure -j"$(nproc)"
