// The claim's arithmetic from configs/scenarios/claim-260x.yaml, checked against hand-computed
// values.
#include "cli/claim/claim.h"

#include <gtest/gtest.h>

#include "input/mapping.h"

namespace moesim::cli {
namespace {

ClaimInputs inputs() {
  return load_claim_inputs(input::Mapping::load_file(std::string(MOESIM_SOURCE_DIR) +
                                                     "/configs/scenarios/claim-260x.yaml"));
}

TEST(ClaimArithmetic, TotalBytesAreTheArticlesProduct) {
  // 72 x 64 = 4,608; x 9 = 41,472; x 7,168 = 297,271,296; x 3 = 891,813,888 (exact in a double).
  EXPECT_EQ(reproduce_claim(inputs()).total_bytes, 891'813'888.0);
}

TEST(ClaimArithmetic, Nvl72TimeIsBytesOverAggregate) {
  // 891,813,888 B / 130e12 B/s = 6.860107e-6 s: the article's "about 6.9 us".
  const ClaimArithmetic r = reproduce_claim(inputs());
  EXPECT_NEAR(r.nvl72_seconds * 1e6, 6.860107, 1e-6);
}

TEST(ClaimArithmetic, H200TimeIsBytesOverOneServersShare) {
  // 4.5 TB/s / 9 = 500 GB/s; 891,813,888 / 500e9 = 1,783.627776 us (article: 1,791 us).
  const ClaimArithmetic r = reproduce_claim(inputs());
  EXPECT_NEAR(r.h200_seconds * 1e6, 1783.627776, 1e-6);
  // The ratio is exactly servers x 130 / 4.5 = 260.
  EXPECT_NEAR(r.ratio, 260.0, 1e-9);
  EXPECT_NEAR(r.bandwidth_ratio, 28.888889, 1e-6);
}

TEST(ClaimArithmetic, TheBandwidthThatGives1791us) {
  // 891,813,888 B / 1,791e-6 s = 497.9418e9 B/s per server; x 9 = 4.481476e12 B/s aggregate.
  const ClaimArithmetic r = reproduce_claim(inputs());
  EXPECT_NEAR(r.per_server_bytes_per_second_for_stated_h200 / 1e9, 497.941869, 1e-5);
  EXPECT_NEAR(r.aggregate_bytes_per_second_for_stated_h200 / 1e12, 4.481477, 1e-5);
  // 130 TB/s / 29 / 9 = 498.084 GB/s: 891,813,888 x 261 / 130e12 = 1,790.487883 us.
  EXPECT_NEAR(r.h200_seconds_with_stated_bandwidth_ratio * 1e6, 1790.487883, 1e-5);
}

TEST(ClaimArithmetic, DeepSeekIsca25Figures) {
  // 3 x 32 x 9 x 7000 = 6,048,000 B; / 50e9 = 120.96 us; / 900e9 = 6.72 us; ratio 18.
  const ClaimArithmetic r = reproduce_claim(inputs());
  EXPECT_EQ(r.deepseek_bytes, 6'048'000.0);
  EXPECT_NEAR(r.deepseek_infiniband_seconds * 1e6, 120.96, 1e-9);
  EXPECT_NEAR(r.deepseek_nvlink_seconds * 1e6, 6.72, 1e-9);
  EXPECT_NEAR(r.deepseek_ratio, 18.0, 1e-12);
}

TEST(ClaimArithmetic, PerGpuPerDirection) {
  // 64 x 8 x 7168 x 3 = 11,010,048 B per GPU. NVL72: x 71/72 / 900e9 = 12.0635 us.
  // H200: x 64/72 / 50e9 = 195.7342 us. Ratio = 18 x (64/72) / (71/72) = 18 x 64/71 = 16.2254.
  const ClaimArithmetic r = reproduce_claim(inputs());
  EXPECT_EQ(r.per_gpu_routed_bytes, 11'010'048.0);
  EXPECT_NEAR(r.nvl72_per_gpu_seconds * 1e6, 12.063479, 1e-5);
  EXPECT_NEAR(r.h200_per_gpu_seconds * 1e6, 195.734187, 1e-5);
  EXPECT_NEAR(r.per_gpu_ratio, 18.0 * 64 / 71, 1e-9);
}

TEST(ClaimArithmetic, AccountingFactorsMultiplyToTheGap) {
  // 130 TB/s / (72 x 900 GB/s) = 130 / 64.8 = 2.006173; 72 x 50 GB/s / 4.5 TB/s = 3.6 / 4.5 = 0.8;
  // (71/72) / (64/72) = 71/64 = 1.109375. 9 x 2.006173 x 0.8 x 1.109375 = 16.02431 = 260 / 16.2254.
  const ClaimArithmetic r = reproduce_claim(inputs());
  EXPECT_NEAR(r.bidirectional_factor, 130.0 / 64.8, 1e-12);
  EXPECT_NEAR(r.infiniband_aggregate_factor, 0.8, 1e-12);
  EXPECT_NEAR(r.same_server_factor, 71.0 / 64, 1e-12);
  EXPECT_NEAR(9 * r.bidirectional_factor * r.infiniband_aggregate_factor * r.same_server_factor,
              r.ratio / r.per_gpu_ratio, 1e-9);
  EXPECT_NEAR(r.ratio / r.per_gpu_ratio, 16.02431, 1e-5);
}

TEST(ClaimInputs, StatedFiguresAreCopiedAsPublished) {
  const ClaimInputs in = inputs();
  EXPECT_DOUBLE_EQ(in.article.stated_nvl72_layer_seconds, 6.9e-6);
  EXPECT_DOUBLE_EQ(in.article.stated_h200_layer_seconds, 1791e-6);
  EXPECT_EQ(in.article.stated_ratio, 260);
  EXPECT_DOUBLE_EQ(in.deepseek.stated_infiniband_seconds, 120.96e-6);
}

}  // namespace
}  // namespace moesim::cli
