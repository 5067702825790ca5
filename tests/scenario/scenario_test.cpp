// Scenario loading: includes and precedence, command-line overrides, memory per GPU, and errors
// that name file:line: key (the catalogue of bad files in tests/cli/bad/ is also run end to end by
// e2e.sh).
#include "scenario/scenario.h"

#include <gtest/gtest.h>

#include <cmath>

#include "input/mapping.h"
#include "workloads/memory.h"

namespace moesim::scenario {
namespace {

const std::string kSource = MOESIM_SOURCE_DIR;
const std::string kScenarios = kSource + "/configs/scenarios/";
const std::string kBad = kSource + "/tests/cli/bad/";

std::string error_of(const std::string& file, std::vector<ScenarioOverride> overrides = {}) {
  try {
    load_scenario(file, overrides);
  } catch (const input::InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Scenario, IncludesMergeWithTheIncludingFileFirst) {
  const Scenario s = load_scenario(kScenarios + "ep72-h200-9x.yaml");
  EXPECT_EQ(s.name, "EP72 on 9x HGX H200");
  EXPECT_EQ(s.model.name, "DeepSeek-V3");     // from the included fragment
  EXPECT_EQ(s.decode.context_tokens, 4096u);  // from the included fragment
  EXPECT_EQ(s.decode.ep_size, 72u);           // from the file itself
  EXPECT_EQ(s.decode.batch_per_gpu, 64u);
  EXPECT_EQ(s.decode.gating, workloads::GatingKind::GroupLimited);
  EXPECT_EQ(s.fabric->gpu_count(), 72u);
  EXPECT_DOUBLE_EQ(s.decode.memory_reserve_fraction, 0.10);
  ASSERT_TRUE(s.cost.has_value());
  EXPECT_DOUBLE_EQ(s.cost->usd_per_gpu_hour, 2.0);
}

TEST(Scenario, OverridesTakePrecedence) {
  const std::vector<ScenarioOverride> overrides{parse_override("batch_per_gpu=32"),
                                                parse_override("decode.dispatch_mode=node-dedup")};
  const Scenario s = load_scenario(kScenarios + "ep72-h200-9x.yaml", overrides);
  EXPECT_EQ(s.decode.batch_per_gpu, 32u);
  EXPECT_EQ(s.decode.dispatch_mode, workloads::DispatchMode::NodeDedup);
  EXPECT_EQ(parse_override("fabric=x.yaml").key, "fabric");
  EXPECT_THROW(parse_override("novalue"), OverrideError);
  EXPECT_THROW(parse_override("a.b.c=1"), OverrideError);
  // Not a decode key: caught before any simulation.
  EXPECT_THROW(parse_override("batch_size=1"), OverrideError);
  EXPECT_THROW(parse_override("memory.bogus=1"), OverrideError);
  EXPECT_EQ(parse_override("memory.reserve_fraction=0.2").key, "memory.reserve_fraction");
  EXPECT_EQ(error_of(kScenarios + "ep72-h200-9x.yaml", {parse_override("batch_per_gpu=lots")}),
            "command line: key 'decode.batch_per_gpu': expected an integer, got 'lots'");
}

// fast_epoch_fraction: unset and `auto` leave the choice to the step's class
// (workloads::fast_epoch_fraction_for); a number is kept; anything else names the key.
TEST(Scenario, FastEpochFractionIsAutoOrANumber) {
  const std::string file = kScenarios + "ep72-h200-9x.yaml";
  EXPECT_EQ(load_scenario(file).decode.fast_epoch_fraction, std::nullopt);
  EXPECT_EQ(load_scenario(file, std::vector{parse_override("fast_epoch_fraction=auto")})
                .decode.fast_epoch_fraction,
            std::nullopt);
  EXPECT_EQ(load_scenario(file, std::vector{parse_override("fast_epoch_fraction=0.1")})
                .decode.fast_epoch_fraction,
            0.1);
  EXPECT_EQ(error_of(file, {parse_override("fast_epoch_fraction=often")}),
            "command line: key 'decode.fast_epoch_fraction': expected a finite number, got "
            "'often'");
  EXPECT_EQ(error_of(file, {parse_override("fast_epoch_fraction=-1")}),
            "command line: key 'decode.fast_epoch_fraction': must be a finite number >= 0");
}

// The loader admits a layout exactly when workloads/memory.h says it fits: at the largest batch
// every shipped scenario loads with headroom >= 0, one request more is refused at the batch's line.
TEST(Scenario, AdmitsExactlyTheLayoutsThatFit) {
  for (const char* file : {"ep72-h200-9x.yaml", "ep144-h200-18x.yaml", "ep72-gb200-nvl72.yaml",
                           "ep72-h200-9x-ideal.yaml"}) {
    const Scenario s = load_scenario(kScenarios + file);
    const std::uint32_t largest = workloads::largest_batch_per_gpu(s.model, s.gpu, s.decode);
    ASSERT_GT(largest, 0u) << file;
    const Scenario at_largest = load_scenario(
        kScenarios + file, std::vector{parse_override("batch_per_gpu=" + std::to_string(largest))});
    EXPECT_GE(workloads::gpu_memory(s.model, s.gpu, at_largest.decode).headroom_bytes(), 0) << file;
    const std::string refused = error_of(
        kScenarios + file, {parse_override("batch_per_gpu=" + std::to_string(largest + 1))});
    EXPECT_NE(refused.find("command line: key 'decode.batch_per_gpu': "), std::string::npos)
        << refused;
    EXPECT_NE(refused.find("does not fit"), std::string::npos) << refused;
    EXPECT_NE(refused.find("largest batch that fits: " + std::to_string(largest) + ")"),
              std::string::npos)
        << refused;
  }
}

TEST(Scenario, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of(kBad + "unknown-key.yaml")
                .rfind(kBad + "unknown-key.yaml:5: key 'decode.batch_size': unknown key", 0),
            0u);
  EXPECT_NE(error_of(kBad + "bad-unit.yaml").find("bad-unit.yaml:8: key 'gpu.hbm_bandwidth'"),
            std::string::npos);
  EXPECT_NE(error_of(kBad + "missing-key.yaml")
                .find("missing-key.yaml:7: key 'decode.ep_size': missing required key"),
            std::string::npos);
  EXPECT_NE(error_of(kBad + "ep-too-large.yaml")
                .find("ep-too-large.yaml:5: key 'decode.ep_size': EP size 144 exceeds the 72 GPUs"),
            std::string::npos);
  EXPECT_NE(error_of(kBad + "does-not-fit.yaml")
                .find("does-not-fit.yaml:7: key 'decode.batch_per_gpu': DeepSeek-V3 does not fit"),
            std::string::npos);
  EXPECT_NE(error_of(kBad + "bad-value.yaml")
                .find("bad-value.yaml:4: key 'decode.routing': unknown value 'random'"),
            std::string::npos);
  EXPECT_NE(error_of(kBad + "include-cycle.yaml").find("include-cycle.yaml:2: key 'include': "),
            std::string::npos);
  EXPECT_NE(error_of(kBad + "missing-include.yaml")
                .find("missing-include.yaml:2: key 'include': cannot open"),
            std::string::npos);
  EXPECT_NE(error_of(kBad + "no-source.yaml")
                .find("no-source.yaml:1: key 'source': missing required key"),
            std::string::npos);
}

// What a command must not write over: every file the scenario reads.
TEST(Scenario, ListsEveryFileItReads) {
  const std::string file = kScenarios + "ep72-h200-9x.yaml";
  const Scenario s = load_scenario(file);
  auto has = [&](const std::vector<std::string>& files, const std::string& suffix) {
    for (const std::string& f : files)
      if (f.ends_with(suffix)) return true;
    return false;
  };
  for (const auto& files : {s.input_files, scenario_input_files(file)}) {
    EXPECT_TRUE(has(files, "scenarios/ep72-h200-9x.yaml"));
    EXPECT_TRUE(has(files, "scenarios/deepseek-v3-decode.yaml"));  // included
    EXPECT_TRUE(has(files, "models/deepseek-v3.yaml"));
    EXPECT_TRUE(has(files, "hardware/h200-sxm.yaml"));
    EXPECT_TRUE(has(files, "fabrics/hgx-h200x9.yaml"));
    EXPECT_TRUE(has(files, "validation/kernel-calibration.yaml"));
    EXPECT_TRUE(has(files, "validation/compute-calibration.yaml"));
  }
  const std::vector<ScenarioOverride> fabric{parse_override("fabric=configs/fabrics/x.yaml")};
  EXPECT_TRUE(has(scenario_input_files(file, fabric), "configs/fabrics/x.yaml"));
}

// Limits that depend on the fabric as a whole point at the scenario's `fabric` key; NaN never
// passes a check.
TEST(Scenario, WorkLimitsAndNotANumberNameTheKey) {
  const std::string file = kScenarios + "ep72-h200-9x.yaml";
  EXPECT_NE(error_of(file, {parse_override("steps=4000000000")})
                .find("command line: key 'decode.steps': simulating it would need about 19.2 TB "
                      "of memory"),
            std::string::npos);
  EXPECT_NE(error_of(file, {parse_override("memory.reserve_fraction=nan")})
                .find("command line: key 'memory.reserve_fraction': expected a finite number"),
            std::string::npos);
  EXPECT_NE(error_of(file, {parse_override("mtp_acceptance=.nan")})
                .find("command line: key 'decode.mtp_acceptance': expected a finite number"),
            std::string::npos);
  EXPECT_NE(error_of(file, {parse_override("dispatch_bytes_per_element=1e300")})
                .find("key 'decode.dispatch_bytes_per_element': must be a number > 0 and <= 16"),
            std::string::npos);
}

TEST(ScenarioCalibration, NoneMeansTheIdealFluid) {
  const Scenario s = load_scenario(kScenarios + "ep72-h200-9x-ideal.yaml");
  EXPECT_FALSE(s.calibration.has_value());
  EXPECT_EQ(calibration_label(s.calibration), "none");
  for (const double fraction : s.decode.calibration.bandwidth_fraction) EXPECT_EQ(fraction, 1.0);
  for (const double fraction : s.decode.calibration.combine_bandwidth_fraction)
    EXPECT_EQ(fraction, 1.0);
  EXPECT_EQ(s.decode.calibration.dispatch_phase_overhead, sim::Picoseconds{0});
  EXPECT_EQ(s.decode.calibration.combine_phase_overhead, sim::Picoseconds{0});
  // ... with the roofline and nothing outside the layers.
  EXPECT_FALSE(s.compute.has_value());
  EXPECT_EQ(s.decode.compute, workloads::ComputeKind::Roofline);
  EXPECT_EQ(s.decode.step_costs.per_layer, sim::Picoseconds{0});
  EXPECT_EQ(s.decode.step_costs.sampling, sim::Picoseconds{0});
}

TEST(ScenarioCalibration, LoadsTheFittedKernelFromTheDefaultFile) {
  // configs/validation/kernel-calibration.yaml, deepep-low-latency set hopper: dispatch 8.5324 us,
  // combine 9.0807 us, scale-up fractions 0.5850 (dispatch) and 0.5167 (combine), scale-out 0.8739
  // and 11.2817 us per scale-out message (ScaleOut and Core tiers).
  const Scenario s = load_scenario(kScenarios + "ep72-h200-9x.yaml");
  ASSERT_TRUE(s.calibration.has_value());
  EXPECT_EQ(s.calibration->kernel, "deepep-low-latency");
  EXPECT_EQ(s.calibration->system, "hopper");
  EXPECT_EQ(s.calibration->measured_systems,
            (std::vector<std::string>{"h100-hgx", "h200-hgx", "h800-ib"}));
  EXPECT_TRUE(s.calibration->file.ends_with("configs/validation/kernel-calibration.yaml"))
      << s.calibration->file;
  EXPECT_EQ(calibration_label(s.calibration), "deepep-low-latency@hopper");
  const workloads::KernelCalibration& k = s.decode.calibration;
  EXPECT_EQ(k.dispatch_phase_overhead, sim::from_seconds(8.5324e-6));
  EXPECT_EQ(k.combine_phase_overhead, sim::from_seconds(9.0807e-6));
  EXPECT_DOUBLE_EQ(k.bandwidth_fraction[0], 0.5850);
  EXPECT_DOUBLE_EQ(k.combine_bandwidth_fraction[0], 0.5167);
  EXPECT_DOUBLE_EQ(k.bandwidth_fraction[1], 0.8739);
  EXPECT_DOUBLE_EQ(k.bandwidth_fraction[2], 0.8739);
  EXPECT_EQ(k.message_overhead[1], sim::from_seconds(11.2817e-6));
  EXPECT_EQ(k.message_overhead[2], sim::from_seconds(11.2817e-6));
  EXPECT_EQ(k.message_overhead[0], sim::Picoseconds{0});
  EXPECT_EQ(s.decode.ep_size, 72u);
  // Measured compute for the H200's generation, and the stated costs outside the layers.
  ASSERT_TRUE(s.compute.has_value());
  EXPECT_EQ(s.compute->generation, "hopper");
  EXPECT_TRUE(s.compute->notice.empty());
  EXPECT_EQ(s.decode.step_costs.per_layer, sim::microseconds(8));
  EXPECT_EQ(s.decode.step_costs.sampling, sim::microseconds(20));
}

TEST(ScenarioCalibration, PerPeerCostScalesWithTheEpSize) {
  // trtllm-mnnvl on gb200-nvl72: 8.0843 us + 0.0764 us x 71 peers + the unmeasured 16.5 us
  // alltoall_prepare per dispatch; combine 9.5740 us + 0.0764 us x 71.
  const Scenario s = load_scenario(kScenarios + "ep72-gb200-nvl72.yaml");
  EXPECT_EQ(s.decode.calibration.dispatch_phase_overhead,
            sim::from_seconds(8.0843e-6 + 0.0764e-6 * 71) + sim::from_seconds(16.5e-6));
  EXPECT_EQ(s.decode.calibration.combine_phase_overhead,
            sim::from_seconds(9.5740e-6 + 0.0764e-6 * 71));
  const Scenario ep8 =
      load_scenario(kScenarios + "ep72-gb200-nvl72.yaml", std::vector{parse_override("ep_size=8")});
  EXPECT_EQ(ep8.decode.calibration.combine_phase_overhead,
            sim::from_seconds(9.5740e-6 + 0.0764e-6 * 7));
}

TEST(ScenarioCompute, ClosestGenerationForAGpuWithoutMeasurements) {
  // H800 has no compute tables but is a listed Hopper GPU; Ascend 910C is not listed: the closest
  // generation by HBM bandwidth and BF16 peak is Hopper, and the scenario says so.
  const Scenario h800 =
      load_scenario(kScenarios + "ep72-h200-9x.yaml",
                    std::vector{parse_override("gpu=" + kScenarios + "../hardware/h800-sxm.yaml")});
  ASSERT_TRUE(h800.compute.has_value());
  EXPECT_EQ(h800.compute->generation, "hopper");
  EXPECT_TRUE(h800.compute->notice.empty());
  const Scenario ascend = load_scenario(
      kScenarios + "ep72-h200-9x.yaml",
      std::vector{parse_override("gpu=" + kScenarios + "../hardware/ascend-910c.yaml")});
  ASSERT_TRUE(ascend.compute.has_value());
  EXPECT_EQ(ascend.compute->generation, "hopper");
  EXPECT_EQ(ascend.compute->notice, "using hopper measurements for Ascend 910C");
  // decode.compute_generation forces a generation (a transfer test) and says so.
  const Scenario forced =
      load_scenario(kScenarios + "ep72-h200-9x.yaml",
                    std::vector{parse_override("compute_generation=blackwell")});
  EXPECT_EQ(forced.compute->generation, "blackwell");
  EXPECT_EQ(forced.compute->notice,
            "using blackwell measurements for H200 SXM (decode.compute_generation)");
  EXPECT_EQ(error_of(kScenarios + "ep72-h200-9x-ideal.yaml",
                     {parse_override("compute_generation=hopper")}),
            "command line: key 'decode.compute_generation': needs decode.compute: calibrated");
}

TEST(ScenarioCalibration, CommandLineKeysMergeWithTheFile) {
  EXPECT_EQ(parse_override("calibration=none").key, "decode.calibration");
  EXPECT_EQ(parse_override("calibration.kernel=x").key, "decode.calibration.kernel");
  EXPECT_EQ(parse_override("decode.calibration.file=f.yaml").key, "decode.calibration.file");
  EXPECT_THROW(parse_override("calibration.sytem=x"), OverrideError);
  // `none` on the command line switches the file's calibration off.
  EXPECT_FALSE(load_scenario(kScenarios + "ep72-h200-9x.yaml",
                             std::vector{parse_override("calibration=none")})
                   .calibration.has_value());
  // Both keys on the command line calibrate an uncalibrated scenario (deepep-low-latency set
  // blackwell, at EP72 on NVL72: 17.8672 us, 18.3029 us, scale-up 0.5787 / 0.6944).
  const Scenario nvl72 =
      load_scenario(kScenarios + "ep72-gb200-nvl72-ideal.yaml",
                    std::vector{parse_override("calibration.kernel=deepep-low-latency"),
                                parse_override("calibration.system=blackwell")});
  ASSERT_TRUE(nvl72.calibration.has_value());
  EXPECT_EQ(nvl72.decode.calibration.dispatch_phase_overhead, sim::from_seconds(17.8672e-6));
  EXPECT_EQ(nvl72.decode.calibration.combine_phase_overhead, sim::from_seconds(18.3029e-6));
  EXPECT_DOUBLE_EQ(nvl72.decode.calibration.bandwidth_fraction[0], 0.5787);
  EXPECT_DOUBLE_EQ(nvl72.decode.calibration.combine_bandwidth_fraction[0], 0.6944);
  // One key on the command line, the other from the file: the merged pair must exist.
  EXPECT_EQ(
      error_of(kScenarios + "ep72-h200-9x.yaml", {parse_override("calibration.system=h200-hgx")})
          .rfind("command line: key 'decode.calibration.system': no fitted calibration for "
                 "kernel 'deepep-low-latency' on system 'h200-hgx'",
                 0),
      0u);
  // NCCL's sets are fitted on one even all-to-all, which the decode step has no phase for.
  EXPECT_EQ(error_of(kScenarios + "ep72-gb200-nvl72.yaml",
                     {parse_override("calibration.kernel=nccl-alltoall"),
                      parse_override("calibration.system=gb200-nvl72")}),
            "command line: key 'decode.calibration.kernel': 'nccl-alltoall' on 'gb200-nvl72' was "
            "not fitted as dispatch and combine phases (only an even all-to-all), so the decode "
            "step cannot apply it");
  EXPECT_EQ(
      error_of(kScenarios + "ep72-h200-9x-ideal.yaml", {parse_override("calibration.kernel=x")}),
      "command line: key 'decode.calibration.system': missing required key");
  EXPECT_EQ(error_of(kScenarios + "ep72-h200-9x.yaml", {parse_override("calibration=fast")}),
            "command line: key 'decode.calibration': expected 'none' (ideal fluid) or a mapping "
            "{kernel: K, system: S[, file: F]}");
  EXPECT_NE(error_of(kScenarios + "ep72-h200-9x.yaml",
                     {parse_override("calibration.kernel=trtllm-mnnvl"),
                      parse_override("calibration.system=gb200-nvl72"),
                      parse_override("calibration.file=/nonexistent/k.yaml")})
                .find("key 'decode.calibration.file': cannot open '/nonexistent/k.yaml'"),
            std::string::npos);
}

TEST(ScenarioCalibration, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of(kBad + "unknown-kernel.yaml")
                .rfind(kBad + "unknown-kernel.yaml:5: key 'decode.calibration.kernel': no fitted "
                              "calibration for kernel 'deepep-normal' on system 'h800-ib'",
                       0),
            0u);
  EXPECT_EQ(error_of(kBad + "calibration-unknown-key.yaml")
                .rfind(kBad + "calibration-unknown-key.yaml:7: key 'decode.calibration.sytem': "
                              "unknown key",
                       0),
            0u);
}

}  // namespace
}  // namespace moesim::scenario
