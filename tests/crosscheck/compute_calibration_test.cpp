// Compute calibration (calibration/compute_fit.h, workloads/compute.h): the forms by hand, the
// closest-generation fallback, the shipped fit (configs/validation/compute-calibration.yaml) being
// up to date with the measured tables, and a decode step whose attention equals the fitted form at
// a measured point.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "calibration/calibration.h"
#include "scenario/run.h"
#include "scenario/scenario.h"

namespace moesim::calibration {
namespace {

const std::string kConfigs = std::string(MOESIM_SOURCE_DIR) + "/configs";

workloads::GpuSpec gpu(std::string name, double bandwidth, double bf16, double fp8) {
  workloads::GpuSpec spec;
  spec.name = std::move(name);
  spec.hbm_bytes = 100e9;
  spec.hbm_bandwidth_bytes_per_second = bandwidth;
  spec.bf16_flops_per_second = bf16;
  spec.fp8_flops_per_second = fp8;
  return spec;
}

TEST(ComputeForms, ByHand) {
  const workloads::GpuSpec g = gpu("test", 4e12, 1e15, 2e15);
  workloads::ComputeCosts costs;
  costs.attention = {50e-6, 0.5, 0.8, 0.5, 1e-9};
  // Attention: 50 + 200e6 B / 4 TB/s (50 us) + 2e9 / (0.5 x 2e15) (2 us) + max(1.6e9 / (0.8 x
  // 4e12) = 500 us, 1e11 / (0.5 x 1e15) = 200 us, 1 ns x 4096 = 4.1 us) = 602 us.
  workloads::KernelWork attention;
  attention.kind = workloads::KernelKind::Attention;
  attention.weight_bytes = 200e6;
  attention.kv_bytes = 1.6e9;
  attention.projection_flops = 2e9;
  attention.core_flops = 1e11;
  attention.context_tokens = 4096;
  EXPECT_NEAR(workloads::attention_seconds(attention, g, 2e15, costs), 602e-6, 1e-12);
  // FP8 KV on a generation that runs the MMAs at FP8: 8e11 FLOPs take 8e11 / (0.5 x 2e15) = 800 us
  // (1.6 ms at the BF16 peak), above the KV's 500 us: 50 + 50 + 2 + 800 = 902 us.
  attention.core_at_fp8 = true;
  costs.fp8_kv_attention_at_fp8_peak = true;
  attention.core_flops = 8e11;
  EXPECT_NEAR(workloads::attention_seconds(attention, g, 2e15, costs), 902e-6, 1e-12);
  // GEMM 1 x 7168 x 2048 FP8: bytes 14,680,064 + 2 x (2048 + 7168) = 14,698,496 B; 5 us + 0.5 ns x
  // 2048 + 14,698,496 / (0.9 x 4e12) = 5 + 1.024 + 4.0829 us.
  const workloads::GemmCost gemm{5e-6, 0.5e-9, 0.9, 0.5};
  EXPECT_NEAR(workloads::gemm_seconds({1, 7168, 2048, 1}, g, gemm),
              5e-6 + 1.024e-6 + 14'698'496.0 / 3.6e12, 1e-12);
  // Experts, p = 2: 8 slots of which 3 active, 40 tokens padded to 64 each = 192 rows; Wexp 44e6
  // B: memory 3 x 44e6 / (0.8 x 4e12) = 41.25 us, compute 88e6 x 192 / (0.5 x 2e15) = 16.896 us;
  // 20 + 8 x 0.5 + sqrt(41.25^2 + 16.896^2) = 24 + 44.576 us.
  const workloads::ExpertCost experts{20e-6, 0.5e-6, 0.8, 0.5, 2.0, 64};
  workloads::KernelWork work;
  work.expert_slots = 8;
  work.active_slots = 3;
  work.padded_tokens = workloads::padded_tokens({40, 0, 40, 0, 0, 40, 0, 0}, 64);
  EXPECT_EQ(work.padded_tokens, 192);
  work.expert_bytes_each = 44e6;
  work.expert_flops_per_token = 88e6;
  EXPECT_NEAR(workloads::routed_expert_seconds(work, g, 2e15, experts),
              24e-6 + std::hypot(41.25e-6, 16.896e-6), 1e-12);
}

class ShippedCompute : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = load_compute_data(kConfigs + "/validation/gpu-generations.yaml",
                              default_compute_files(kConfigs));
    shipped_ = load_compute_calibration_file(kConfigs + "/validation/compute-calibration.yaml");
  }
  static inline ComputeData data_;
  static inline ComputeCalibrationFile shipped_;
};

