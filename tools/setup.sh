#!/usr/bin/env bash
# Installs the Debian packages attrib needs to build, test, benchmark and run its examples.
# Idempotent; safe to call from README commands and from .ci/run. Needs root (or sudo).
set -euo pipefail
packages=(build-essential cmake libeigen3-dev catch2 libbenchmark-dev zlib1g-dev libstb-dev dataset-fashion-mnist
          libprotobuf-dev libonnx-dev libonnx-testdata  # attrib::onnx and its conformance data
          clang-14 libclang-rt-14-dev  # CI's sanitizer and fuzz builds (libFuzzer, ASan, UBSan, TSan runtimes)
          chromium)  # renders attrib report's page in the browser test (tests/cli/browser.cmake)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
