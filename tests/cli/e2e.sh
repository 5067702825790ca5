#!/usr/bin/env bash
# End-to-end tests of the moesim binary: exit codes, key numbers of the default (claim) and plan output, the
# catalogue of bad scenario files (file:line: key in one line on stderr, exit code 2, nothing written), run/trace,
# topo, selfcheck, a sweep that is sharded, merged and compared byte for byte with an unsharded run, and
# searches (targets, exit codes, bad targets and spaces, shards + merge) and compare --at-best.
# usage: e2e.sh MOESIM_BINARY SOURCE_DIR
set -uo pipefail
moesim=$1
cd "$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect CODE TEXT... -- ARGS: runs moesim ARGS, checks the exit code and that stdout+stderr contain every TEXT.
expect() {
  local code=$1; shift
  local texts=()
  while [ "$1" != "--" ]; do texts+=("$1"); shift; done
  shift
  "$moesim" "$@" >"$work/out" 2>"$work/err"
  local got=$?
  [ "$got" -eq "$code" ] || fail "moesim $* exited $got, expected $code; stderr: $(head -3 "$work/err")"
  for text in "${texts[@]}"; do
    grep -qF -- "$text" "$work/out" "$work/err" || fail "moesim $*: output lacks '$text'"
  done
}

# The claim's arithmetic, exactly (section (b)); the simulation part is exercised below with the analytic model.
expect 0 "891,813,888 B" "6.860 us" "1,783.6 us" "260.0x" "497.94 GB/s per server" "1,790.49 us" \
  "120.96 us (stated 120.96 us)" "6.72 us (stated 6.72 us): 18x" "ratio 16.2x" -- claim --arithmetic-only
expect 0 "(c) moesim's simulation" "H200, node-dedup" "Which assumptions make the difference" -- \
  claim --set network=analytic
# The real default run once (flow model, ideal and calibrated): every stage of (d) and the Hopper InfiniBand assumption.
expect 0 "4 of the 58 MoE layers simulated" "Calibrated, as shipped" "trtllm-mnnvl on gb200-nvl72" \
  "deepep-low-latency on hopper — assumption" "fixed cost per layer (dispatch + combine)" "(d) Where the 260x goes" \
  "(ii) bandwidth only, per GPU per direction" "(iii) ideal fluid, direct" "(iv) calibrated kernels, node-dedup" \
  "a factor 16.02 = 9" --

# plan: every published row reproduced (or flagged) with its stated figure.
expect 0 "835.6B" "836B (matches)" "0.6T (matches)" "3,038.2B" "3,048B (DIFFERS)" "2.13T (matches)" \
  "3.19T (matches)" "6.4T (matches)" "1,289.1B" "about 1,400B (DIFFERS)" "1.3T (DIFFERS)" "41.7 %" \
  "1.6T (DIFFERS)" "35.8 %" "[extension]" -- plan
expect 0 "trunk fraction d = 2.5" "largest batch per GPU at 4,096 tokens" -- \
  plan configs/scenarios/ep72-gb200-nvl72.yaml --set ep_size=8 --context 4096 --table configs/scenarios/plan-memory-fit.yaml

# Usage errors: exit 1.
expect 1 "unknown command" -- no-such-command
expect 1 "needs 1 argument" -- run
expect 1 "unknown option '--bogus'" -- run configs/scenarios/ep72-h200-9x.yaml --bogus
expect 1 "unknown scenario key 'decode.batch_size'" -- sweep configs/scenarios/ep72-h200-9x.yaml --vary batch_size=1,2 --out "$work/x.csv"
expect 1 "choose one of --json and --csv" -- run configs/scenarios/ep72-h200-9x.yaml --json --csv
expect 0 "usage: moesim sweep" -- sweep --help

