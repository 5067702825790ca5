// `moesim sweep` and `moesim merge`: cartesian parameter sweeps over a scenario (see sweep.h for
// durability, resume and sharding) and combining their shards.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <ostream>
#include <thread>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "cli/text.h"

namespace moesim::cli {

namespace {

namespace fs = std::filesystem;

int run_sweep_command(const ParsedArgs& args, CommandContext& context) {
  std::vector<SweepAxis> axes;
  for (const std::string& text : args.values("vary")) axes.push_back(parse_axis(text));
  if (axes.empty()) throw UsageError("sweep needs at least one --vary KEY=V1,V2,...");
  const auto output = args.value("out");
  if (!output) throw UsageError("sweep needs --out FILE (.csv or .jsonl)");
  std::vector<ScenarioOverride> base;
  for (const std::string& text : args.values("set")) base.push_back(parse_override(text));
  for (const SweepAxis& axis : axes)
    parse_override(fmt::format("{}={}", axis.key, axis.values.front()));  // validates the key form

  SweepOptions options;
  options.output = *output;
  options.format = sweep_format(*output, args.value("format"));
  const long long jobs = args.integer_or("jobs", 1);
  // Each job is a simulation with its own memory (up to the per-simulation limit): a few per core.
  constexpr long long kMaxJobs = 256;
  if (jobs < 0 || jobs > kMaxJobs)
    throw UsageError(
        fmt::format("--jobs must be from 0 to {} (0 = one per hardware thread)", kMaxJobs));
  options.jobs = jobs == 0 ? std::max(1u, std::thread::hardware_concurrency())
                           : static_cast<std::size_t>(jobs);
  if (const auto shard = args.value("shard")) options.shard = parse_shard(*shard);
  options.progress = !args.flag("quiet");

  // Nothing is written over the scenario's files or a file an axis names.
  std::vector<std::string> inputs = scenario::scenario_input_files(args.positional.front(), base);
  for (const SweepAxis& axis : axes)
    for (const std::string& value : axis.values)
      if (std::error_code error; fs::is_regular_file(value, error)) inputs.push_back(value);
  check_output_path("--out", options.output, inputs);
  check_output_path("--out", options.output + ".partial", inputs);

  ScenarioEvaluator evaluator(args.positional.front(), base);
  const SweepSummary summary = run_sweep(axes, evaluator, options);
  context.out << fmt::format(
      "sweep: {} points{}: {} evaluated, {} resumed, {} with errors -> {}\n", summary.points,
      options.shard.count > 1 ? fmt::format(" (shard {}/{}: {} points)", options.shard.index,
                                            options.shard.count, summary.shard_points)
                              : "",
      summary.evaluated, summary.resumed, summary.failed, options.output);
  if (summary.failed > 0) {
    spdlog::error(
        "{} of {} points could not be evaluated (their rows in {} say why, in the "
        "'error' column)",
        summary.failed, summary.shard_points, options.output);
    return static_cast<int>(ExitCode::BadInput);
  }
  return 0;
}

int run_merge_command(const ParsedArgs& args, CommandContext& context) {
  const std::string& output = args.positional.front();
  const std::vector<std::string> inputs(args.positional.begin() + 1, args.positional.end());
  const MergeSummary merged =
      merge_sweeps(inputs, output, sweep_format(output, args.value("format")));
  context.out << fmt::format("merge: {} rows from {} file(s) -> {}\n", merged.rows, inputs.size(),
                             output);
  if (merged.failed > 0) {
    spdlog::error("{} of the {} rows record points that could not be evaluated ('error' column)",
                  merged.failed, merged.rows);
    return static_cast<int>(ExitCode::BadInput);
  }
  return 0;
}

}  // namespace

extern const CommandSpec sweep_command{
    .name = "sweep",
    .summary =
        "simulate the cartesian product of --vary values; resumable, parallel (--jobs), shardable "
        "(--shard)",
    .usage =
        "SCENARIO.yaml --vary KEY=V1,V2,... [--vary ...] --out FILE.csv|.jsonl [--jobs N] [--shard "
        "I/N]",
    .description =
        "Each --vary axis names a scenario key (a bare key means decode.KEY; 'fabric', 'gpu', "
        "'model' take file\n"
        "paths relative to the current directory) and its values; points are the cartesian "
        "product, the first\n"
        "axis varying slowest. Finished points are appended to FILE.partial as they complete; "
        "rerunning the same\n"
        "command after an interruption skips them. The final FILE (sorted by point) is written "
        "atomically.\n"
        "--shard I/N evaluates points with index % N == I (e.g. I = $SLURM_ARRAY_TASK_ID); combine "
        "the shards\n"
        "with 'moesim merge'. Plot with tools/plot_sweep.gp (see docs/scenarios.md).",
    .options = {{"vary", "KEY=V1,V2,...", "an axis of the sweep (repeatable)", true},
                {"out", "FILE", "output file: .csv or .jsonl (JSON lines)"},
                {"format", "csv|jsonl", "output format if the extension does not say"},
                {"jobs", "N",
                 "simulate N points at a time (default 1; 0 = one per hardware thread)"},
                {"shard", "I/N", "evaluate only shard I of N (0 <= I < N)"},
                {"set", "KEY=VALUE", "override a scenario value at every point (repeatable)", true},
                {"quiet", "", "no progress bar"}},
    .min_positional = 1,
    .max_positional = 1,
    .run = run_sweep_command,
};

extern const CommandSpec merge_command{
    .name = "merge",
    .summary = "combine sweep shards (or partial files) into one sorted output, written atomically",
    .usage = "OUT.csv|.jsonl IN... [--format csv|jsonl]",
    .description =
        "All inputs must have the same columns; a point present in two inputs must have identical "
        "rows.",
    .options = {{"format", "csv|jsonl", "format if the extension does not say"}},
    .min_positional = 2,
    .max_positional = 1000,
    .run = run_merge_command,
};

}  // namespace moesim::cli
