#!/usr/bin/env bash
# Installs dependencies, builds the attrib program (Release) and writes a trust report for the
# shipped Fashion-MNIST MobileNet on the four shipped sample images (docs/cli.md). Extra
# arguments go to `attrib report` (e.g. --rules Gradient,LrpZPlus).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/setup.sh"
build="${ATTRIB_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target attrib_cli
"$build/apps/attrib/attrib" report fmnist_mobile "$root"/models/samples/*.png --out "$build/report" "$@"
echo "open $build/report/index.html"
