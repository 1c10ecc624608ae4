#!/usr/bin/env bash
# Installs dependencies, builds attrib's tests (Release) and runs the whole suite with CTest.
# Extra arguments are passed to ctest (e.g. -LE slow to skip full-size networks).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/setup.sh"
build="${ATTRIB_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
