// Section (c) of the claim: the calibrated cases next to the ideal-fluid ones, checked against
// limits derived by hand. The contention-free analytic network keeps the eight EP72 simulations
// fast (well under a second); the flow model's default run is exercised end to end by e2e.sh.
#include "cli/claim/claim_cases.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "input/mapping.h"
#include "sim/time.h"

namespace moesim::cli {
namespace {

const std::string kClaimFile =
    std::string(MOESIM_SOURCE_DIR) + "/configs/scenarios/claim-260x.yaml";

const std::vector<ClaimCase>& analytic_cases() {
  static const std::vector<ClaimCase> cases = [] {
    const input::Mapping claim = input::Mapping::load_file(kClaimFile);
    return simulate_claim_cases(claim, load_claim_calibrations(claim),
                                {parse_override("network=analytic")});
  }();
  return cases;
}

TEST(ClaimCases, CalibrationsAreTheFittedKernelsOfEachSide) {
  const ClaimCalibrations c = load_claim_calibrations(input::Mapping::load_file(kClaimFile));
  EXPECT_EQ(c.nvl72.kernel, "trtllm-mnnvl");
  EXPECT_EQ(c.nvl72.system, "gb200-nvl72");
  EXPECT_EQ(c.h200.kernel, "deepep-low-latency");
  EXPECT_EQ(c.h200.system, "hopper");
  EXPECT_NE(c.h200.basis.find("assumption"), std::string::npos);  // H800's InfiniBand costs
  EXPECT_TRUE(c.file.ends_with("configs/validation/kernel-calibration.yaml")) << c.file;
}

TEST(ClaimCases, EightCasesIdealThenCalibrated) {
  const std::vector<ClaimCase>& cases = analytic_cases();
  ASSERT_EQ(cases.size(), 8u);
  const char* labels[] = {"NVL72, direct", "NVL72, node-dedup", "H200, direct", "H200, node-dedup"};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(cases[i].label, labels[i]);
    EXPECT_EQ(cases[i + 4].label, labels[i]);
    EXPECT_FALSE(cases[i].scenario.calibration.has_value());
    ASSERT_TRUE(cases[i + 4].scenario.calibration.has_value());
    // Ideal: the roofline and nothing outside the layers; calibrated: measured compute.
    EXPECT_FALSE(cases[i].scenario.compute.has_value());
    EXPECT_EQ(cases[i].scenario.decode.step_costs.per_layer, sim::Picoseconds{0});
    ASSERT_TRUE(cases[i + 4].scenario.compute.has_value());
    EXPECT_GT(cases[i + 4].scenario.decode.step_costs.per_layer, sim::Picoseconds{0});
    EXPECT_EQ(cases[i].fixed_us(), 0.0);
    EXPECT_EQ(cases[i].scenario.decode.dispatch_mode, cases[i + 4].scenario.decode.dispatch_mode);
    EXPECT_EQ(cases[i].scenario.decode.ep_size, 72u);
  }
  EXPECT_EQ(cases[4].scenario.calibration->kernel, "trtllm-mnnvl");
  EXPECT_EQ(cases[6].scenario.calibration->kernel, "deepep-low-latency");
}

TEST(ClaimCases, FixedCostsAreTheFittedValues) {
  // kernel-calibration.yaml: trtllm-mnnvl 8.0843 + 9.5740 us + 2 x 0.0764 us x 71 peers, and the
  // scenario's unmeasured 16.5 us alltoall_prepare = 45.0071 us per layer; deepep-low-latency set
  // hopper 8.5324 + 9.0807 = 17.6131 us.
  const std::vector<ClaimCase>& cases = analytic_cases();
  for (const std::size_t i : {4, 5}) EXPECT_NEAR(cases[i].fixed_us(), 45.0071, 1e-6);
  for (const std::size_t i : {6, 7}) EXPECT_NEAR(cases[i].fixed_us(), 17.6131, 1e-6);
}

TEST(ClaimCases, CalibratedDispatchIsBoundedByTheIdealFluid) {
  // Without contention a message of b bytes takes O + L + b / B; calibrated, O + L + m + b / (f B)
  // with 0 < f <= 1 and m the per-message cost of a scale-out message, which lies between
  // O + L + b / B and (O + L + b / B) / f + m. Every GPU finishes its attention at the same time
  // (equal batches), so the dispatch phase (first send to last arrival, the same routing and seed)
  // inherits both bounds, and the fixed cost per phase comes on top:
  //   ideal + fixed <= calibrated <= ideal / f + m + fixed,
  // f = 0.6467 (trtllm-mnnvl's dispatch), 0.5850 (deepep-low-latency hopper, its smaller dispatch
  // fraction), m = 0 on NVL72 and 11.2817 us over InfiniBand. (The combine phase also holds the
  // skew of the GPUs' expert times, which the two compute models set differently.)
  const std::vector<ClaimCase>& cases = analytic_cases();
  const double f[] = {0.6467, 0.6467, 0.5850, 0.5850};
  const double m[] = {0, 0, 11.2817, 11.2817};
  for (std::size_t i = 0; i < 4; ++i) {
    const ClaimCase& ideal = cases[i];
    const ClaimCase& calibrated = cases[i + 4];
    SCOPED_TRACE(ideal.label);
    const double fixed =
        calibrated.scenario.decode.calibration.dispatch_phase_overhead.microseconds();
    EXPECT_GT(ideal.dispatch_us(), 0.0);
    EXPECT_GE(calibrated.dispatch_us(), ideal.dispatch_us() + fixed - 1e-6);
    EXPECT_LE(calibrated.dispatch_us(), ideal.dispatch_us() / f[i] + m[i] + fixed + 1e-6);
    EXPECT_GE(calibrated.combine_us(),
              calibrated.scenario.decode.calibration.combine_phase_overhead.microseconds());
    EXPECT_NEAR(calibrated.dispatch_us() + calibrated.combine_us(), calibrated.all_to_all_us(),
                1e-9);
  }
}

}  // namespace
}  // namespace moesim::cli
