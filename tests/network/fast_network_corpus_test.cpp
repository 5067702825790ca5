// A slice of the fast network's corpus (tests/network/fast_network_corpus.h; the whole table is
// bench/fast_network_corpus and docs/fast-network.md): small decode steps on NVL72, CloudMatrix384
// and nine HGX servers, exact max-min against the fast network, within the bounds (TPOT 2 %,
// per-GPU dispatch and combine p50 5 % and p99 10 %); and the same step twice gives the same
// answer. The slice's cases are ones where two exact implementations (the flow model and the fast
// one re-solving at every instant) agree to 0.01 % (docs/fast-network.md, "Exact against exact"),
// so the bounds test the model, not which of two simultaneous ends rounding puts first.
#include "tests/network/fast_network_corpus.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace moesim::fast_corpus {
namespace {

TEST(FastNetworkCorpus, SliceWithinTheBounds) {
  const std::vector<std::string> slice = {"nvl72 ep8 b64",   "nvl72 ep16 uniform",
                                          "nvl72 ep32 zipf", "cm384 ep32 b256 uniform",
                                          "hgx-9 ep72 b1",   "hgx-9 ep72 calibrated dedup"};
  std::size_t ran = 0;
  for (const Case& c : corpus()) {
    if (std::find(slice.begin(), slice.end(), c.name) == slice.end()) continue;
    ++ran;
    const scenario::Scenario s = load_case(c, c.layers);
    double exact_seconds = 0, fast_seconds = 0;
    const Metrics exact = simulate(s, workloads::NetworkKind::Flow, exact_seconds);
    const Metrics fast = simulate(s, workloads::NetworkKind::Fast, fast_seconds);
    const Errors errors = compare(exact, fast);
    for (int m = 0; m < kMetrics; ++m)
      EXPECT_LE(std::abs(errors.percent[m]), workloads::kExactChecks[m].bound_percent)
          << c.name << " " << workloads::kExactChecks[m].label << ": exact " << exact.value[m]
          << " fast " << fast.value[m];
  }
  EXPECT_EQ(ran, slice.size());
}

TEST(FastNetworkCorpus, SameScenarioSameStep) {
  const scenario::Scenario s =
      load_case({"hgx-9 ep72 b8", "ep72-h200-9x.yaml", {"batch_per_gpu=8"}}, 2);
  workloads::DecodeConfig config = s.decode;
  config.network = workloads::NetworkKind::Fast;
  const auto first = workloads::simulate_decode(s.model, s.gpu, *s.fabric, config);
  const auto second = workloads::simulate_decode(s.model, s.gpu, *s.fabric, config);
  EXPECT_EQ(first.step_time_us, second.step_time_us);
  EXPECT_EQ(first.simulated_events, second.simulated_events);
  EXPECT_EQ(first.dispatch_per_gpu.p99_us, second.dispatch_per_gpu.p99_us);
  EXPECT_EQ(first.combine_per_gpu.mean_us, second.combine_per_gpu.mean_us);
  EXPECT_EQ(first.tiers[1].bytes, second.tiers[1].bytes);
  EXPECT_EQ(first.busiest_links.front().bytes, second.busiest_links.front().bytes);
}

}  // namespace
}  // namespace moesim::fast_corpus
