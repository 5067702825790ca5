// `moesim search SCENARIO...`: the best layouts under per-user speed targets (cli/search.h).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <optional>
#include <ostream>

#include "cli/cli.h"
#include "cli/search.h"
#include "cli/text.h"
#include "scenario/parallel.h"

namespace moesim::cli {

std::vector<OptionSpec> search_option_specs() {
  return {
      {"min-user-tps", "X", "target: at least X tokens/s per user (repeatable)", true},
      {"max-tpot-ms", "Y", "target: a TPOT of at most Y ms (repeatable)", true},
      {"vary", "KEY=V1,V2,...",
       "replace a searched dimension (ep_size, batch_per_gpu, dispatch_mode, "
       "two_micro_batch_overlap, mtp_draft_tokens) or add a hardware axis (fabric=a.yaml,b.yaml, "
       "gpu=..., any scenario key) (repeatable)",
       true},
      {"set", "KEY=VALUE", "override a scenario value at every point (repeatable)", true},
      {"network", "MODEL", "network of the search pass: fast (default), flow or analytic"},
      {"sampled-layers", "K",
       "MoE layers simulated per step in the search pass (default: the scenario's own; 0 = all)"},
      {"exact-network", "MODEL|none",
       "re-simulate the front with this network (default flow; none = do not)"},
      {"exact-sampled-layers", "K",
       "sampled MoE layers of the re-simulation (default: the scenario's own)"},
      {"out", "FILE", "every configuration: .csv or .jsonl (resumable; default: not kept)"},
      {"format", "csv|jsonl", "output format if the extension does not say"},
      {"jobs", "N", "simulate N configurations at a time (default 1; 0 = one per hardware thread)"},
      {"shard", "I/N", "evaluate only shard I of N (needs --out; merge, then rerun unsharded)"},
      {"quiet", "", "no progress bar"},
      {"dry-run", "", "print the space and what would be simulated or skipped; simulate nothing"},
  };
}

namespace {

std::uint32_t layers_option(const ParsedArgs& args, std::string_view name) {
  const long long layers = args.integer_or(name, 0);
  if (layers < 0 || layers == 1 || layers > 1'000'000)
    throw UsageError(fmt::format("--{} must be 0 (every MoE layer) or >= 2, got {}", name, layers));
  return static_cast<std::uint32_t>(layers);
}

std::string network_option(const ParsedArgs& args, std::string_view name, std::string fallback) {
  std::string network = args.value_or(name, std::move(fallback));
  if (network.empty() || network.find_first_of(",=\n") != std::string::npos)
    throw UsageError(fmt::format("--{} expects a network model name (flow, fast, analytic)", name));
  return network;
}

}  // namespace

SearchOptions search_options(const ParsedArgs& args, std::vector<std::string> scenario_files) {
  SearchOptions options;
  options.scenario_files = std::move(scenario_files);
  for (const std::string& text : args.values("set"))
    options.overrides.push_back(parse_override(text));
  for (const std::string& text : args.values("vary")) options.vary.push_back(parse_axis(text));
  for (const std::string& text : args.values("min-user-tps"))
    options.targets.push_back(parse_target(SearchTarget::Kind::MinUserTokensPerSecond, text));
  for (const std::string& text : args.values("max-tpot-ms"))
    options.targets.push_back(parse_target(SearchTarget::Kind::MaxTpotMs, text));
  options.search.network = network_option(args, "network", "fast");
  if (args.value("sampled-layers"))
    options.search.sampled_moe_layers = layers_option(args, "sampled-layers");
  const std::string exact = network_option(args, "exact-network", "flow");
  if (exact == "none") {
    options.exact.reset();
    if (args.value("exact-sampled-layers"))
      throw UsageError("--exact-sampled-layers needs an exact network (not --exact-network none)");
  } else {
    options.exact = SearchNetwork{exact, std::nullopt};
    if (args.value("exact-sampled-layers"))
      options.exact->sampled_moe_layers = layers_option(args, "exact-sampled-layers");
  }
  if (const auto output = args.value("out")) {
    options.sweep.output = *output;
    options.sweep.format = sweep_format(*output, args.value("format"));
  } else if (args.value("format")) {
    throw UsageError("--format needs --out FILE");
  }
  const long long jobs = args.integer_or("jobs", 1);
  // As sweep: each job is a simulation with its own memory.
  if (jobs < 0 || jobs > 256)
    throw UsageError("--jobs must be from 0 to 256 (0 = one per hardware thread)");
  options.sweep.jobs = jobs == 0 ? scenario::hardware_jobs() : static_cast<std::size_t>(jobs);
  if (const auto shard = args.value("shard")) options.sweep.shard = parse_shard(*shard);
  if (options.sweep.shard.count > 1 && options.sweep.output.empty())
    throw UsageError("--shard needs --out FILE (merge the shards, then rerun without --shard)");
  options.sweep.progress = !args.flag("quiet");
  options.dry_run = args.flag("dry-run");
  return options;
}

namespace {

// Nothing is written over the scenarios' files or a file an axis names (docs/scenarios.md "Errors
// and limits").
void check_outputs(const SearchOptions& options, const std::optional<std::string>& plot) {
  std::vector<std::string> inputs;
  for (const std::string& file : options.scenario_files) {
    const std::vector<std::string> files = scenario::scenario_input_files(file, options.overrides);
    inputs.insert(inputs.end(), files.begin(), files.end());
  }
  for (const SweepAxis& axis : options.vary)
    for (const std::string& value : axis.values)
      if (std::error_code error; std::filesystem::is_regular_file(value, error))
        inputs.push_back(value);
  if (!options.sweep.output.empty()) {
    check_output_path("--out", options.sweep.output, inputs);
    check_output_path("--out", options.sweep.output + ".partial", inputs);
  }
  if (plot) check_output_path("--plot", *plot, inputs);
}

int run_search_command(const ParsedArgs& args, CommandContext& context) {
  const SearchOptions options = search_options(args, args.positional);
  const auto plot = args.value("plot");
  if (plot && options.sweep.shard.count > 1)
    throw UsageError("--plot needs the whole search: merge the shards, then rerun without --shard");
  check_outputs(options, plot);
  const SearchResult result = run_search(options);
  render_search(context.out, result);
  if (result.pass.failed > 0) {
    // As sweep: a configuration that could not be evaluated is bad input, not a result.
    spdlog::error("{} configuration(s) could not be evaluated (the 'failed' lines above say why)",
                  result.pass.failed);
    return static_cast<int>(ExitCode::BadInput);
  }
  if (result.dry_run) return static_cast<int>(ExitCode::Ok);
  if (!result.complete) {
    context.out << fmt::format(
        "when every shard is done: moesim merge {} SHARD_FILES..., then run this command again "
        "with --out {} and without --shard for the front and the targets\n",
        "MERGED" + std::string(options.sweep.format == SweepFormat::Csv ? ".csv" : ".jsonl"),
        "MERGED" + std::string(options.sweep.format == SweepFormat::Csv ? ".csv" : ".jsonl"));
    return static_cast<int>(ExitCode::Ok);
  }
  if (plot) {
    plot_search(result, *plot);
    context.out << fmt::format("plot of the front: {}\n", *plot);
  }
  return static_cast<int>(result.any_target_unmet() ? ExitCode::TargetsNotMet : ExitCode::Ok);
}

std::vector<OptionSpec> command_options() {
  std::vector<OptionSpec> options = search_option_specs();
  options.push_back({"plot", "FILE.svg", "an SVG of the front(s) (gnuplot)"});
  return options;
}

}  // namespace

extern const CommandSpec search_command{
    .name = "search",
    .summary =
        "capacity planning: the Pareto front of tokens/s per GPU vs per user, and the best layout "
        "under speed targets",
    .usage =
        "SCENARIO.yaml [MORE.yaml...] [--min-user-tps X] [--max-tpot-ms Y] [--vary KEY=V1,...] "
        "[--out F.csv|.jsonl] [--plot F.svg] [--jobs N] [--shard I/N]",
    .description =
        "Searches EP size, batch per GPU, dispatch mode, two-micro-batch overlap and MTP drafts "
        "(a default space\n"
        "derived from each scenario's model and fabric; --vary replaces a dimension or adds a "
        "hardware axis such as\n"
        "fabric=a.yaml,b.yaml; several scenario files are searched side by side). Configurations "
        "that are impossible\n"
        "or do not fit in memory are skipped and counted, with the reason. Prints the Pareto front "
        "per hardware group\n"
        "and, for each target, the configuration with the most tokens/s per GPU that meets it "
        "(TPOT, tokens/s per GPU\n"
        "and per node, memory headroom, $/M tokens, power). The search pass uses --network "
        "(default: the fast\n"
        "network, docs/fast-network.md) with --sampled-layers (default: the scenario's own); the "
        "front is then\n"
        "re-simulated with --exact-network (default: the flow model, exact max-min, with the "
        "scenario's own\n"
        "sampling) and both are reported. Resumable (--out), parallel (--jobs) and shardable "
        "(--shard + merge) as\n"
        "'sweep'. Exit code 4 if no configuration meets a target. See docs/planning.md.",
    .options = command_options(),
    .min_positional = 1,
    .max_positional = 16,
    .run = run_search_command,
};

}  // namespace moesim::cli
