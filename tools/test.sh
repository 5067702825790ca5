#!/usr/bin/env bash
# Sets up and builds (tools/setup.sh), checks the C++ style (clang-format), runs the whole test
# suite, then rebuilds under AddressSanitizer+UndefinedBehaviorSanitizer and ThreadSanitizer (own
# build directories) and runs the tests labelled `sanitize` (engine, queue, input reader, fabrics,
# network models and solvers) under ASan+UBSan and the `concurrent` ones under TSan.
# Last, the libFuzzer target (clang++, build-fuzz/): every regression input, then MOESIM_FUZZ_SECONDS
# (default 60) of fuzzing from the seed corpus (docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
jobs=$(nproc)

# Style: every C++ source as clang-format (.clang-format) would write it.
echo "== clang-format --dry-run --Werror"
git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror

ctest --test-dir build --output-on-failure -j "$jobs"

# A build's output goes to DIR/build.log; on failure its end is shown (ninja prints compiler errors
# on stdout).
build_quietly() {
  local dir=$1; shift
  if ! cmake --build "$dir" -j "$jobs" "$@" >"$dir/build.log" 2>&1; then
    tail -40 "$dir/build.log"
    echo "building $dir failed (log: $dir/build.log)" >&2
    exit 1
  fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
for sanitizer in address,undefined thread; do
  dir="build-${sanitizer//,/-}"
  cmake -S . -B "$dir" -G Ninja -DMOESIM_SANITIZE="$sanitizer" -DMOESIM_BUILD_BENCH=OFF >/dev/null
  build_quietly "$dir"
  label=sanitize
  [ "$sanitizer" = thread ] && label=concurrent
  echo "== tests under -fsanitize=$sanitizer (label $label)"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" -L "$label"
done

fuzz=build-fuzz
fuzz_seconds=${MOESIM_FUZZ_SECONDS:-60}
CXX=clang++ cmake -S . -B "$fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOESIM_FUZZ=ON \
  -DMOESIM_BUILD_BENCH=OFF >/dev/null
build_quietly "$fuzz" --target fuzz_loaders
echo "== fuzz target: $(ls tests/fuzz/regressions | wc -l) regression inputs, then $fuzz_seconds s of fuzzing"
if ! "$fuzz/tests/fuzz/fuzz_loaders" tests/fuzz/regressions/* >"$fuzz/regressions.log" 2>&1; then
  tail -40 "$fuzz/regressions.log"
  echo "a fuzz regression input fails again (log: $fuzz/regressions.log)" >&2
  exit 1
fi
mkdir -p "$fuzz/corpus" "$fuzz/findings"
if ! "$fuzz/tests/fuzz/fuzz_loaders" -dict=tests/fuzz/yaml.dict -max_total_time="$fuzz_seconds" -timeout=20 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$fuzz/findings/" "$fuzz/corpus" configs/fabrics \
  configs/hardware configs/models configs/scenarios tests/cli/bad >"$fuzz/fuzz.log" 2>&1; then
  tail -60 "$fuzz/fuzz.log"
  echo "the fuzz target found an input that fails (in $fuzz/findings/; add it to tests/fuzz/regressions/)" >&2
  exit 1
fi
grep -E "^stat::(number_of_executed_units|average_exec_per_sec)|cov: " "$fuzz/fuzz.log" | tail -3
