#!/usr/bin/env bash
# Sets up and builds (tools/setup.sh), checks the C++ style (clang-format), runs the whole test
# suite, then rebuilds under AddressSanitizer+UndefinedBehaviorSanitizer and ThreadSanitizer (own
# build directories) and runs the tests labelled `sanitize` (engine, queue, input reader, fabrics,
# network models and solvers) under ASan+UBSan and the `concurrent` ones under TSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
jobs=$(nproc)

# Style: every C++ source as clang-format (.clang-format) would write it.
echo "== clang-format --dry-run --Werror"
git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror

ctest --test-dir build --output-on-failure -j "$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
for sanitizer in address,undefined thread; do
  dir="build-${sanitizer//,/-}"
  cmake -S . -B "$dir" -G Ninja -DMOESIM_SANITIZE="$sanitizer" -DMOESIM_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  label=sanitize
  [ "$sanitizer" = thread ] && label=concurrent
  echo "== tests under -fsanitize=$sanitizer (label $label)"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" -L "$label"
done