# The catalogue of bad files: one line, file:line: key, exit code 2, and no trace file written.
bad=tests/cli/bad
expect 2 "$bad/unknown-key.yaml:5: key 'decode.batch_size': unknown key" -- run $bad/unknown-key.yaml --trace "$work/t.json"
expect 2 "$bad/bad-unit.yaml:8: key 'gpu.hbm_bandwidth': unknown unit" -- run $bad/bad-unit.yaml --trace "$work/t.json"
expect 2 "$bad/missing-key.yaml:7: key 'decode.ep_size': missing required key" -- run $bad/missing-key.yaml
expect 2 "$bad/ep-too-large.yaml:5: key 'decode.ep_size': EP size 144 exceeds the 72 GPUs" -- run $bad/ep-too-large.yaml
expect 2 "$bad/does-not-fit.yaml:7: key 'decode.batch_per_gpu': DeepSeek-V3 does not fit" -- run $bad/does-not-fit.yaml
expect 2 "$bad/bad-value.yaml:4: key 'decode.routing': unknown value 'random'" -- run $bad/bad-value.yaml
expect 2 "$bad/include-cycle.yaml:2: key 'include'" -- run $bad/include-cycle.yaml
expect 2 "$bad/missing-include.yaml:2: key 'include': cannot open" -- run $bad/missing-include.yaml
expect 2 "$bad/bad-syntax.yaml:" -- run $bad/bad-syntax.yaml
expect 2 "$bad/no-source.yaml:1: key 'source': missing required key" -- run $bad/no-source.yaml
expect 2 "$bad/unknown-kernel.yaml:5: key 'decode.calibration.kernel': no fitted calibration for kernel 'deepep-normal'" -- \
  run $bad/unknown-kernel.yaml
expect 2 "$bad/calibration-unknown-key.yaml:7: key 'decode.calibration.sytem': unknown key" -- \
  run $bad/calibration-unknown-key.yaml
expect 2 "command line: key 'decode.calibration.system': no fitted calibration" -- \
  run configs/scenarios/ep72-h200-9x.yaml --set calibration.system=h200-hgx
expect 2 "command line: key 'decode.compute': unknown value 'measured'" -- \
  run configs/scenarios/ep72-h200-9x.yaml --set compute=measured
expect 2 "command line: key 'decode.batch_per_gpu': expected an integer" -- \
  run configs/scenarios/ep72-h200-9x.yaml --set batch_per_gpu=many
# Hardening (issue 14): every class of input that crashed moesim, made it work without end or exhaust memory,
# or gave a silent wrong answer, is now one line naming file:line: key (or the flag) and a non-zero exit code.
# Crashes: non-finite numbers, keys that are not names, directories where a file is expected.
expect 2 "$bad/inf-bandwidth.yaml:10: key 'fabric.scale_up.bandwidth': expected a finite number" -- \
  run $bad/inf-bandwidth.yaml
expect 2 "$bad/fabrics/inf-bandwidth.yaml:8: key 'scale_up.bandwidth': expected a finite number" -- \
  topo $bad/fabrics/inf-bandwidth.yaml
expect 2 "$bad/non-scalar-key.yaml:4: a key must be a plain name" -- run $bad/non-scalar-key.yaml
for command in run topo compare claim; do
  expect 2 "configs/scenarios: is a directory" -- $command configs/scenarios
done
expect 2 "does/not/exist" -- validate --configs does/not/exist
# Work that cannot fit: refused from the counts, saying how much it would take and which key drives it.
expect 2 "$bad/too-many-gpus.yaml:7: key 'fabric.servers': the fabric is too large: it would have 1,000,000,000,000 GPUs" \
  -- run $bad/too-many-gpus.yaml
expect 2 "$bad/fabrics/too-many-gpus.yaml:5: key 'servers': the fabric is too large" -- topo $bad/fabrics/too-many-gpus.yaml
expect 2 "$bad/too-many-racks.yaml:7: key 'fabric.racks': the fabric is too large: it would have 72,000,000 GPUs" -- \
  run $bad/too-many-racks.yaml
expect 2 "$bad/alias-links.yaml:14: key 'fabric.links[5].from': the fabric is too large" "4,800,000 directed links" -- \
  run $bad/alias-links.yaml
expect 2 "$bad/alias-bomb.yaml:3: the file expands to more than 200000 values" -- run $bad/alias-bomb.yaml
expect 2 "$bad/too-many-steps.yaml:6: key 'decode.steps': simulating it would need about 4.8 GB of memory" -- \
  run $bad/too-many-steps.yaml
