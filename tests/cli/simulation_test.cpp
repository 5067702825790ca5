// The CLI's simulation path (scenario -> simulate_decode) against bounds derived by hand from the
// fabric's per-GPU bandwidth. Small layouts (EP16) keep it fast; the claim's EP72 cases use the
// same code path.
#include <gtest/gtest.h>

#include "cli/report.h"
#include "input/mapping.h"
#include "scenario/scenario.h"

namespace moesim::cli {
namespace {

const std::string kScenarios = std::string(MOESIM_SOURCE_DIR) + "/configs/scenarios/";

RunResult run(const std::string& file, const std::vector<std::string>& settings) {
  std::vector<ScenarioOverride> overrides;
  for (const std::string& text : settings) overrides.push_back(parse_override(text));
  return simulate(load_scenario(kScenarios + file, overrides));
}

// One dispatched copy: 7168 FP8 bytes + 7168 / 128 FP32 scales = 7,392 B; one combined copy: 7168 x
// 2 = 14,336 B.
constexpr double kDispatchCopyBytes = 7168 + 7168 / 128 * 4;
constexpr double kCombineCopyBytes = 7168 * 2;

TEST(Simulation, Nvl72AllToAllIsBoundByEachGpusNvlinkPort) {
  // EP16 inside one NVL72 rack, batch 64, uniform routing: each GPU sends 64 x 8 = 512 copies,
  // 15/16 of them to other GPUs = 480 copies through its own 900 GB/s port (the NVSwitch is
  // non-blocking), and receives as many.
  //   dispatch >= 480 x 7,392 B / 900 GB/s = 3.943 us + overhead 2.88 us + 2 x 0.225 us latency
  //   = 7.272 us combine  >= 480 x 14,336 B / 900 GB/s = 7.646 us + 3.33 us = 10.976 us
  // Routing is random, so the busiest receiver gets more than the mean (binomial, sd ~ sqrt(480)
  // ~ 4.6 %): allow 25 %.
  const RunResult r = run("ep72-gb200-nvl72-ideal.yaml", {"ep_size=16", "routing=uniform"});
  const double dispatch_floor = 480 * kDispatchCopyBytes / 900e9 * 1e6 + 2.88 + 0.45;
  const double combine_floor = 480 * kCombineCopyBytes / 900e9 * 1e6 + 2.88 + 0.45;
  EXPECT_GE(r.metrics.dispatch.p50_us, dispatch_floor);
  EXPECT_LE(r.metrics.dispatch.p50_us, 1.25 * dispatch_floor);
  EXPECT_GE(r.metrics.combine.p50_us, combine_floor);
  EXPECT_LE(r.metrics.combine.p50_us, 1.25 * combine_floor);
  EXPECT_EQ(r.metrics.nodes, 1u);
  EXPECT_EQ(r.metrics.tiers[1].bytes, 0u);  // nothing leaves the rack
}

TEST(Simulation, CalibratedNvl72AllToAllIsBoundByTheAchievedBandwidth) {
  // The EP16 case above with the fitted TensorRT-LLM MNNVL kernel (kernel-calibration.yaml:
  // scale-up fractions 0.6467 dispatch, 0.5752 combine; fixed 8.0843 us per dispatch + the
  // scenario's 16.5 us alltoall_prepare, 9.5740 us per combine, each + 0.0764 us x 15 peers). Every
  // byte is carried as bytes / fraction, so each GPU's port sees 480 copies at 0.6467 x 900 =
  // 582.0 GB/s (dispatch) and 0.5752 x 900 = 517.7 GB/s (combine):
  //   dispatch >= 480 x 7,392 B / 582.0 GB/s = 6.096 us + 3.33 us = 9.43 us (from the first send)
  //   combine  >= 480 x 14,336 B / 517.7 GB/s = 13.29 us + 3.33 us = 16.62 us
  // and the all-to-all adds the fixed costs: 8.0843 + 16.5 + 9.5740 + 2 x 1.146 = 36.4503 us.
  const RunResult r = run("ep72-gb200-nvl72.yaml", {"ep_size=16", "routing=uniform"});
  const double dispatch_floor = 480 * kDispatchCopyBytes / (0.6467 * 900e9) * 1e6 + 2.88 + 0.45;
  const double combine_floor = 480 * kCombineCopyBytes / (0.5752 * 900e9) * 1e6 + 2.88 + 0.45;
  EXPECT_GE(r.metrics.dispatch.p50_us, dispatch_floor);
  EXPECT_LE(r.metrics.dispatch.p50_us, 1.25 * dispatch_floor);
  EXPECT_GE(r.metrics.combine.p50_us, combine_floor);
  EXPECT_LE(r.metrics.combine.p50_us, 1.25 * combine_floor);
  const Scenario s = load_scenario(kScenarios + "ep72-gb200-nvl72.yaml",
                                   std::vector{parse_override("ep_size=16")});
  EXPECT_NEAR(all_to_all_p50_us(s.decode, r.metrics),
              r.metrics.dispatch.p50_us + r.metrics.combine.p50_us + 36.4503, 1e-6);
  EXPECT_GE(all_to_all_p50_us(s.decode, r.metrics), dispatch_floor + combine_floor + 36.4503);
}

TEST(Simulation, HgxAllToAllIsBoundByEachGpusNic) {
  // EP16 over two HGX H200 servers, batch 64, uniform: half of a GPU's 512 copies go to the other
  // server through its own 400 Gb/s = 50 GB/s NIC: dispatch >= 256 x 7,392 B / 50 GB/s = 37.85 us
  // + 2.35 us overhead + 0.45 us of NIC<->leaf latency = 40.65 us. ECMP collisions on the fat tree
  // and random receiver imbalance push it up; allow up to 2x. Combine carries 14,336 / 7,392
  // = 1.94x the bytes: >= 73.40 + 2.80 = 76.20 us.
  const RunResult r = run("ep72-h200-9x-ideal.yaml", {"ep_size=16", "routing=uniform"});
  const double dispatch_floor = 256 * kDispatchCopyBytes / 50e9 * 1e6 + 2.35 + 0.45;
  const double combine_floor = 256 * kCombineCopyBytes / 50e9 * 1e6 + 2.35 + 0.45;
  EXPECT_GE(r.metrics.dispatch.p50_us, dispatch_floor);
  EXPECT_LE(r.metrics.dispatch.p50_us, 2.0 * dispatch_floor);
  EXPECT_GE(r.metrics.combine.p50_us, combine_floor);
  EXPECT_LE(r.metrics.combine.p50_us, 2.0 * combine_floor);
  EXPECT_EQ(r.metrics.nodes, 2u);
  // A message between servers crosses four scale-out links (GPU->NIC, NIC->leaf, leaf->NIC,
  // NIC->GPU): per step 16 GPUs x 256 remote copies x (7,392 + 14,336) B x 58 MoE layers x 4 =
  // 20,646,395,904 B (binomial noise < 1 %).
  EXPECT_NEAR(static_cast<double>(r.metrics.tiers[1].bytes),
              16.0 * 256 * (kDispatchCopyBytes + kCombineCopyBytes) * 58 * 4,
              0.01 * 20'646'395'904.0);
  // Dispatch bytes per step: 16 GPUs x 512 copies x 7,392 B x 58 MoE layers (copies to self are not
  // sent: 15/16).
  EXPECT_NEAR(static_cast<double>(r.metrics.dispatch_bytes),
              16 * 512 * 15.0 / 16 * kDispatchCopyBytes * 58,
              0.05 * 16 * 512 * kDispatchCopyBytes * 58);
}

std::string value_of(const NamedValues& values, const std::string& name) {
  for (const auto& [key, value] : values)
    if (key == name) return value;
  return "(missing)";
}

TEST(Simulation, ReportsTheFastNetworksEpochFractionAsResolved) {
  // `auto` (the default) resolves by the step's class (workloads::default_fast_epoch_fraction):
  // 0.1 for ideal-fluid kernels over 8 or more scale-up domains (EP64 on HGX: 8 servers), 0.2
  // otherwise (EP16: 2 servers); a number is reported as set. The text names the choice.
  const auto report = [](const std::vector<std::string>& settings) {
    std::vector<ScenarioOverride> overrides;
    for (const std::string& text : settings) overrides.push_back(parse_override(text));
    const Scenario s = load_scenario(kScenarios + "ep72-h200-9x-ideal.yaml", overrides);
    const RunResult r = simulate(s);
    return std::pair{value_of(named_values(s, r), "fast_epoch_fraction"), render_table(s, r)};
  };
  const std::vector<std::string> small{"network=fast", "sampled_moe_layers=2", "batch_per_gpu=4"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.end(), small.begin(), small.end());
    return more;
  };
  const auto dense = report(with({"ep_size=64"}));
  EXPECT_EQ(dense.first, "0.1");
  EXPECT_NE(dense.second.find("network fast (epoch fraction 0.1, auto)"), std::string::npos);
  const auto sparse = report(with({"ep_size=16"}));
  EXPECT_EQ(sparse.first, "0.2");
  EXPECT_NE(sparse.second.find("network fast (epoch fraction 0.2, auto)"), std::string::npos);
  const auto set = report(with({"ep_size=64", "fast_epoch_fraction=0.05"}));
  EXPECT_EQ(set.first, "0.05");
  EXPECT_NE(set.second.find("network fast (epoch fraction 0.05),"), std::string::npos);
  // Under another network the value is the scenario's setting, and the text says nothing of it.
  const auto flow = report({"ep_size=16", "network=analytic", "sampled_moe_layers=2"});
  EXPECT_EQ(flow.first, "0.2");
  EXPECT_EQ(flow.second.find("epoch fraction"), std::string::npos);
}

TEST(Simulation, IdenticalRunsGiveIdenticalRows) {
  // Same scenario and seed: the same event trace, so every reported value is equal (sweep rows rely
  // on it).
  const std::vector<ScenarioOverride> overrides{parse_override("ep_size=8")};
  const Scenario scenario = load_scenario(kScenarios + "ep72-gb200-nvl72.yaml", overrides);
  EXPECT_EQ(named_values(scenario, simulate(scenario)), named_values(scenario, simulate(scenario)));
}

TEST(Simulation, EveryValueIsTextOrANumberAsItsNameSays) {
  // JSON quotes exactly the text values; the others must be JSON numbers or booleans.
  const Scenario scenario =
      load_scenario(kScenarios + "ep72-gb200-nvl72.yaml", std::vector{parse_override("ep_size=8")});
  for (const auto& [name, value] : named_values(scenario, simulate(scenario), true)) {
    double number = 0;
    const bool json_literal =
        input::parse_finite_number(value, number) || value == "true" || value == "false";
    EXPECT_EQ(!is_text_value(name), json_literal) << name << " = " << value;
  }
}

}  // namespace
}  // namespace moesim::cli
