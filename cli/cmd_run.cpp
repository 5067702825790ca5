// `moesim run SCENARIO`: simulate one scenario and print the summary table, JSON or CSV; optionally
// a Chrome/Perfetto trace of the GPU compute and communication timeline.
#include <spdlog/spdlog.h>

#include <optional>
#include <ostream>
#include <string>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "cli/text.h"
#include "scenario/scenario.h"

namespace moesim::cli {

namespace {

std::vector<ScenarioOverride> overrides_from(const ParsedArgs& args) {
  std::vector<ScenarioOverride> overrides;
  for (const std::string& text : args.values("set")) overrides.push_back(parse_override(text));
  return overrides;
}

// --check-exact K, checked before any simulation runs.
std::uint32_t check_exact_layers(const ParsedArgs& args) {
  const long long layers = args.integer_or("check-exact", 4);
  if (layers < 0 || layers == 1 || layers > 1'000'000)
    throw UsageError("--check-exact expects 0 (every MoE layer) or a layer count >= 2");
  return static_cast<std::uint32_t>(layers);
}

// --check-exact K: the scenario again with K simulated MoE layers (0 = all), with the exact flow
// model and with the fast one, next to two measures of the metrics' own sensitivity, which no
// approximation can be held to: a second exact max-min (the fast model re-solving at every
// instant: rounding alone), and the exact flow model with every dispatch 1 ns later (races between
// micro-batches, ties between GPUs).
std::string check_exact(const Scenario& scenario, std::uint32_t layers) {
  Scenario exact = scenario;
  exact.decode.network = workloads::NetworkKind::Flow;
  exact.decode.sampled_moe_layers = layers;
  Scenario fast = exact, second_exact = exact, later = exact;
  fast.decode.network = second_exact.decode.network = workloads::NetworkKind::Fast;
  second_exact.decode.fast_epoch_fraction = 0;
  later.decode = workloads::with_later_dispatches(exact.decode, sim::Picoseconds{1'000});
  spdlog::info("checking the fast network against exact max-min on {} (four runs)",
               layers == 0 ? std::string("every MoE layer") : fmt::format("{} MoE layers", layers));
  const std::vector<RunResult> runs = simulate_all({&exact, &fast, &second_exact, &later}, 2);
  Table table({"fast vs exact max-min", "exact", "fast", "difference", "bound", "exact vs exact",
               "exact, 1 ns later"});
  auto percent = [](double value, double reference) {
    return fmt::format("{:+.2f} %", 100 * (value / reference - 1));
  };
  for (const workloads::ExactCheck& check : workloads::kExactChecks) {
    const double exact_value = check.of(runs[0].metrics);
    const double fast_value = check.of(runs[1].metrics);
    table.add_row({std::string(check.label), with_commas(exact_value, 2),
                   with_commas(fast_value, 2), percent(fast_value, exact_value),
                   fmt::format("{:g} %", check.bound_percent),
                   percent(check.of(runs[2].metrics), exact_value),
                   percent(check.of(runs[3].metrics), exact_value)});
  }
  table.add_rule();
  auto seconds = [&](std::size_t run) { return fmt::format("{:.2f}", runs[run].wall_seconds); };
  table.add_row({"host seconds", seconds(0), seconds(1), "", "", seconds(2), seconds(3)});
  return table.render("  ") +
         "  exact vs exact: a second exact max-min (the fast network re-solving at every instant) "
         "against the flow model;\n  exact, 1 ns later: the flow model with every dispatch 1 ns "
         "later. A difference of the size they show\n  is the metric's own sensitivity, not the "
         "fast model's error (docs/fast-network.md)\n";
}

int run_run(const ParsedArgs& args, CommandContext& context) {
  if (args.flag("json") && args.flag("csv")) throw UsageError("choose one of --json and --csv");
  const std::vector<ScenarioOverride> overrides = overrides_from(args);
  const Scenario scenario = load_scenario(args.positional.front(), overrides);
  std::optional<std::uint32_t> check_layers;
  if (args.flag("check-exact")) check_layers = check_exact_layers(args);
  const auto trace_file = args.value("trace");
  if (trace_file) check_output_path("--trace", *trace_file, scenario.input_files);
  spdlog::info("simulating {} ({} GPUs, EP{}, batch {})", scenario.name,
               scenario.fabric->gpu_count(), scenario.decode.ep_size,
               scenario.decode.batch_per_gpu);
  const RunResult result = simulate_with_progress(scenario, trace_file.has_value());
  if (!result.metrics.network_warning.empty()) spdlog::warn("{}", result.metrics.network_warning);
  if (trace_file) {
    write_file_atomically(*trace_file, render_trace(scenario, result.metrics));
    spdlog::info("wrote {} timeline spans to {} (open in ui.perfetto.dev)",
                 result.metrics.timeline.size(), *trace_file);
  }
  if (args.flag("json"))
    context.out << render_json(scenario, result);
  else if (args.flag("csv"))
    context.out << render_csv(scenario, result);
  else
    context.out << render_table(scenario, result);
  if (check_layers) {
    const std::string check = check_exact(scenario, *check_layers);
    if (args.flag("json") || args.flag("csv"))
      spdlog::info("\n{}", check);  // stdout stays one JSON object or one CSV row
    else
      context.out << "\n" << check;
  }
  return 0;
}

}  // namespace

extern const CommandSpec run_command{
    .name = "run",
    .summary =
        "simulate a scenario: per-layer latencies, TPOT, tokens/s, link utilization, memory per "
        "GPU",
    .usage = "SCENARIO.yaml [--json|--csv] [--trace FILE] [--check-exact K] [--set KEY=VALUE ...]",
    .description =
        "A scenario names a model, a GPU, a fabric and the decode layout (docs/scenarios.md). "
        "--set overrides one\n"
        "value, e.g. --set batch_per_gpu=32 (a bare key means decode.KEY) or --set "
        "fabric=configs/fabrics/x.yaml.\n"
        "--trace writes a Chrome trace-event JSON of the GPU compute and communication timeline "
        "(ui.perfetto.dev).\n"
        "--check-exact K simulates the scenario four times more with K MoE layers (0 = all): with "
        "the exact flow model,\n"
        "the fast one (network: fast), a second exact max-min and the flow model with every "
        "dispatch 1 ns later, and\n"
        "prints how far the fast model's TPOT and per-GPU latencies are from exact next to how far "
        "the two perturbed\n"
        "exact runs are from the first.",
    .options = {{"json", "", "one JSON object (names carry units: _us, _bytes, _per_second)"},
                {"csv", "", "a CSV header and one row"},
                {"trace", "FILE", "write a Chrome/Perfetto trace of the simulated timeline"},
                {"check-exact", "K",
                 "compare network: fast with exact max-min on K simulated MoE layers (0 = all)"},
                {"set", "KEY=VALUE", "override a scenario value (repeatable)", true}},
    .min_positional = 1,
    .max_positional = 1,
    .run = run_run,
};

}  // namespace moesim::cli