expect 2 "command line: key 'decode.steps': it would simulate about 512 million messages" -- \
  run configs/scenarios/ep72-gb200-nvl72.yaml --set ep_size=8 --set steps=1000000
expect 1 "--lps 1,000,000,000: that many logical processes" "about 50.0 GB" -- selfcheck --lps 1000000000
expect 1 "the --vary axes make more than 100000 points" -- sweep configs/scenarios/ep72-gb200-nvl72.yaml \
  --vary batch_per_gpu="$(seq -s, 1 1001)" --vary seed="$(seq -s, 1 1000)" --out "$work/big.csv"
expect 1 "--jobs must be from 0 to 256" -- sweep configs/scenarios/ep72-gb200-nvl72.yaml --vary seed=1 --jobs 100000 \
  --out "$work/big.csv"
# Silent wrong answers: NaN, duplicate keys, second documents.
expect 2 "$bad/nan-reserve.yaml:9: key 'memory.reserve_fraction': expected a finite number" -- run $bad/nan-reserve.yaml
expect 2 "$bad/nan-acceptance.yaml:6: key 'decode.mtp_acceptance': expected a finite number" -- \
  run $bad/nan-acceptance.yaml
expect 2 "$bad/duplicate-key.yaml:6: key 'ep_size' appears twice" -- run $bad/duplicate-key.yaml
expect 2 "$bad/second-document.yaml:4: a second YAML document" -- run $bad/second-document.yaml
# Misleading messages: values beyond simulated time or memory are refused at load, saying what is too large.
expect 2 "$bad/tiny-bandwidth.yaml:12: key 'fabric.scale_out.nic_bandwidth': '1e-300 GB/s' is out of range" -- \
  run $bad/tiny-bandwidth.yaml
expect 2 "$bad/huge-latency.yaml:12: key 'fabric.scale_up.link_latency': duration '1e10 s' is too large" -- \
  run $bad/huge-latency.yaml
expect 2 "$bad/nan-latency.yaml:14: key 'fabric.overheads.scale_up': expected a finite number" -- run $bad/nan-latency.yaml
expect 2 "$bad/huge-hbm.yaml:7: key 'gpu.hbm_capacity': '1e300 B' is out of range" -- run $bad/huge-hbm.yaml
expect 2 "$bad/huge-element.yaml:6: key 'decode.dispatch_bytes_per_element': must be a number > 0 and <= 16" -- \
  run $bad/huge-element.yaml
# Outputs never replace inputs (usage error, the input untouched).
printf 'source: "test fixture"\ninclude: %s/configs/scenarios/ep72-gb200-nvl72.yaml\n' "$PWD" >"$work/S.yaml"
cp "$work/S.yaml" "$work/S.copy"
expect 1 "--trace $work/S.yaml: that is an input of this command" -- run "$work/S.yaml" --trace "$work/S.yaml"
expect 1 "--trace configs/scenarios/deepseek-v3-decode.yaml: that is an input" -- \
  run "$work/S.yaml" --trace configs/scenarios/deepseek-v3-decode.yaml
cmp -s "$work/S.yaml" "$work/S.copy" || fail "run --trace overwrote its scenario"
expect 1 "--dot configs/fabrics/tiny-2x2.yaml: that is an input" -- \
  topo configs/fabrics/tiny-2x2.yaml --dot configs/fabrics/tiny-2x2.yaml
expect 1 "--out $work/S.yaml: that is an input" -- sweep "$work/S.yaml" --vary ep_size=8 --out "$work/S.yaml" --format csv
expect 1 "--out $work/S.yaml: that is an input" -- search "$work/S.yaml" --out "$work/S.yaml" --format csv
expect 1 "--plot $work/S.yaml: that is an input" -- search "$work/S.yaml" --plot "$work/S.yaml"
expect 1 "--jobs must be from 0 to 256" -- search "$work/S.yaml" --jobs 100000
# An unknown log level must not switch the error messages off.
MOESIM_LOG=bogus "$moesim" run "$work/missing.yaml" 2>"$work/err"
[ $? -eq 2 ] || fail "MOESIM_LOG=bogus: expected exit code 2"
grep -q "MOESIM_LOG='bogus' is not a log level" "$work/err" || fail "MOESIM_LOG=bogus: no warning"
grep -q "missing.yaml: cannot open file" "$work/err" || fail "MOESIM_LOG=bogus: the error message disappeared"