TEST_F(ShippedCompute, DataAreComplete) {
  // Attention: 5 GPUs x 21 (batch, KV) x 2 KV precisions; GEMMs: 5 GPUs x 7 m x 5 shapes; experts:
  // every non-empty (row, GPU) cell of the uniform, small-EP and power-law tables.
  std::array<std::size_t, kComputeOperationCount> count{};
  for (const ComputePoint& point : data_.points) ++count[static_cast<std::size_t>(point.operation)];
  EXPECT_EQ(count[0], 210u);
  EXPECT_EQ(count[1], 331u);
  EXPECT_EQ(count[2], 175u);
}

TEST_F(ShippedCompute, FileIsUpToDateWithTheData) {
  EXPECT_EQ(shipped_.inputs_hash, hash_files(data_.input_files))
      << "compute tables, generations, hardware or model files changed since the fit: run "
         "`moesim validate --fit`";
  const ComputeFit refit = fit_compute(data_);
  ASSERT_EQ(refit.generations.size(), shipped_.fit.generations.size());
  for (std::size_t i = 0; i < refit.generations.size(); ++i) {
    const workloads::ComputeCosts& a = refit.generations[i].costs;
    const workloads::ComputeCosts& b = shipped_.fit.generations[i].costs;
    SCOPED_TRACE(a.generation);
    EXPECT_EQ(a.generation, b.generation);
    EXPECT_EQ(a.fp8_kv_attention_at_fp8_peak, b.fp8_kv_attention_at_fp8_peak);
    EXPECT_NEAR(a.attention.fixed_seconds, b.attention.fixed_seconds, 1e-10);
    EXPECT_NEAR(a.attention.projection_flops_fraction, b.attention.projection_flops_fraction, 1e-4);
    EXPECT_NEAR(a.attention.kv_bandwidth_fraction, b.attention.kv_bandwidth_fraction, 1e-4);
    EXPECT_NEAR(a.attention.attention_flops_fraction, b.attention.attention_flops_fraction, 1e-4);
    EXPECT_NEAR(a.attention.seconds_per_context_token, b.attention.seconds_per_context_token,
                1e-14);
    EXPECT_NEAR(a.gemm.fixed_seconds, b.gemm.fixed_seconds, 1e-10);
    EXPECT_NEAR(a.gemm.seconds_per_reduction_element, b.gemm.seconds_per_reduction_element, 1e-14);
    EXPECT_NEAR(a.gemm.bandwidth_fraction, b.gemm.bandwidth_fraction, 1e-4);
    EXPECT_NEAR(a.gemm.flops_fraction, b.gemm.flops_fraction, 1e-4);
    EXPECT_NEAR(a.experts.fixed_seconds, b.experts.fixed_seconds, 1e-10);
    EXPECT_NEAR(a.experts.seconds_per_local_expert, b.experts.seconds_per_local_expert, 1e-10);
    EXPECT_NEAR(a.experts.bandwidth_fraction, b.experts.bandwidth_fraction, 1e-4);
    EXPECT_NEAR(a.experts.flops_fraction, b.experts.flops_fraction, 1e-4);
    EXPECT_NEAR(a.experts.norm_exponent, b.experts.norm_exponent, 1e-3);
    EXPECT_EQ(a.experts.tile_rows, b.experts.tile_rows);
  }
}

