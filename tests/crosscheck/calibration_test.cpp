// Kernel calibration (workloads/calibration.h): the formula on hand-computed cases, the fit
// recovering known parameters, and the shipped fit (configs/validation/kernel-calibration.yaml)
// reproducing the published measurements within the targets and being up to date with the data.
#include "calibration/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

namespace moesim::calibration {
namespace {

const std::string kSource = MOESIM_SOURCE_DIR;
const std::string kConfigs = kSource + "/configs";

TEST(Calibration, PhaseTimeFormulaByHand) {
  FittedKernel kernel;
  kernel.fixed_seconds[static_cast<std::size_t>(CommPhase::Dispatch)] = 20e-6;
  kernel.scale_up_fraction = 0.8;
  kernel.scale_out_fraction = 0.5;
  // NVLink message: 3 us offset + 40 us / 0.8 = 53 us; InfiniBand: 5 us + 30 us / 0.5 = 65 us -> 20
  // + 65 = 85 us.
  const std::vector<MessageTiming> timings{{3e-6, 40e-6, false}, {5e-6, 30e-6, true}};
  EXPECT_NEAR(calibrated_phase_seconds(kernel, CommPhase::Dispatch, 8, timings), 85e-6, 1e-12);
  // Combine has no fixed cost in this set: 65 us.
  EXPECT_NEAR(calibrated_phase_seconds(kernel, CommPhase::Combine, 8, timings), 65e-6, 1e-12);
}

TEST(Calibration, PerPeerPerPhaseAndScaleOutMessageTermsByHand) {
  FittedKernel kernel;
  kernel.fixed_seconds = {10e-6, 12e-6, 0};
  kernel.scale_up_fraction = 0.8;          // dispatch
  kernel.combine_scale_up_fraction = 0.5;  // combine
  kernel.scale_out_fraction = 0.5;
  kernel.scale_out_message_seconds = 11e-6;
  kernel.per_peer_seconds = 0.1e-6;
  const std::vector<MessageTiming> up{{3e-6, 40e-6, false}};
  // EP72: dispatch 10 + 0.1 x 71 + (3 + 40 / 0.8) = 70.1 us; combine 12 + 7.1 + (3 + 40 / 0.5) =
  // 102.1 us; at EP8 the per-peer term is 0.7 us.
  EXPECT_NEAR(calibrated_phase_seconds(kernel, CommPhase::Dispatch, 72, up), 70.1e-6, 1e-12);
  EXPECT_NEAR(calibrated_phase_seconds(kernel, CommPhase::Combine, 72, up), 102.1e-6, 1e-12);
  EXPECT_NEAR(calibrated_phase_seconds(kernel, CommPhase::Dispatch, 8, up), 63.7e-6, 1e-12);
  // A scale-out message pays the per-message cost: 5 + 11 + 20 / 0.5 = 56 us (+ 10 + 0.7).
  const std::vector<MessageTiming> out{{5e-6, 20e-6, true}};
  EXPECT_NEAR(calibrated_phase_seconds(kernel, CommPhase::Dispatch, 8, out), 66.7e-6, 1e-12);
  // The decode step gets the same costs: phase overheads include the per-peer term for its EP size.
  const workloads::KernelCalibration decode = to_decode_calibration(kernel, 72);
  EXPECT_NEAR(decode.dispatch_phase_overhead.seconds(), 17.1e-6, 1e-12);
  EXPECT_NEAR(decode.combine_phase_overhead.seconds(), 19.1e-6, 1e-12);
  EXPECT_DOUBLE_EQ(decode.bandwidth_fraction[0], 0.8);
  EXPECT_DOUBLE_EQ(decode.combine_bandwidth_fraction[0], 0.5);
  EXPECT_DOUBLE_EQ(decode.bandwidth_fraction[1], 0.5);
  EXPECT_NEAR(decode.message_overhead[1].seconds(), 11e-6, 1e-12);
  EXPECT_NEAR(decode.message_overhead[2].seconds(), 11e-6, 1e-12);
  EXPECT_EQ(decode.message_overhead[0].count(), 0);
}

TEST(Calibration, DirectTokenPatternBytes) {
  CalibrationPoint point;
  point.pattern = TrafficPattern::DirectTokens;
  point.gpus = 8;
  point.tokens_per_gpu = 128;
  point.experts_per_token = 8;
  point.bytes_per_copy = 7392;  // 7168 FP8 + 56 x 4-byte scales
  point.phase = CommPhase::Dispatch;
  // 128 x 8 = 1024 copies per GPU, 128 to each of the 8 ranks; the 128 to itself stay local:
  // 8 x 7 messages of 128 x 7392 = 946,176 bytes.
  const auto messages = phase_messages(point);
  ASSERT_EQ(messages.size(), 56u);
  for (const auto& message : messages) {
    EXPECT_EQ(message.bytes, 946'176u);
    EXPECT_NE(message.source, message.destination);
  }
  // 16 ranks, 1 token: 8 copies go to ranks s+0 .. s+7; s+0 is local -> 7 messages per GPU.
  point.gpus = 16;
  point.tokens_per_gpu = 1;
  EXPECT_EQ(phase_messages(point).size(), 16u * 7);
}

TEST(Calibration, IdealFlowOnOneServerMatchesClosedForm) {
  const std::string systems_file = kConfigs + "/validation/systems.yaml";
  const SystemCatalogue systems(systems_file);
  CalibrationPoint point;
  point.system = "h200-hgx";
  point.pattern = TrafficPattern::EvenAllToAll;
  point.gpus = 8;
  point.bytes_per_copy = 450'000;  // per peer
  point.phase = CommPhase::AllToAll;
  const auto timings = simulate_points(systems, std::span(&point, 1));
  // Each GPU sends 7 x 450 kB = 3.15 MB through its 450 GB/s NVLink port: 7 us, after the 2 x 1.665
  // us link latencies of GPU -> switch -> GPU: 10.33 us.
  FittedKernel ideal;
  EXPECT_NEAR(calibrated_phase_seconds(ideal, point.phase, point.gpus, timings[0]), 10.33e-6,
              1e-11);
}

TEST(Calibration, FitRecoversKnownParameters) {
  // Synthetic measurements made by the model itself with known costs must be fitted back exactly.
  const SystemCatalogue systems(kConfigs + "/validation/systems.yaml");
  std::vector<CalibrationPoint> points;
  for (std::uint32_t ep : {8u, 16u, 32u}) {
    for (std::uint32_t tokens : {16u, 128u}) {
      for (CommPhase phase : {CommPhase::Dispatch, CommPhase::Combine}) {
        CalibrationPoint point;
        point.kernel = "synthetic";
        point.system = "h800-ib";
        point.gpus = ep;
        point.tokens_per_gpu = tokens;
        point.experts_per_token = 8;
        point.bytes_per_copy = phase == CommPhase::Dispatch ? 7392 : 14336;
        point.phase = phase;
        points.push_back(point);
      }
    }
  }
  const auto timings = simulate_points(systems, points);
  FittedKernel truth;
  truth.fixed_seconds = {25e-6, 31e-6, 0};
  truth.scale_up_fraction = 0.71;
  truth.combine_scale_up_fraction = 0.55;
  truth.scale_out_fraction = 0.88;
  truth.scale_out_message_seconds = 9e-6;
  truth.per_peer_seconds = 0.05e-6;
  for (std::size_t i = 0; i < points.size(); ++i)
    points[i].measured_seconds =
        calibrated_phase_seconds(truth, points[i].phase, points[i].gpus, timings[i]);
  KernelSetSpec spec{"synthetic", "all", {"h800-ib"}, {true, true, true}};
  const FitReport report = fit_calibrations(points, timings, std::span(&spec, 1));
  ASSERT_EQ(report.calibrations.size(), 1u);
  const FittedKernel& fitted = report.calibrations[0];
  EXPECT_EQ(fitted.system, "all");
  EXPECT_NEAR(fitted.scale_up_fraction, 0.71, 2e-3);
  EXPECT_NEAR(fitted.combine_scale_up_fraction, 0.55, 2e-3);
  EXPECT_NEAR(fitted.scale_out_fraction, 0.88, 2e-3);
  EXPECT_NEAR(fitted.scale_out_message_seconds, 9e-6, 0.1e-6);
  EXPECT_NEAR(fitted.per_peer_seconds, 0.05e-6, 0.01e-6);
  EXPECT_NEAR(fitted.fixed_seconds[0], 25e-6, 0.3e-6);
  EXPECT_NEAR(fitted.fixed_seconds[1], 31e-6, 0.3e-6);
  EXPECT_LT(report.max_abs_relative_error, 2e-3);
}

class ShippedCalibration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    files_ = default_measurement_files(kConfigs);
    data_ = load_calibration_data(files_);
    systems_file_ = kConfigs + "/validation/systems.yaml";
    sets_file_ = kConfigs + "/validation/kernel-sets.yaml";
    specs_ = load_kernel_sets(sets_file_);
    timings_ = simulate_points(SystemCatalogue(systems_file_), data_.points);
    shipped_ = load_calibration_file(kConfigs + "/validation/kernel-calibration.yaml");
  }
  static inline std::vector<std::string> files_;
  static inline CalibrationData data_;
  static inline std::string systems_file_, sets_file_;
  static inline std::vector<KernelSetSpec> specs_;
  static inline std::vector<std::vector<MessageTiming>> timings_;
  static inline CalibrationFile shipped_;
};

TEST_F(ShippedCalibration, DataAreComplete) {
  // DeepEP low latency on H800: 2 tables x 6 EP sizes x (dispatch, combine) = 24; EP8 sweeps on
  // H100, H200, B200: 3 x 11 token counts x 2 = 66; the unverified EP8-64 table: 28 rows x 2 = 56
  // (not counted); TensorRT-LLM MNNVL: 2 EP x 9 token counts x 2 = 36; NCCL: 8 rows. DeepEP normal
  // kernels are listed as not evaluated.
  EXPECT_EQ(data_.points.size(), 24u + 66u + 56u + 36u + 8u);
  std::size_t not_counted = 0;
  for (const auto& point : data_.points) not_counted += point.excluded ? 1 : 0;
  EXPECT_EQ(not_counted, 56u + 2u);  // the unverified table, the two outliers
  ASSERT_EQ(data_.unevaluated_tables.size(), 1u);
  EXPECT_EQ(data_.unevaluated_tables[0].first, "deepep.v1.normal.after_tencent_ibgda");
}

TEST_F(ShippedCalibration, ReproducesMeasurementsWithinTargets) {
  const auto results = evaluate_points(data_.points, timings_, shipped_.calibrations, specs_);
  std::map<std::string, std::pair<double, std::size_t>> per_set;
  for (const PointResult& result : results) {
    if (result.point->excluded) continue;
    auto& [sum, count] = per_set[result.point->kernel + " on " + result.set];
    sum += std::abs(result.relative_error);
    ++count;
    // The one known miss (docs/validation.md): H800's EP8 combine over 200 GB/s NVLink, with the
    // per-phase scale-up fractions that the 450 GB/s H100/H200 sweeps pin.
    const bool known_miss = result.point->system == "h800-ib" && result.point->gpus == 8 &&
                            !result.point->rdma_only && result.point->phase == CommPhase::Combine;
    EXPECT_LE(std::abs(result.relative_error), known_miss ? 0.21 : 0.15)
        << result.point->data_id << " " << result.point->label << ": measured "
        << result.point->measured_seconds * 1e6 << " us, calibrated "
        << result.calibrated_seconds * 1e6 << " us";
  }
  EXPECT_EQ(per_set.size(), 5u);
  for (const auto& [set, totals] : per_set)
    EXPECT_LE(totals.first / static_cast<double>(totals.second), 0.08) << set;
}

TEST_F(ShippedCalibration, FileIsUpToDateWithTheData) {
  std::vector<std::string> hashed = files_;
  hashed.push_back(systems_file_);
  hashed.push_back(sets_file_);
  EXPECT_EQ(shipped_.inputs_hash, hash_files(hashed))
      << "measurement, system or kernel-set files changed since the fit: run `moesim validate "
         "--fit`";
  // Re-fitting must give the shipped values (to the file's printed precision): an edited parameter
  // file, a changed flow model or changed data without re-fitting fails here.
  const FitReport refit = fit_calibrations(data_.points, timings_, specs_);
  ASSERT_EQ(refit.calibrations.size(), shipped_.calibrations.size());
  for (const FittedKernel& fitted : refit.calibrations) {
    const FittedKernel& stored =
        find_calibration(shipped_.calibrations, fitted.kernel, fitted.system);
    SCOPED_TRACE(fitted.kernel + " on " + fitted.system);
    EXPECT_EQ(stored.measured_systems, fitted.measured_systems);
    EXPECT_EQ(stored.terms, fitted.terms);
    EXPECT_NEAR(stored.scale_up_fraction, fitted.scale_up_fraction, 2e-4);
    EXPECT_NEAR(stored.combine_scale_up_fraction, fitted.combine_scale_up_fraction, 2e-4);
    EXPECT_NEAR(stored.scale_out_fraction, fitted.scale_out_fraction, 2e-4);
    EXPECT_NEAR(stored.scale_out_message_seconds, fitted.scale_out_message_seconds, 2e-9);
    EXPECT_NEAR(stored.per_peer_seconds, fitted.per_peer_seconds, 2e-10);
    for (std::size_t p = 0; p < kCommPhaseCount; ++p) {
      EXPECT_EQ(stored.phase_fitted[p], fitted.phase_fitted[p]);
      EXPECT_NEAR(stored.fixed_seconds[p], fitted.fixed_seconds[p], 2e-9);
    }
  }
}

TEST_F(ShippedCalibration, HeldAsideHopperSystemsAndTheB200Gap) {
  // Leave-one-system-out: H100 from the set fitted without it (H200 + H800) and vice versa stay
  // within the 15 % target; B200's DeepEP floor is twice Hopper's, so the Hopper set cannot
  // predict it (docs/validation.md states it).
  const auto held = leave_one_system_out(data_.points, timings_, shipped_.calibrations, specs_);
  auto mae = [&](const std::string& system, const std::string& predictor) {
    for (const HeldAsideResult& h : held)
      if (h.system == system && h.predictor == predictor) {
        double sum = 0;
        std::size_t n = 0;
        for (const PointResult& r : h.points)
          if (!r.point->excluded) {
            sum += std::abs(r.relative_error);
            ++n;
          }
        return sum / static_cast<double>(n);
      }
    ADD_FAILURE() << "no held-aside result for " << system << " by " << predictor;
    return 1.0;
  };
  EXPECT_LE(mae("h100-hgx", "hopper without h100-hgx"), 0.15);
  EXPECT_LE(mae("h200-hgx", "hopper without h200-hgx"), 0.15);
  EXPECT_GT(mae("b200-hgx", "hopper"), 0.20);
}

TEST_F(ShippedCalibration, DecodeStepCalibrationCarriesTheFit) {
  const FittedKernel& fitted =
      find_calibration(shipped_.calibrations, "deepep-low-latency", "hopper");
  const workloads::KernelCalibration decode = to_decode_calibration(fitted, 72);
  EXPECT_DOUBLE_EQ(decode.bandwidth_fraction[0], fitted.scale_up_fraction);
  EXPECT_DOUBLE_EQ(decode.combine_bandwidth_fraction[0], fitted.combine_scale_up_fraction);
  EXPECT_DOUBLE_EQ(decode.bandwidth_fraction[1], fitted.scale_out_fraction);
  EXPECT_DOUBLE_EQ(decode.bandwidth_fraction[2], fitted.scale_out_fraction);
  EXPECT_NEAR(decode.message_overhead[1].seconds(), fitted.scale_out_message_seconds, 1e-12);
  EXPECT_NEAR(decode.dispatch_phase_overhead.seconds(), fitted.fixed_seconds[0], 1e-12);
  EXPECT_NEAR(decode.combine_phase_overhead.seconds(), fitted.fixed_seconds[1], 1e-12);
}

}  // namespace
}  // namespace moesim::calibration
