#!/usr/bin/env bash
# Golden-output tests of the moesim program: each command's whole stdout is compared with a checked-in
# file in tests/cli/golden/ (as SimGrid's tesh files do), so any change to what users read is seen.
#   usage: golden.sh MOESIM_BINARY SOURCE_DIR            compare (exit 1 and a diff on a mismatch)
#          golden.sh MOESIM_BINARY SOURCE_DIR --update   rewrite the files after an intended change
# Regenerate after an intended change with:  bash tests/cli/golden.sh build/moesim . --update
# and review `git diff tests/cli/golden/` before committing.
set -uo pipefail
moesim=$(realpath "$1")
cd "$2"
update=${3:-}
golden=tests/cli/golden
failures=0

# name | arguments
cases=(
  "claim|"
  "plan|plan"
  "topo-hgx-h200x9|topo configs/fabrics/hgx-h200x9.yaml"
  "topo-gb200-nvl72x2|topo configs/fabrics/gb200-nvl72x2.yaml"
  "topo-cloudmatrix384|topo configs/fabrics/cloudmatrix384.yaml"
  "compare-ep72-vs-ep144|compare configs/scenarios/ep72-vs-ep144.yaml"
  "search-small|search configs/scenarios/ep72-gb200-nvl72.yaml --vary ep_size=8,16 --vary batch_per_gpu=1,16,64,256 --network analytic --sampled-layers 2 --exact-network analytic --exact-sampled-layers 4 --min-user-tps 50 --max-tpot-ms 30 --quiet"
  "compare-at-best-small|compare configs/scenarios/ep72-vs-ep144.yaml --at-best --vary batch_per_gpu=16,256 --vary dispatch_mode=node-dedup --network analytic --sampled-layers 2 --exact-network none --min-user-tps 20 --quiet"
)

for entry in "${cases[@]}"; do
  name=${entry%%|*}
  read -r -a args <<<"${entry#*|}"
  actual=$(mktemp)
  if ! "$moesim" "${args[@]}" >"$actual" 2>/dev/null; then
    echo "FAIL: moesim ${args[*]} exited non-zero" >&2
    failures=$((failures + 1))
  elif [ "$update" = --update ]; then
    cp "$actual" "$golden/$name.txt" && chmod 644 "$golden/$name.txt"
  elif ! diff -u "$golden/$name.txt" "$actual" >&2; then
    echo "FAIL: moesim ${args[*]} differs from $golden/$name.txt (intended? rerun with --update)" >&2
    failures=$((failures + 1))
  fi
  rm -f "$actual"
done
[ "$failures" -eq 0 ] && echo "golden outputs: all ${#cases[@]} match" || exit 1