for file in $bad/*.yaml; do
  "$moesim" run "$file" >/dev/null 2>"$work/err"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$file: expected exactly one line on stderr, got: $(cat "$work/err")"
done
[ ! -e "$work/t.json" ] || fail "a trace was written for a bad scenario"
ls "$work"/.t.json.tmp.* >/dev/null 2>&1 && fail "a temporary trace file was left behind"

# run: table, JSON, CSV, and a Chrome trace (small EP so it stays fast).
small=(configs/scenarios/ep72-gb200-nvl72.yaml --set ep_size=8 --set batch_per_gpu=16)
expect 0 "per-user tokens/s" "memory per GPU" "headroom" "combine, per GPU" "busiest links" -- \
  run "${small[@]}"
expect 0 "\"dispatch_p50_us\":" "\"combine_per_gpu_p50_us\":" "\"tokens_per_second_per_gpu\":" -- \
  run "${small[@]}" --json
expect 0 "kernels   calibrated: trtllm-mnnvl set 'gb200-nvl72' (measured on gb200-nvl72" \
  "compute   calibrated: blackwell set" "outside   +8.0 us per layer" "with the kernel's fixed costs" -- run "${small[@]}"
expect 0 "kernels   ideal fluid" "compute   roofline at 70 % efficiency" -- \
  run configs/scenarios/ep72-gb200-nvl72-ideal.yaml --set ep_size=8 --set batch_per_gpu=16
expect 0 "\"calibration\":\"trtllm-mnnvl@gb200-nvl72\"" "\"compute\":\"calibrated@blackwell\"" -- \
  run "${small[@]}" --json
expect 0 "calibration,calibration_dispatch_fixed_us" "deepep-low-latency@hopper" "calibrated@hopper" -- \
  run configs/scenarios/ep72-h200-9x.yaml --set ep_size=8 --set batch_per_gpu=16 --csv
# A GPU without its own measurements: the closest generation, and the output says so.
expect 0 "using hopper measurements for Ascend 910C" -- \
  run configs/scenarios/ep72-h200-9x.yaml --set ep_size=8 --set batch_per_gpu=16 --set gpu=configs/hardware/ascend-910c.yaml

# validate: both groups, in-sample and held aside per system; the targets the data cannot meet give exit 4.
expect 4 "All-to-all per system" "hopper without h100-hgx" "b200-hgx" "Compute: measured per-operation" \
  "held aside (GPU left out)" "targets: " "NOT met" "not met: all-to-all held aside: b200-hgx predicted by hopper" -- validate
expect 4 "set 'hopper' applied to every point of its kernel" "generation 'hopper' applied to every GPU" -- \
  validate --calibration-system hopper
expect 4 "Which terms pay their way" "without per_peer_cost" "without scale_out_message_cost" -- validate --terms
# A stale parameter file (data changed since the fit) is refused with exit 2; --fit rewrites it.
cp -r configs "$work/configs"
echo "# changed" >>"$work/configs/validation/compute/dense-gemm.yaml"
expect 2 "compute-calibration.yaml: stale" -- validate --configs "$work/configs"
expect 4 "fitted 2 compute generations" -- validate --fit --configs "$work/configs"
expect 4 "targets: " -- validate --configs "$work/configs"
expect 0 "scenario,model,gpu,fabric,ep_size" -- run "${small[@]}" --csv --trace "$work/trace.json"
grep -q '"traceEvents"' "$work/trace.json" || fail "trace lacks traceEvents"
grep -q '"name":"dispatch"' "$work/trace.json" || fail "trace lacks dispatch spans"
grep -q '"ph":"C","pid":3,"name":"scale-up links busy"' "$work/trace.json" || fail "trace lacks link activity"
tail -c 4 "$work/trace.json" | grep -q ']}' || fail "trace is not terminated"
# --check-exact: the fast network against exact max-min on the same scenario, with the spread of two
# exact implementations and of exact max-min with every dispatch 1 ns later beside it; a bad K
# refused.
expect 0 "fast vs exact max-min" "dispatch per GPU p99 (us)" "exact vs exact" "exact, 1 ns later" \
  "host seconds" -- \
  run "${small[@]}" --set network=fast --check-exact 2
expect 1 "--check-exact expects 0 (every MoE layer) or a layer count >= 2" -- \
  run "${small[@]}" --check-exact 1

# topo and selfcheck.
expect 0 "hgx-h200x9" -- topo configs/fabrics/hgx-h200x9.yaml --dot "$work/f.dot"
grep -q "digraph\|graph" "$work/f.dot" || fail "topo --dot wrote no graph"
expect 0 "identical trace (same hash)" "events per second" -- selfcheck --events 20000 --lps 1000
expect 0 '"reproducible":true' -- selfcheck --events 20000 --lps 1000 --json

# sweep: unsharded (2 threads) versus 3 shards merged, byte for byte; a rerun resumes everything.
sweep=(sweep configs/scenarios/ep72-gb200-nvl72.yaml --set ep_size=8 --vary batch_per_gpu=4,8,16
       --vary dispatch_mode=direct,node-dedup --quiet)
expect 0 "6 points" "6 evaluated" -- "${sweep[@]}" --out "$work/whole.csv" --jobs 2
for shard in 0 1 2; do
  expect 0 "shard $shard/3: 2 points" -- "${sweep[@]}" --out "$work/part$shard.csv" --shard $shard/3
done
expect 0 "merge: 6 rows from 3 file(s)" -- merge "$work/merged.csv" "$work/part0.csv" "$work/part1.csv" "$work/part2.csv"
cmp -s "$work/whole.csv" "$work/merged.csv" || fail "shards merged differ from the unsharded sweep"
expect 0 "0 evaluated, 6 resumed" -- "${sweep[@]}" --out "$work/whole.csv"
[ "$(wc -l <"$work/whole.csv")" -eq 7 ] || fail "sweep output should have a header and 6 rows"
# A point that fails is a row with its error and exit code 2 (the others are kept); merge says so too. A merge
# output may not be an input, nor an input a directory.
expect 2 "2 points: 2 evaluated, 0 resumed, 1 with errors" "1 of 2 points could not be evaluated" -- \
  sweep configs/scenarios/ep72-gb200-nvl72.yaml --vary ep_size=8,1000 --set batch_per_gpu=4 --out "$work/failed.csv" --quiet
grep -q "key 'decode.ep_size': EP size 1000 exceeds the 72 GPUs" "$work/failed.csv" || fail "failed row lacks its error"
expect 2 "merge: 2 rows" "1 of the 2 rows record points that could not be evaluated" -- merge "$work/m.csv" "$work/failed.csv"
expect 1 "that is an input of this command" -- merge "$work/part0.csv" "$work/part0.csv" "$work/part1.csv"
mkdir -p "$work/directory"
expect 2 "$work/directory: is a directory" -- merge "$work/m2.csv" "$work/directory"
[ ! -e "$work/m2.csv" ] || fail "merge wrote an output for a directory input"

# search: a small space (DeepSeek-V3 at EP8 in an NVL72 rack, analytic network), its targets and exit codes.
nvl72=(search configs/scenarios/ep72-gb200-nvl72.yaml --network analytic --quiet)
search=("${nvl72[@]}" --vary ep_size=8 --vary batch_per_gpu=1,16,64 --sampled-layers 2 --exact-network analytic --exact-sampled-layers 4)
expect 0 "space: 24 configurations" "20 simulated, 0 do not fit in memory, 4 invalid" \
  "two_micro_batch_overlap: two-micro-batch overlap needs batch_per_gpu >= 2" "Pareto front" \
  "the front is re-simulated with analytic, 4 of 58 MoE layers sampled" ">= 50 tokens/s per user" \
  "column \`pareto\` marks the front" -- "${search[@]}" --min-user-tps 50 --out "$work/search.csv" --jobs 2
[ -s "$work/search.exact.csv" ] || fail "search wrote no re-simulation of the front"
expect 4 "none meets it" -- "${search[@]}" --max-tpot-ms 1
expect 0 "search network: fast, 4 of 58 MoE layers sampled; the front is re-simulated with flow" "left out: EP 1, 2, 4: the weights alone do not fit" "(--dry-run: nothing simulated)" -- \
  search configs/scenarios/ep144-h200-18x.yaml --dry-run
# Shards, merged, then the unsharded run on the merged file: byte for byte the one-run output.
for shard in 0 1; do
  expect 0 "shard $shard/2" -- "${search[@]}" --min-user-tps 50 --out "$work/spart$shard.csv" --shard $shard/2
done
expect 0 "merge: 24 rows" -- merge "$work/smerged.csv" "$work/spart0.csv" "$work/spart1.csv"
expect 0 "Pareto front" -- "${search[@]}" --min-user-tps 50 --out "$work/smerged.csv"
cmp -s "$work/search.csv" "$work/smerged.csv" || fail "search shards merged differ from one search"
# The default search pass (the fast network, the front re-simulated exactly): --jobs 1 and 2 agree.
fastsearch=(search configs/scenarios/ep72-gb200-nvl72.yaml --vary ep_size=8 --vary batch_per_gpu=1,16
  --vary dispatch_mode=direct --vary two_micro_batch_overlap=false --min-user-tps 50 --quiet)
for jobs in 1 2; do
  expect 0 "search network: fast" -- "${fastsearch[@]}" --jobs $jobs --out "$work/fast$jobs.csv"
done
cmp -s "$work/fast1.csv" "$work/fast2.csv" || fail "search on the fast network differs between --jobs 1 and 2"
cmp -s "$work/fast1.exact.csv" "$work/fast2.exact.csv" || fail "the front's exact re-simulations differ"
# Bad targets and spaces: usage errors exit 1, bad values exit 2.
expect 1 "--min-user-tps expects a number > 0, got 'fast'" -- "${search[@]}" --min-user-tps fast
expect 1 "--max-tpot-ms expects a number > 0, got '0'" -- "${search[@]}" --max-tpot-ms 0
expect 1 "unknown scenario key 'decode.bogus'" -- "${search[@]}" --vary bogus=1,2
expect 1 "--vary decode.batch_per_gpu given more than once" -- "${search[@]}" --vary decode.batch_per_gpu=2
expect 1 "the networks are chosen with --network" -- "${search[@]}" --vary network=flow,analytic
expect 1 "--shard needs --out" -- "${search[@]}" --shard 0/2
expect 1 "--sampled-layers must be 0 (every MoE layer) or >= 2" -- "${nvl72[@]}" --sampled-layers 1
expect 2 "command line: key 'decode.ep_size': expected an integer" -- "${nvl72[@]}" --vary ep_size=eight
expect 2 "none of the 24 configurations of the search can be simulated" -- \
  "${nvl72[@]}" --vary ep_size=0 --vary batch_per_gpu=1,16,64
expect 2 "key 'fabric': cannot open" -- "${search[@]}" --vary fabric=no-such-fabric.yaml
# compare --at-best: each side at its best under the target, with why.
atbest=(compare configs/scenarios/ep72-gb200-nvl72.yaml configs/scenarios/ep72-h200-9x.yaml --at-best
        --vary ep_size=8 --vary batch_per_gpu=16,64,96 --vary two_micro_batch_overlap=false --network analytic
        --exact-network none --quiet)
expect 0 "at >= 20 tokens/s per user:" "best configuration" "largest batch that fits" "why:" \
  "$ per million output tokens" -- "${atbest[@]}" --min-user-tps 20
expect 1 "--at-best needs a target" -- "${atbest[@]}"
expect 1 "--min-user-tps needs --at-best" -- compare configs/scenarios/ep72-vs-ep144.yaml --min-user-tps 20

if [ "$failures" -ne 0 ]; then
  echo "$failures end-to-end check(s) failed" >&2
  exit 1
fi
echo "all end-to-end checks passed"
