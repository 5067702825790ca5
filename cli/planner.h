#pragma once
// The planner's question for one scenario: how large a model its fabric holds (the memory-fit rule
// with the trunk fraction d derived from the scenario's model), the largest batch per GPU whose KV
// cache fits at a context length, and the per-user tokens/s and tokens/s per GPU that batch gives
// (simulated).
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/report.h"

namespace moesim::cli {

struct PlannerOptions {
  std::uint64_t context_tokens = 0;         // 0 = the scenario's decode.context_tokens
  std::vector<ScenarioOverride> overrides;  // --set, applied before the planner's own batch/context
};

struct PlannerAnswer {
  double trunk_fraction = 0;           // d = shared trunk / total parameters of the model
  double max_parameters_raw = 0;       // P_max at the model's d and precisions on ep_size GPUs
  double max_parameters_reserved = 0;  // with the scenario's memory reserve
  double weight_bytes_per_gpu = 0;
  double kv_bytes_per_request = 0;  // context x KV bytes per token (+ per-request state)
  std::uint32_t largest_batch_per_gpu = 0;
};

// Prints the answer (and a short batch/throughput trade-off table) for the scenario file.
PlannerAnswer answer_planner_question(std::ostream& out, const std::string& scenario_file,
                                      const PlannerOptions& options);

}  // namespace moesim::cli
