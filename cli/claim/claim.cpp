#include "cli/claim/claim.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/claim/claim_cases.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "input/mapping.h"

namespace moesim::cli {

using sim::Quantity;

ClaimInputs load_claim_inputs(const input::Mapping& claim_file) {
  ClaimInputs inputs;
  const input::Mapping article = claim_file.map("article");
  article.expect_only(
      {"source", "gpus", "tokens_per_gpu", "experts_per_token", "hidden_size", "bytes_per_element",
       "servers", "nvl72_aggregate_bandwidth", "h200_aggregate_bandwidth", "stated_bandwidth_ratio",
       "stated_nvl72_layer_time", "stated_h200_layer_time", "stated_ratio", "stated_tps_ratio"});
  ArticleClaim& a = inputs.article;
  a.source = article.string("source");
  a.gpus = article.number("gpus");
  a.tokens_per_gpu = article.number("tokens_per_gpu");
  a.experts_per_token = article.number("experts_per_token");
  a.hidden_size = article.number("hidden_size");
  a.bytes_per_element = article.number("bytes_per_element");
  a.servers = article.number("servers");
  a.nvl72_aggregate_bytes_per_second =
      article.quantity("nvl72_aggregate_bandwidth", Quantity::BytesPerSecond);
  a.h200_aggregate_bytes_per_second =
      article.quantity("h200_aggregate_bandwidth", Quantity::BytesPerSecond);
  a.stated_bandwidth_ratio = article.number("stated_bandwidth_ratio");
  a.stated_nvl72_layer_seconds = article.quantity("stated_nvl72_layer_time", Quantity::Seconds);
  a.stated_h200_layer_seconds = article.quantity("stated_h200_layer_time", Quantity::Seconds);
  a.stated_ratio = article.number("stated_ratio");
  const std::vector<double> tps = article.numbers("stated_tps_ratio");
  if (tps.size() != 2) article.fail("stated_tps_ratio", "expected [low, high]");
  a.stated_tps_ratio_low = tps[0];
  a.stated_tps_ratio_high = tps[1];

  const input::Mapping deepseek = claim_file.map("deepseek");
  deepseek.expect_only({"source", "bytes_per_element", "tokens", "experts_per_token", "hidden_size",
                        "infiniband_bandwidth", "nvlink_bandwidth", "stated_infiniband_time",
                        "stated_nvlink_time", "stated_ratio"});
  DeepSeekArithmetic& d = inputs.deepseek;
  d.source = deepseek.string("source");
  d.bytes_per_element = deepseek.number("bytes_per_element");
  d.tokens = deepseek.number("tokens");
  d.experts_per_token = deepseek.number("experts_per_token");
  d.hidden_size = deepseek.number("hidden_size");
  d.infiniband_bytes_per_second =
      deepseek.quantity("infiniband_bandwidth", Quantity::BytesPerSecond);
  d.nvlink_bytes_per_second = deepseek.quantity("nvlink_bandwidth", Quantity::BytesPerSecond);
  d.stated_infiniband_seconds = deepseek.quantity("stated_infiniband_time", Quantity::Seconds);
  d.stated_nvlink_seconds = deepseek.quantity("stated_nvlink_time", Quantity::Seconds);
  d.stated_ratio = deepseek.number("stated_ratio");

  const input::Mapping links = claim_file.map("per_gpu");
  links.expect_only({"nvl72_nvlink_bandwidth", "h200_nic_bandwidth", "h200_gpus_per_server",
                     "routed_experts_per_token"});
  PerGpuLinks& l = inputs.links;
  l.nvl72_nvlink_bytes_per_second =
      links.quantity("nvl72_nvlink_bandwidth", Quantity::BytesPerSecond);
  l.h200_nic_bytes_per_second = links.quantity("h200_nic_bandwidth", Quantity::BytesPerSecond);
  l.h200_gpus_per_server = links.number("h200_gpus_per_server");
  l.routed_experts_per_token = links.number("routed_experts_per_token");

  // Every figure is a count, a size, a rate, a time or a ratio that the arithmetic divides by: zero
  // or a negative value would print infinities and NaNs with exit code 0.
  auto positive = [](const input::Mapping& map, std::string_view key, double value) {
    if (!(value > 0)) map.fail(key, "must be > 0");
  };
  for (const auto& [key, value] :
       {std::pair<std::string_view, double>{"gpus", a.gpus},
        {"tokens_per_gpu", a.tokens_per_gpu},
        {"experts_per_token", a.experts_per_token},
        {"hidden_size", a.hidden_size},
        {"bytes_per_element", a.bytes_per_element},
        {"servers", a.servers},
        {"nvl72_aggregate_bandwidth", a.nvl72_aggregate_bytes_per_second},
        {"h200_aggregate_bandwidth", a.h200_aggregate_bytes_per_second},
        {"stated_bandwidth_ratio", a.stated_bandwidth_ratio},
        {"stated_nvl72_layer_time", a.stated_nvl72_layer_seconds},
        {"stated_h200_layer_time", a.stated_h200_layer_seconds},
        {"stated_ratio", a.stated_ratio},
        {"stated_tps_ratio", std::min(a.stated_tps_ratio_low, a.stated_tps_ratio_high)}})
    positive(article, key, value);
  for (const auto& [key, value] :
       {std::pair<std::string_view, double>{"bytes_per_element", d.bytes_per_element},
        {"tokens", d.tokens},
        {"experts_per_token", d.experts_per_token},
        {"hidden_size", d.hidden_size},
        {"infiniband_bandwidth", d.infiniband_bytes_per_second},
        {"nvlink_bandwidth", d.nvlink_bytes_per_second},
        {"stated_infiniband_time", d.stated_infiniband_seconds},
        {"stated_nvlink_time", d.stated_nvlink_seconds},
        {"stated_ratio", d.stated_ratio}})
    positive(deepseek, key, value);
  for (const auto& [key, value] : {std::pair<std::string_view, double>{
                                       "nvl72_nvlink_bandwidth", l.nvl72_nvlink_bytes_per_second},
                                   {"h200_nic_bandwidth", l.h200_nic_bytes_per_second},
                                   {"h200_gpus_per_server", l.h200_gpus_per_server},
                                   {"routed_experts_per_token", l.routed_experts_per_token}})
    positive(links, key, value);
  return inputs;
}

ClaimArithmetic reproduce_claim(const ClaimInputs& inputs) {
  const ArticleClaim& a = inputs.article;
  ClaimArithmetic r;
  r.total_bytes =
      a.gpus * a.tokens_per_gpu * a.experts_per_token * a.hidden_size * a.bytes_per_element;
  r.nvl72_seconds = r.total_bytes / a.nvl72_aggregate_bytes_per_second;
  const double per_server = a.h200_aggregate_bytes_per_second / a.servers;
  r.h200_seconds = r.total_bytes / per_server;
  r.ratio = r.h200_seconds / r.nvl72_seconds;
  r.bandwidth_ratio = a.nvl72_aggregate_bytes_per_second / a.h200_aggregate_bytes_per_second;
  r.per_server_bytes_per_second_for_stated_h200 = r.total_bytes / a.stated_h200_layer_seconds;
  r.aggregate_bytes_per_second_for_stated_h200 =
      r.per_server_bytes_per_second_for_stated_h200 * a.servers;
  r.h200_seconds_with_stated_bandwidth_ratio =
      r.total_bytes / (a.nvl72_aggregate_bytes_per_second / a.stated_bandwidth_ratio / a.servers);

  const DeepSeekArithmetic& d = inputs.deepseek;
  r.deepseek_bytes = d.bytes_per_element * d.tokens * d.experts_per_token * d.hidden_size;
  r.deepseek_infiniband_seconds = r.deepseek_bytes / d.infiniband_bytes_per_second;
  r.deepseek_nvlink_seconds = r.deepseek_bytes / d.nvlink_bytes_per_second;
  r.deepseek_ratio = r.deepseek_infiniband_seconds / r.deepseek_nvlink_seconds;

  // Each GPU sends its own tokens' copies for the routed experts and receives as many back
  // (combine); a link direction carries one GPU's share, so dividing by the per-direction bandwidth
  // of that GPU's port gives the bandwidth-only time. Uniform routing: a destination is remote with
  // probability (GPUs outside my GPU or server) / GPUs.
  const PerGpuLinks& l = inputs.links;
  r.per_gpu_routed_bytes =
      a.tokens_per_gpu * l.routed_experts_per_token * a.hidden_size * a.bytes_per_element;
  r.nvl72_remote_fraction = (a.gpus - 1) / a.gpus;
  r.h200_remote_fraction = (a.gpus - l.h200_gpus_per_server) / a.gpus;
  // Dispatch (1 B/element) and combine (2 B/element) use opposite directions of the same port at
  // different times, so the time is the sum of both phases' bytes over one direction's bandwidth.
  r.nvl72_per_gpu_seconds =
      r.per_gpu_routed_bytes * r.nvl72_remote_fraction / l.nvl72_nvlink_bytes_per_second;
  r.h200_per_gpu_seconds =
      r.per_gpu_routed_bytes * r.h200_remote_fraction / l.h200_nic_bytes_per_second;
  r.per_gpu_ratio = r.h200_per_gpu_seconds / r.nvl72_per_gpu_seconds;
  r.bidirectional_factor =
      a.nvl72_aggregate_bytes_per_second / (a.gpus * l.nvl72_nvlink_bytes_per_second);
  r.infiniband_aggregate_factor =
      a.gpus * l.h200_nic_bytes_per_second / a.h200_aggregate_bytes_per_second;
  r.same_server_factor = r.nvl72_remote_fraction / r.h200_remote_fraction;
  return r;
}

double ClaimCase::all_to_all_us() const {
  return all_to_all_p50_us(scenario.decode, result.metrics);
}
double ClaimCase::dispatch_us() const {
  return result.metrics.dispatch.p50_us +
         scenario.decode.calibration.dispatch_phase_overhead.microseconds();
}
double ClaimCase::combine_us() const {
  return result.metrics.combine.p50_us +
         scenario.decode.calibration.combine_phase_overhead.microseconds();
}
double ClaimCase::fixed_us() const {
  return scenario.decode.calibration.dispatch_phase_overhead.microseconds() +
         scenario.decode.calibration.combine_phase_overhead.microseconds();
}

ClaimCalibrations load_claim_calibrations(const input::Mapping& claim_file) {
  const input::Mapping section = claim_file.map("calibrations");
  section.expect_only({"file", "nvl72", "h200"});
  ClaimCalibrations calibrations;
  calibrations.file = input::resolve_relative(claim_file.file(), section.string("file"));
  auto side = [&](std::string_view name) {
    const input::Mapping map = section.map(name);
    map.expect_only({"kernel", "system", "basis"});
    return SideCalibration{map.string("kernel"), map.string("system"), map.string("basis")};
  };
  calibrations.nvl72 = side("nvl72");
  calibrations.h200 = side("h200");
  return calibrations;
}

// The claim's two scenarios, each in both dispatch modes, as ideal fluids (cases 0..3: NVL72
// direct, NVL72 node-dedup, H200 direct, H200 node-dedup) and with the fitted kernels (4..7, same
// order). All eight run in parallel.
std::vector<ClaimCase> simulate_claim_cases(const input::Mapping& claim_file,
                                            const ClaimCalibrations& calibrations,
                                            const std::vector<ScenarioOverride>& extra) {
  const input::Mapping scenarios = claim_file.map("scenarios");
  scenarios.expect_only({"nvl72", "h200"});
  std::vector<ClaimCase> cases;
  for (const bool calibrated : {false, true}) {
    for (const std::string_view side : {"nvl72", "h200"}) {
      const std::string file = input::resolve_relative(claim_file.file(), scenarios.string(side));
      const SideCalibration& kernel = side == "nvl72" ? calibrations.nvl72 : calibrations.h200;
      for (const std::string_view mode : {"direct", "node-dedup"}) {
        std::vector<ScenarioOverride> overrides = extra;
        overrides.push_back({"decode.dispatch_mode", std::string(mode)});
        if (calibrated) {
          overrides.push_back({"decode.calibration.kernel", kernel.kernel});
          overrides.push_back({"decode.calibration.system", kernel.system});
          overrides.push_back({"decode.calibration.file", calibrations.file});
        } else {
          // The ideal fluid with the roofline and nothing outside the layers.
          overrides.push_back({"decode.calibration", "none"});
          overrides.push_back({"decode.compute", "roofline"});
          for (const char* key : {"dispatch_prepare", "layer_overhead", "sampling", "step_gap"})
            overrides.push_back({fmt::format("decode.{}", key), "0 us"});
        }
        cases.push_back({fmt::format("{}, {}", side == "nvl72" ? "NVL72" : "H200", mode),
                         load_scenario(file, overrides),
                         {}});
      }
    }
  }
  std::vector<const Scenario*> scenario_list;
  for (const ClaimCase& c : cases) scenario_list.push_back(&c.scenario);
  spdlog::info(
      "simulating {} and {}, both dispatch modes, ideal and calibrated ({} simulations in "
      "parallel)",
      cases.front().scenario.name, cases[2].scenario.name, cases.size());
  std::vector<RunResult> results = simulate_with_progress("the claim's scenarios", scenario_list);
  for (std::size_t i = 0; i < cases.size(); ++i) cases[i].result = std::move(results[i]);
  return cases;
}

}  // namespace moesim::cli
