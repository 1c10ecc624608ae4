#!/usr/bin/env bash
# Installs dependencies, builds attrib's tests (Release) and runs the whole suite with CTest.
# Extra arguments are passed to ctest (e.g. -LE slow to skip full-size networks).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/setup.sh"
build="${ATTRIB_BUILD_DIR:-$root/build}"
# Tests and examples at -O1: they check results, and the build takes a third of the time at -O3
# (docs/reliability.md, "CI time"); the library's users and the README's example keep -O3.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DATTRIB_TEST_OPTIMIZATION=-O1 \
      -DATTRIB_EXAMPLE_OPTIMIZATION=-O1 >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
