// EP layout, gating and all-to-all traffic against closed forms.
#include "workloads/gating.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <stdexcept>

#include "workloads/compute.h"

namespace moesim::workloads {
namespace {

std::vector<double> uniform(std::uint32_t experts) {
  return std::vector<double>(experts, 1.0 / experts);
}

TEST(TokenBytes, DeepSeekV3DispatchAndCombine) {
  EXPECT_DOUBLE_EQ(token_bytes(7168, 1.0, true), 7392.0);      // 7168 + 56 x 4
  EXPECT_DOUBLE_EQ(token_bytes(7168, 2.0, false), 14336.0);    // BF16 combine
  EXPECT_DOUBLE_EQ(token_bytes(100, 1.0, true), 100.0 + 4.0);  // a partial block still has a scale
}

TEST(ExpertLayout, NonDivisibleExpertsFillFreeSlotsWithReplicas) {
  // DeepSeek-V3 at EP144: ceil(256 / 144) = 2 slots per GPU, 288 slots, 32 replicas.
  const ExpertLayout layout(144, uniform(256), 0);
  EXPECT_EQ(layout.slots_per_gpu(), 2u);
  std::size_t copies = 0;
  for (std::uint32_t e = 0; e < 256; ++e) {
    EXPECT_GE(layout.replicas(e).size(), 1u);
    EXPECT_LE(layout.replicas(e).size(), 2u);
    copies += layout.replicas(e).size();
  }
  EXPECT_EQ(copies, 288u);
  for (std::uint32_t g = 0; g < 144; ++g) EXPECT_EQ(layout.experts_on(g).size(), 2u);
  // Primaries are contiguous: GPU g holds [floor(256 g / 144), floor(256 (g + 1) / 144)) first.
  EXPECT_EQ(layout.experts_on(0)[0], 0u);
  EXPECT_EQ(layout.experts_on(143)[0], 254u);
}

TEST(ExpertLayout, OneExpertPerGpuWithoutRedundancy) {
  const ExpertLayout layout(2, uniform(2), 0);
  EXPECT_EQ(layout.slots_per_gpu(), 1u);
  EXPECT_EQ(layout.replicas(0), std::vector<std::uint32_t>{0});
  EXPECT_EQ(layout.replicas(1), std::vector<std::uint32_t>{1});
}

// 2 GPUs, 2 experts (one each), top-2, 1 token per GPU: each token copy goes to both GPUs, so each
// GPU pair carries exactly 1 pair and every expert receives 2 tokens.
TEST(RouteLayer, TwoGpusTwoExpertsOneTokenByHand) {
  const ExpertLayout layout(2, uniform(2), 0);
  const Gate gate(uniform(2), 2, 1, 1);
  const LayerTraffic t = gate_layer(layout, gate, {1, 1}, {0, 0}, 1, 7);
  EXPECT_EQ(t.pairs, (std::vector<std::uint32_t>{1, 1, 1, 1}));
  EXPECT_EQ(t.distinct_tokens, (std::vector<std::uint32_t>{1, 1, 1, 1}));
  EXPECT_EQ(t.tokens_per_expert_slot[0], std::vector<std::uint32_t>{2});
  EXPECT_EQ(t.tokens_per_expert_slot[1], std::vector<std::uint32_t>{2});
  EXPECT_EQ(t.distinct_tokens_to_domain, std::vector<std::uint32_t>({1, 1}));
}

// Uniform top-k over E experts, E / N per GPU: a token sends k / N copies to each GPU on average
// (direct mode bytes = that x 7392), and reaches a given GPU with probability
// 1 - C(E - E/N, k) / C(E, k). Mean over 20 seeds and 64 pairs vs the closed form: the standard
// error is ~0.3 % of the mean (variance per pair 64 x k p (1 - p) (E - k) / (E - 1) = 49.8), so 1
// %.
TEST(RouteLayer, UniformRoutingMatchesClosedFormBytesPerPair) {
  constexpr std::uint32_t n = 8, experts = 64, k = 8, tokens = 64;
  const ExpertLayout layout(n, uniform(experts), 0);
  const Gate gate(uniform(experts), k, 1, 1);
  double pairs_sum = 0, distinct_sum = 0, samples = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const LayerTraffic t = gate_layer(layout, gate, std::vector<std::uint32_t>(n, tokens),
                                      std::vector<std::uint32_t>(n, 0), 1, seed);
    for (std::uint32_t i = 0; i < n * n; ++i) {
      pairs_sum += t.pairs[i];
      distinct_sum += t.distinct_tokens[i];
      samples += 1;
    }
  }
  const double expected_pairs = tokens * static_cast<double>(k) / n;  // 64
  double miss = 1;                                                    // C(56, 8) / C(64, 8)
  for (std::uint32_t i = 0; i < k; ++i)
    miss *= static_cast<double>(experts - experts / n - i) / (experts - i);
  const double expected_distinct = tokens * (1 - miss);
  EXPECT_NEAR(pairs_sum / samples * 7392.0, expected_pairs * 7392.0,
              0.01 * expected_pairs * 7392.0);
  EXPECT_NEAR(distinct_sum / samples, expected_distinct, 0.01 * expected_distinct);
}

// 64 experts in 4 groups of 16 on 32 GPUs (2 per GPU) in 4 domains of 8: group g lives exactly in
// domain g, so at most M = 2 groups per token means at most 2 domains per token.
TEST(Gate, NodeLimitedRoutingNeverExceedsMNodes) {
  constexpr std::uint32_t n = 32, experts = 64, k = 8;
  const ExpertLayout layout(n, uniform(experts), 0);
  auto max_domains = [&](const Gate& gate) {
    sim::RandomStream stream(11);
    std::vector<std::uint32_t> chosen;
    std::size_t worst = 0;
    for (std::uint64_t token = 0; token < 2000; ++token) {
      gate.choose(stream, chosen);
      EXPECT_EQ(std::set<std::uint32_t>(chosen.begin(), chosen.end()).size(), k);
      std::set<std::uint32_t> domains;
      for (std::uint32_t e : chosen) domains.insert(layout.serving_gpu(e, token) / 8);
      worst = std::max(worst, domains.size());
    }
    return worst;
  };
  EXPECT_EQ(max_domains(Gate(uniform(experts), k, 4, 2)), 2u);
  EXPECT_EQ(max_domains(Gate(uniform(experts), k, 4, 1)), 1u);
  EXPECT_GT(max_domains(Gate(uniform(experts), k, 1, 1)),
            2u);  // without the limit tokens spread wider
  EXPECT_THROW(Gate(uniform(experts), 20, 4, 1), std::invalid_argument);  // one group of 16 < 20
}

// Zipf-skewed popularity: redundant copies of hot experts (EPLB) cut the busiest GPU's load.
TEST(ExpertLayout, RedundantExpertsReduceMaxLoadUnderZipf) {
  constexpr std::uint32_t n = 16, experts = 64, k = 6, tokens = 256;
  sim::RandomStream stream(5);
  const std::vector<double> popularity = zipf_popularity(experts, 1.2, stream);
  const Gate gate(popularity, k, 1, 1);
  auto max_received = [&](std::uint32_t redundant) {
    const ExpertLayout layout(n, popularity, redundant);
    const auto expected = layout.expected_gpu_load(popularity);
    const LayerTraffic t = gate_layer(layout, gate, std::vector<std::uint32_t>(n, tokens),
                                      std::vector<std::uint32_t>(n, 0), 1, 3);
    std::uint32_t worst = 0;
    for (std::uint32_t g = 0; g < n; ++g) worst = std::max(worst, t.received_pairs(g));
    return std::make_pair(worst, *std::max_element(expected.begin(), expected.end()));
  };
  const auto [plain, plain_expected] = max_received(0);
  const auto [balanced, balanced_expected] = max_received(2);
  EXPECT_LT(balanced, plain);
  EXPECT_LT(balanced_expected, plain_expected);
  // The total work is unchanged: n x tokens x k pairs.
  const ExpertLayout layout(n, popularity, 2);
  const LayerTraffic t = gate_layer(layout, gate, std::vector<std::uint32_t>(n, tokens),
                                    std::vector<std::uint32_t>(n, 0), 1, 3);
  std::uint64_t total = 0;
  for (std::uint32_t g = 0; g < n; ++g) total += t.received_pairs(g);
  EXPECT_EQ(total, std::uint64_t{n} * tokens * k);
}

TEST(Zipf, PopularityIsNormalisedWithRankRatio) {
  sim::RandomStream stream(1);
  const auto p = zipf_popularity(10, 1.0, stream);
  EXPECT_NEAR(std::accumulate(p.begin(), p.end(), 0.0), 1.0, 1e-12);
  // ranks 1 .. 10 with exponent 1: max / min = 10
  EXPECT_NEAR(*std::max_element(p.begin(), p.end()) / *std::min_element(p.begin(), p.end()), 10.0,
              1e-9);
}

TEST(RouteLayer, DeterministicBySeed) {
  const ExpertLayout layout(8, uniform(32), 0);
  const Gate gate(uniform(32), 4, 4, 2);
  const std::vector<std::uint32_t> tokens(8, 16), domains{0, 0, 0, 0, 1, 1, 1, 1};
  EXPECT_EQ(gate_layer(layout, gate, tokens, domains, 2, 9).pairs,
            gate_layer(layout, gate, tokens, domains, 2, 9).pairs);
  EXPECT_NE(gate_layer(layout, gate, tokens, domains, 2, 9).pairs,
            gate_layer(layout, gate, tokens, domains, 2, 10).pairs);
}

}  // namespace
}  // namespace moesim::workloads
