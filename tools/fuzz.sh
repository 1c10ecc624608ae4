#!/usr/bin/env bash
# Runs one fuzz target of tests/fuzz with the limits documented in docs/reliability.md.
#   tools/fuzz.sh <build dir> <target> <seconds> [more libFuzzer options]
# The build dir is configured with clang and -DATTRIB_FUZZ=ON (and -DATTRIB_SANITIZE=ON for ASan+UBSan).
# New corpus entries go to <build dir>/fuzz/<target>/corpus (the committed seeds in tests/fuzz/corpus
# are read, never written); a crash, leak, timeout or over-limit allocation leaves its input in
# <build dir>/fuzz/<target>/ and the exit code is non-zero. The log is <build dir>/fuzz/<target>.log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$1" target="$2" seconds="$3"
shift 3
# Limits per target: the largest single allocation (-malloc_limit_mb), the whole process
# (-rss_limit_mb), the time for one input (-timeout, s) and the input size (-max_len, bytes).
case "$target" in
  npy|safetensors|idx) limits=(-malloc_limit_mb=256 -rss_limit_mb=1024 -timeout=10 -max_len=4096) ;;
  image) limits=(-malloc_limit_mb=1024 -rss_limit_mb=2048 -timeout=10 -max_len=4096) ;;
  onnx) limits=(-malloc_limit_mb=512 -rss_limit_mb=2048 -timeout=10 -max_len=65536) ;;
  *) echo "tools/fuzz.sh: unknown target '$target' (npy, safetensors, idx, image, onnx)" >&2; exit 2 ;;
esac
exe="$build/tests/fuzz/fuzz_$target"
[ -x "$exe" ] || { echo "tools/fuzz.sh: $exe not built (configure with clang and -DATTRIB_FUZZ=ON)" >&2; exit 2; }
work="$build/fuzz/$target"
mkdir -p "$work/corpus"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if "$exe" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" "$@" \
     "$work/corpus" "$root/tests/fuzz/corpus/$target" > "$build/fuzz/$target.log" 2>&1; then
  echo "fuzz $target: $(grep -E '^stat::number_of_executed_units' "$build/fuzz/$target.log" | awk '{print $2}') runs" \
       "in ${seconds} s, peak RSS $(grep -E '^stat::peak_rss_mb' "$build/fuzz/$target.log" | awk '{print $2}') MB, no finding"
else
  echo "fuzz $target: FINDING (log $build/fuzz/$target.log, input in $work/)" >&2
  grep -E "ERROR|SUMMARY|runtime error|Test unit written|Base64" "$build/fuzz/$target.log" | head -20 >&2
  exit 1
fi
