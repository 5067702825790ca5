// `moesim run SCENARIO`: simulate one scenario and print the summary table, JSON or CSV; optionally
// a Chrome/Perfetto trace of the GPU compute and communication timeline.
#include <spdlog/spdlog.h>

#include <ostream>

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

int run_run(const ParsedArgs& args, CommandContext& context) {
  if (args.flag("json") && args.flag("csv")) throw UsageError("choose one of --json and --csv");
  const std::vector<ScenarioOverride> overrides = overrides_from(args);
  const Scenario scenario = load_scenario(args.positional.front(), overrides);
  const auto trace_file = args.value("trace");
  if (trace_file) check_output_path("--trace", *trace_file, scenario.input_files);
  spdlog::info("simulating {} ({} GPUs, EP{}, batch {})", scenario.name,
               scenario.fabric->gpu_count(), scenario.decode.ep_size,
               scenario.decode.batch_per_gpu);
  const RunResult result = simulate_with_progress(scenario, trace_file.has_value());
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
  return 0;
}

}  // namespace

extern const CommandSpec run_command{
    .name = "run",
    .summary =
        "simulate a scenario: per-layer latencies, TPOT, tokens/s, link utilization, memory per "
        "GPU",
    .usage = "SCENARIO.yaml [--json|--csv] [--trace FILE] [--set KEY=VALUE ...]",
    .description =
        "A scenario names a model, a GPU, a fabric and the decode layout (docs/scenarios.md). "
        "--set overrides one\n"
        "value, e.g. --set batch_per_gpu=32 (a bare key means decode.KEY) or --set "
        "fabric=configs/fabrics/x.yaml.\n"
        "--trace writes a Chrome trace-event JSON of the GPU compute and communication timeline "
        "(ui.perfetto.dev).",
    .options = {{"json", "", "one JSON object (names carry units: _us, _bytes, _per_second)"},
                {"csv", "", "a CSV header and one row"},
                {"trace", "FILE", "write a Chrome/Perfetto trace of the simulated timeline"},
                {"set", "KEY=VALUE", "override a scenario value (repeatable)", true}},
    .min_positional = 1,
    .max_positional = 1,
    .run = run_run,
};

}  // namespace moesim::cli
