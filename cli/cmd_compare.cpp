// `moesim compare A.yaml B.yaml` (or one file listing both under `compare:`): two layouts side by
// side — GPUs, nodes, memory headroom, latency, per-user TPS, tokens/s per GPU, cost per million
// output tokens and power.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ostream>

#include "cli/cli.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "cli/search.h"
#include "cli/text.h"
#include "input/mapping.h"
#include "scenario/scenario.h"

namespace moesim::cli {

namespace {

struct Side {
  Scenario scenario;
  RunResult result;
};

// Cost per million output tokens at a $/GPU-hour: a GPU produces tokens_per_second_per_gpu x 3600
// tokens an hour.
std::optional<double> usd_per_million_tokens(const Side& side) {
  if (!side.scenario.cost || side.result.metrics.output_tokens_per_second_per_gpu <= 0)
    return std::nullopt;
  return side.scenario.cost->usd_per_gpu_hour /
         (side.result.metrics.output_tokens_per_second_per_gpu * 3600.0) * 1e6;
}

std::string ratio(double a, double b) {
  return a > 0 ? fmt::format("{:.2f}x", b / a) : "-";
}

// `compare --at-best`: each side searched (its own EP size unless --vary says otherwise) and
// shown at its best configuration under each target.
int run_at_best(const ParsedArgs& args, CommandContext& context,
                const std::vector<std::string>& files) {
  SearchOptions options = search_options(args, {});
  if (options.targets.empty())
    throw UsageError("--at-best needs a target: --min-user-tps X or --max-tpot-ms Y");
  options.own_ep_size_only = true;
  std::vector<SearchResult> results;
  for (const std::string& file : files) {
    options.scenario_files = {file};
    results.push_back(run_search(options));
  }
  render_at_best(context.out, results[0], results[1], files[0], files[1]);
  return static_cast<int>(results[0].any_target_unmet() || results[1].any_target_unmet()
                              ? ExitCode::TargetsNotMet
                              : ExitCode::Ok);
}

int run_compare(const ParsedArgs& args, CommandContext& context) {
  std::vector<std::string> files = args.positional;
  if (files.size() == 1) {
    const input::Mapping pair = input::Mapping::load_file(files.front());
    pair.expect_only({"source", "notes", "compare"});
    pair.string("source");
    const std::vector<std::string> listed = pair.strings("compare");
    if (listed.size() != 2) pair.fail("compare", "expected a list of two scenario files");
    files = {input::resolve_relative(files.front(), listed[0]),
             input::resolve_relative(files.front(), listed[1])};
  }
  if (args.flag("at-best")) return run_at_best(args, context, files);
  for (const OptionSpec& option : search_option_specs())
    if (args.flag(option.name)) throw UsageError(fmt::format("--{} needs --at-best", option.name));
  std::vector<Side> sides;
  for (const std::string& file : files) sides.push_back({load_scenario(file), {}});
  spdlog::info("simulating {} and {} in parallel", sides[0].scenario.name, sides[1].scenario.name);
  std::vector<RunResult> results = simulate_with_progress(
      fmt::format("{} and {}", sides[0].scenario.name, sides[1].scenario.name),
      {&sides[0].scenario, &sides[1].scenario});
  for (std::size_t i = 0; i < sides.size(); ++i) sides[i].result = std::move(results[i]);
  const Side& a = sides[0];
  const Side& b = sides[1];
  const auto& ma = a.result.metrics;
  const auto& mb = b.result.metrics;

  Table table({"", a.scenario.name, b.scenario.name, "B / A"});
  auto row = [&](std::string name, std::string va, std::string vb, std::string r = "") {
    table.add_row({std::move(name), std::move(va), std::move(vb), std::move(r)});
  };
  auto numeric = [&](std::string name, double va, double vb, const std::string& format) {
    row(std::move(name), fmt::format(fmt::runtime(format), va),
        fmt::format(fmt::runtime(format), vb), ratio(va, vb));
  };
  row("model", a.scenario.model.name, b.scenario.model.name);
  row("GPU", a.scenario.gpu.name, b.scenario.gpu.name);
  row("fabric", a.scenario.fabric->name(), b.scenario.fabric->name());
  numeric("GPUs (EP size)", a.scenario.decode.ep_size, b.scenario.decode.ep_size, "{:.0f}");
  numeric("nodes (scale-up domains)", ma.nodes, mb.nodes, "{:.0f}");
  numeric("expert slots per GPU", ma.memory.expert_slots, mb.memory.expert_slots, "{:.0f}");
  numeric("batch per GPU", a.scenario.decode.batch_per_gpu, b.scenario.decode.batch_per_gpu,
          "{:.0f}");
  numeric("context tokens", static_cast<double>(a.scenario.decode.context_tokens),
          static_cast<double>(b.scenario.decode.context_tokens), "{:.0f}");
  table.add_rule();
  numeric("weights per GPU (GB)", ma.memory.weight_bytes / 1e9, mb.memory.weight_bytes / 1e9,
          "{:.1f}");
  numeric("KV cache per GPU (GB)", ma.memory.kv_cache_bytes / 1e9, mb.memory.kv_cache_bytes / 1e9,
          "{:.1f}");
  numeric("memory headroom per GPU (GB)", ma.memory.headroom_bytes() / 1e9,
          mb.memory.headroom_bytes() / 1e9, "{:.1f}");
  table.add_rule();
  numeric("dispatch per layer p50 (us)", ma.dispatch.p50_us, mb.dispatch.p50_us, "{:.1f}");
  numeric("combine per layer p50 (us)", ma.combine.p50_us, mb.combine.p50_us, "{:.1f}");
  numeric("TPOT (us)", ma.tpot_us, mb.tpot_us, "{:.0f}");
  numeric("per-user tokens/s", ma.per_user_tokens_per_second, mb.per_user_tokens_per_second,
          "{:.1f}");
  numeric("output tokens/s per GPU", ma.output_tokens_per_second_per_gpu,
          mb.output_tokens_per_second_per_gpu, "{:.0f}");
  numeric("output tokens/s, whole EP group",
          ma.output_tokens_per_second_per_gpu * a.scenario.decode.ep_size,
          mb.output_tokens_per_second_per_gpu * b.scenario.decode.ep_size, "{:.0f}");
  table.add_rule();
  const auto cost_a = usd_per_million_tokens(a);
  const auto cost_b = usd_per_million_tokens(b);
  row("$ per GPU-hour (assumption)",
      a.scenario.cost ? fmt::format("{:.2f}", a.scenario.cost->usd_per_gpu_hour) : "-",
      b.scenario.cost ? fmt::format("{:.2f}", b.scenario.cost->usd_per_gpu_hour) : "-");
  row("$ per million output tokens", cost_a ? fmt::format("{:.3f}", *cost_a) : "-",
      cost_b ? fmt::format("{:.3f}", *cost_b) : "-",
      cost_a && cost_b ? ratio(*cost_a, *cost_b) : "-");
  const double power_a = a.scenario.gpu.power_watts * a.scenario.decode.ep_size;
  const double power_b = b.scenario.gpu.power_watts * b.scenario.decode.ep_size;
  numeric("GPU power, EP group (kW)", power_a / 1e3, power_b / 1e3, "{:.1f}");
  numeric("output tokens per GPU-joule",
          ma.output_tokens_per_second_per_gpu / a.scenario.gpu.power_watts,
          mb.output_tokens_per_second_per_gpu / b.scenario.gpu.power_watts, "{:.2f}");
  std::ostream& out = context.out;
  out << fmt::format("compare: A = {}  vs  B = {}\n\n", files[0], files[1]);
  out << table.render("  ");
  out << "\n  Power is the GPUs' rated board power (hardware configs) times the EP size: no CPUs, "
         "NICs, switches or\n"
         "  cooling. Cost = $ per GPU-hour / (tokens/s per GPU x 3600) x 1e6; the $ per GPU-hour "
         "is an assumption:\n";
  for (const Side* side : {&a, &b})
    if (side->scenario.cost)
      out << fmt::format("  - {}: {}\n", side->scenario.name, side->scenario.cost->basis);
  return 0;
}

std::vector<OptionSpec> compare_options() {
  std::vector<OptionSpec> options{
      {"at-best", "", "each side at its best configuration under the targets (a search)"}};
  for (const OptionSpec& option : search_option_specs())
    if (option.name != "out" && option.name != "format" && option.name != "shard")
      options.push_back(option);
  return options;
}

}  // namespace

extern const CommandSpec compare_command{
    .name = "compare",
    .summary =
        "two layouts side by side: GPUs, nodes, headroom, TPS, tokens/s per GPU, $ per M tokens, "
        "power",
    .usage = "A.yaml B.yaml | PAIR.yaml [--at-best --min-user-tps X | --max-tpot-ms Y ...]",
    .description =
        "Simulates two scenarios, or the two listed under `compare:` in one file (e.g.\n"
        "configs/scenarios/ep72-vs-ep144.yaml), and prints them side by side with the ratio B / "
        "A.\n"
        "--at-best: searches each side (its own EP size; batch per GPU, dispatch mode, "
        "two-micro-batch overlap and\n"
        "MTP drafts as 'moesim search') and compares each at its best configuration under each "
        "target, with why it\n"
        "stops there (the target, or the largest batch that fits). Exit code 4 if a side meets "
        "no target.",
    .options = compare_options(),
    .min_positional = 1,
    .max_positional = 2,
    .run = run_compare,
};

}  // namespace moesim::cli
