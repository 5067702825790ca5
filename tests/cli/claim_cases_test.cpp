// Section (c) of the claim: the calibrated cases next to the ideal-fluid ones, checked against
// limits derived by hand. The contention-free analytic network keeps the eight EP72 simulations
// fast (well under a second); the flow model's default run is exercised end to end by e2e.sh.
#include "cli/claim/claim_cases.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "input/mapping.h"

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
  EXPECT_EQ(c.h200.system, "h800-ib");
  EXPECT_NE(c.h200.basis.find("assumption"), std::string::npos);  // H800 stands in for H200
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
    EXPECT_EQ(cases[i].fixed_us(), 0.0);
    EXPECT_EQ(cases[i].scenario.decode.dispatch_mode, cases[i + 4].scenario.decode.dispatch_mode);
    EXPECT_EQ(cases[i].scenario.decode.ep_size, 72u);
  }
  EXPECT_EQ(cases[4].scenario.calibration->kernel, "trtllm-mnnvl");
  EXPECT_EQ(cases[6].scenario.calibration->kernel, "deepep-low-latency");
}

TEST(ClaimCases, FixedCostsAreTheFittedValues) {
  // kernel-calibration.yaml: trtllm-mnnvl 8.6643 + 10.6762 = 19.3405 us per layer;
  // deepep-low-latency 29.7363 + 38.0699 = 67.8062 us.
  const std::vector<ClaimCase>& cases = analytic_cases();
  for (const std::size_t i : {4, 5}) EXPECT_NEAR(cases[i].fixed_us(), 19.3405, 1e-6);
  for (const std::size_t i : {6, 7}) EXPECT_NEAR(cases[i].fixed_us(), 67.8062, 1e-6);
}

TEST(ClaimCases, CalibratedAllToAllIsBoundedByTheIdealFluid) {
  // Without contention a message of b bytes takes O + L + b / B; calibrated, O + L + b / (f B)
  // with 0 < f <= 1, which lies between O + L + b / B and (O + L + b / B) / f. The phase (first
  // send to last arrival, the same routing and seed) inherits both bounds, and the fixed cost per
  // phase comes on top:
  //   ideal + fixed <= calibrated <= ideal / f_min + fixed,
  // f_min = 0.6070 (trtllm-mnnvl, NVLink only) and 0.8310 (deepep-low-latency: its NVLink
  // fraction is the smaller of its two).
  const std::vector<ClaimCase>& cases = analytic_cases();
  const double f_min[] = {0.6070, 0.6070, 0.8310, 0.8310};
  for (std::size_t i = 0; i < 4; ++i) {
    const ClaimCase& ideal = cases[i];
    const ClaimCase& calibrated = cases[i + 4];
    SCOPED_TRACE(ideal.label);
    EXPECT_GT(ideal.all_to_all_us(), 0.0);
    EXPECT_GE(calibrated.all_to_all_us(), ideal.all_to_all_us() + calibrated.fixed_us() - 1e-6);
    EXPECT_LE(calibrated.all_to_all_us(),
              ideal.all_to_all_us() / f_min[i] + calibrated.fixed_us() + 1e-6);
    // Each phase alone is at least its fitted fixed cost plus one message's overhead + latency
    // (a phase ends with some message's arrival); ideal and calibrated share those.
    EXPECT_GE(calibrated.dispatch_us(),
              calibrated.scenario.decode.calibration.dispatch_phase_overhead.microseconds());
    EXPECT_GE(calibrated.combine_us(),
              calibrated.scenario.decode.calibration.combine_phase_overhead.microseconds());
    EXPECT_NEAR(calibrated.dispatch_us() + calibrated.combine_us(), calibrated.all_to_all_us(),
                1e-9);
    // Fixed costs lengthen every layer, so the step cannot get faster.
    EXPECT_GT(calibrated.result.metrics.tpot_us, ideal.result.metrics.tpot_us);
  }
}

}  // namespace
}  // namespace moesim::cli
