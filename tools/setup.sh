#!/usr/bin/env bash
# Installs moesim's build dependencies from Debian's packages (only the missing ones, non-interactively),
# then configures and builds into build/. Safe to run again: it does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build git pkg-config
  libboost-graph-dev libspdlog-dev libyaml-cpp-dev
  libgtest-dev libbenchmark-dev
  libtbb-dev        # benchmark baseline only (tbb::concurrent_priority_queue)
  libsimgrid-dev    # independent oracle for the flow model (tests/crosscheck)
  gnuplot-nox       # sweep plots
  clang-format      # the style check in tools/test.sh
  clang libclang-rt-dev llvm  # the fuzz target: clang++, libFuzzer and sanitizer runtimes, llvm-symbolizer
)
missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
cmake --build build -j "$(nproc)" >&2
