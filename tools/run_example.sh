#!/usr/bin/env bash
# Installs dependencies, builds the examples (Release) and runs the quickstart example.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/setup.sh"
build="${ATTRIB_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DATTRIB_EXAMPLE_OPTIMIZATION= >/dev/null  # the example at -O3, also after run_tests.sh
cmake --build "$build" -j"$(nproc)" --target 01_quickstart
cd "$build/examples" && ./01_quickstart "$@"
