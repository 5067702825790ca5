#include "cli/planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <set>

#include "cli/claim/plan.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "cli/text.h"
#include "input/mapping.h"
#include "scenario/scenario.h"
#include "workloads/memory.h"

namespace moesim::cli {

namespace {

std::string parameters(double count) {
  return count >= 1e12 ? fmt::format("{:.2f}T", count / 1e12)
                       : fmt::format("{}B", with_commas(count / 1e9, 1));
}

}  // namespace

PlannerAnswer answer_planner_question(std::ostream& out, const std::string& scenario_file,
                                      const PlannerOptions& options) {
  // The scenario's own batch is irrelevant here (we look for the largest one); load it at batch 1
  // so the memory check only rejects a model whose weights alone do not fit.
  std::vector<ScenarioOverride> overrides = options.overrides;
  overrides.push_back({"decode.batch_per_gpu", "1"});
  if (options.context_tokens)
    overrides.push_back({"decode.context_tokens", std::to_string(options.context_tokens)});
  Scenario scenario = load_scenario(scenario_file, overrides);
  const workloads::ModelSpec& model = scenario.model;
  const workloads::DecodeConfig& decode = scenario.decode;

  PlannerAnswer answer;
  answer.trunk_fraction = model.shared_trunk_fraction();
  answer.max_parameters_raw = workloads::max_parameters(
      scenario.gpu.hbm_bytes, model.weight_bytes_per_parameter,
      model.expert_weight_bytes_per_parameter, answer.trunk_fraction, decode.ep_size);
  answer.max_parameters_reserved = (1 - decode.memory_reserve_fraction) * answer.max_parameters_raw;
  workloads::DecodeConfig none = decode;
  none.batch_per_gpu = 0;
  const workloads::GpuMemory empty = workloads::gpu_memory(model, scenario.gpu, none);
  workloads::DecodeConfig one = decode;
  one.batch_per_gpu = 1;
  const workloads::GpuMemory single = workloads::gpu_memory(model, scenario.gpu, one);
  answer.weight_bytes_per_gpu = empty.weight_bytes;
  answer.kv_bytes_per_request = single.kv_cache_bytes;
  answer.largest_batch_per_gpu = workloads::largest_batch_per_gpu(model, scenario.gpu, decode);

  out << fmt::format("Planner: {} on {} ({}), EP{}\n", model.name, scenario.fabric->name(),
                     scenario.gpu.name, decode.ep_size);
  out << fmt::format(
      "  trunk fraction d = {:.2f} % ({} of {} parameters: embeddings, attention, routers, shared "
      "experts, dense layers, "
      "head)\n",
      100 * answer.trunk_fraction, parameters(model.shared_trunk_parameters()),
      parameters(model.total_parameters()));
  out << fmt::format(
      "  P_max on {} GPUs of {:.0f} GB at this d and the model's precisions: {} raw, {} with "
      "{:.0f} % reserved "
      "(the model has {})\n",
      decode.ep_size, scenario.gpu.hbm_bytes / 1e9, parameters(answer.max_parameters_raw),
      parameters(answer.max_parameters_reserved), 100 * decode.memory_reserve_fraction,
      parameters(model.total_parameters()));
  out << fmt::format(
      "  per GPU: weights {:.1f} GB + reserve {:.1f} GB of {:.0f} GB leaves {:.1f} GB for KV "
      "cache and activations; one request at {} tokens needs {:.1f} MB of KV cache and {:.2f} MB "
      "of all-to-all buffers\n",
      empty.weight_bytes / 1e9, empty.reserved_bytes / 1e9, empty.capacity_bytes / 1e9,
      empty.headroom_bytes() / 1e9, with_commas(static_cast<double>(decode.context_tokens)),
      single.kv_cache_bytes / 1e6, single.activation_bytes / 1e6);
  out << fmt::format("  largest batch per GPU at {} tokens of context: {}\n\n",
                     with_commas(static_cast<double>(decode.context_tokens)),
                     answer.largest_batch_per_gpu);
  if (answer.largest_batch_per_gpu == 0) return answer;

  // The trade-off: per-user speed falls and throughput per GPU rises with the batch.
  const std::uint32_t largest = answer.largest_batch_per_gpu;
  std::set<std::uint32_t> batches{1, std::max(1u, largest / 4), std::max(1u, largest / 2), largest};
  Table table({"batch per GPU", "TPOT (us)", "per-user tokens/s", "tokens/s per GPU",
               "KV cache/GPU", "headroom/GPU"});
  std::vector<Scenario> points;
  for (const std::uint32_t batch : batches) {
    points.push_back(scenario);
    points.back().decode.batch_per_gpu = batch;
  }
  std::vector<const Scenario*> pointers;
  for (const Scenario& point : points) pointers.push_back(&point);
  const std::vector<RunResult> results = simulate_with_progress(
      fmt::format("{} at {} batch sizes", scenario.name, points.size()), pointers);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::uint32_t batch = points[i].decode.batch_per_gpu;
    const workloads::DecodeMetrics& m = results[i].metrics;
    table.add_row({fmt::format("{}{}", batch, batch == largest ? " (largest)" : ""),
                   with_commas(m.tpot_us, 1), fmt::format("{:.1f}", m.per_user_tokens_per_second),
                   with_commas(m.output_tokens_per_second_per_gpu, 0),
                   fmt::format("{:.1f} GB", m.memory.kv_cache_bytes / 1e9),
                   fmt::format("{:.1f} GB", m.memory.headroom_bytes() / 1e9)});
  }
  out << table.render("  ");
  out << fmt::format(
      "  (simulated: {} gating, {} dispatch, {} network, compute efficiency {:.2f}; memory "
      "reserve {:.0f} %)\n",
      to_string(decode.gating), to_string(decode.dispatch_mode), to_string(decode.network),
      decode.compute_efficiency, 100 * decode.memory_reserve_fraction);
  return answer;
}

}  // namespace moesim::cli
