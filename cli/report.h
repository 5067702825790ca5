#pragma once
// Rendering a scenario's result: the human summary table, JSON, CSV (one header + one row), the
// flat list of named values shared by CSV, JSON and sweep rows, and the Chrome/Perfetto trace.
// Running it is the scenario library's (scenario/run.h).
#include <string>
#include <utility>
#include <vector>

#include "scenario/run.h"
#include "scenario/scenario.h"
#include "workloads/decode_config.h"
#include "workloads/decode_metrics.h"

namespace moesim::cli {

// The scenario library's names as the commands use them.
using scenario::calibration_label;
using scenario::load_scenario;
using scenario::parse_override;
using scenario::RunResult;
using scenario::Scenario;
using scenario::ScenarioOverride;
using scenario::simulate;
using scenario::simulate_all;
using scenario::to_string;

// Named values of one run, in a fixed order: inputs (scenario, model, ...), then metrics with units
// in the names ("dispatch_p50_us", "tokens_per_second_per_gpu"). Numbers are written in shortest
// round-trip form, so a CSV/JSON row is exact and identical for identical runs. Host timing is
// excluded unless asked for.
using NamedValues = std::vector<std::pair<std::string, std::string>>;
NamedValues named_values(const Scenario& scenario, const RunResult& result,
                         bool include_host_timing = false);
// The settings among them (scenario .. seed), without simulating: what a resumed sweep row must
// hold. The scenario must be valid for its fabric (load_scenario checks it).
NamedValues input_values(const Scenario& scenario);
// The names named_values() produces (for a sweep's CSV header before any point has run).
std::vector<std::string> value_names();
// Which named values are strings (quoted in JSON) rather than numbers.
bool is_text_value(const std::string& name);

std::string render_table(const Scenario& scenario, const RunResult& result);
std::string render_json(const Scenario& scenario, const RunResult& result);
std::string render_csv(const Scenario& scenario, const RunResult& result);

// Chrome trace-event JSON (opens in ui.perfetto.dev and chrome://tracing): one process "GPU
// compute" with a thread per GPU, one process "GPU communication" with a thread per GPU, complete
// events ("ph":"X") per span with the layer and micro-batch as arguments; timestamps in
// microseconds of simulated time.
std::string render_trace(const Scenario& scenario, const workloads::DecodeMetrics& metrics);

// One MoE layer's dispatch + combine (p50) including a calibrated kernel's fixed cost per phase.
// The decode step measures a phase from the first GPU's send, and a GPU sends only after the fixed
// cost (workloads/decode.h), so the cost is added back to match the calibration's phase time
// (workloads/calibration.h). Equals dispatch p50 + combine p50 for the ideal fluid.
double all_to_all_p50_us(const workloads::DecodeConfig& decode,
                         const workloads::DecodeMetrics& metrics);

}  // namespace moesim::cli