TEST_F(ShippedCompute, InSampleAndHeldAsideErrors) {
  // Attention and routed experts: MAE <= 8 % per operation in-sample and <= 15 % per GPU with the
  // GPU left out of the fit (the targets; the per-point misses are in docs/validation.md).
  for (const ComputeGpu& gpu : data_.gpus) {
    if (!gpu.measured) continue;
    const ComputeFit held = fit_compute(data_, gpu.key);
    std::array<double, kComputeOperationCount> sum{}, loso{};
    std::array<std::size_t, kComputeOperationCount> n{};
    for (const ComputePoint& point : data_.points) {
      if (data_.gpus[point.gpu].key != gpu.key) continue;
      const auto op = static_cast<std::size_t>(point.operation);
      const auto& costs = find_generation(shipped_.fit, gpu.generation).costs;
      const auto& held_costs = find_generation(held, gpu.generation).costs;
      sum[op] += std::abs(predict_seconds(point, data_, costs) / point.measured_seconds - 1);
      loso[op] += std::abs(predict_seconds(point, data_, held_costs) / point.measured_seconds - 1);
      ++n[op];
    }
    for (std::size_t op = 0; op < kComputeOperationCount; ++op) {
      SCOPED_TRACE(gpu.key + " " + std::string(to_string(static_cast<ComputeOperation>(op))));
      ASSERT_GT(n[op], 0u);
      EXPECT_LE(sum[op] / static_cast<double>(n[op]), 0.08);
      EXPECT_LE(loso[op] / static_cast<double>(n[op]), 0.15);
    }
  }
}

TEST_F(ShippedCompute, ClosestGenerationFallback) {
  // A listed GPU uses its own generation without a notice.
  const ComputeChoice h200 = choose_compute_costs(shipped_.fit, data_.gpus[1].spec);
  EXPECT_EQ(h200.costs.generation, "hopper");
  EXPECT_TRUE(h200.notice.empty());
  // Unlisted: Ascend 910C (3.2 TB/s, 752 TFLOP/s BF16) is closest to Hopper; a Rubin-like part
  // with 8 TB/s and 2500 TFLOP/s to Blackwell. The notice names the substitution.
  const ComputeChoice ascend =
      choose_compute_costs(shipped_.fit, gpu("Ascend 910C", 3.2e12, 752e12, 0));
  EXPECT_EQ(ascend.costs.generation, "hopper");
  EXPECT_EQ(ascend.notice, "using hopper measurements for Ascend 910C");
  const ComputeChoice rubin =
      choose_compute_costs(shipped_.fit, gpu("Rubin", 8e12, 2500e12, 5000e12));
  EXPECT_EQ(rubin.costs.generation, "blackwell");
  EXPECT_EQ(rubin.notice, "using blackwell measurements for Rubin");
}

TEST(ComputeInTheDecodeStep, AttentionEqualsTheFittedFormAtAMeasuredPoint) {
  // EP72 on nine H200 servers at batch 64, KV 4096: a covered point of aic.mla_decode.h200
  // (module, BF16 KV: 225.8 us measured). With nothing added per layer the step's attention kernel
  // is exactly the fitted form's value for that point, which is within its in-sample error (here
  // +3.2 %) of the measurement.
  const std::vector<scenario::ScenarioOverride> overrides{{"decode.layer_overhead", "0 us"}};
  const scenario::Scenario s =
      scenario::load_scenario(kConfigs + "/scenarios/ep72-h200-9x.yaml", overrides);
  ASSERT_TRUE(s.compute.has_value());
  EXPECT_EQ(s.compute->generation, "hopper");
  EXPECT_TRUE(s.compute->notice.empty());
  const scenario::RunResult result = scenario::simulate(s);
  const ComputeData data = load_compute_data(kConfigs + "/validation/gpu-generations.yaml",
                                             default_compute_files(kConfigs));
  const ComputePoint* point = nullptr;
  for (const ComputePoint& p : data.points)
    if (p.operation == ComputeOperation::AttentionModule && data.gpus[p.gpu].key == "H200" &&
        p.label == "batch 64, KV 4096, BF16 KV")
      point = &p;
  ASSERT_NE(point, nullptr);
  EXPECT_NEAR(point->measured_seconds, 225.8e-6, 1e-12);
  const double form = predict_seconds(*point, data, s.decode.compute_costs);
  EXPECT_NEAR(result.metrics.attention.p50_us, form * 1e6, 1e-6);
  EXPECT_NEAR(result.metrics.attention.p50_us / 225.8, 1.0, 0.05);
}

}  // namespace
}  // namespace moesim::calibration
