// The two max-min solvers behind FlowNetwork: rates and finishes worked out by hand (a flow's
// bottleneck moves to another link and back), then the bottleneck-group solver against the
// restart-level reference on random traffic that exercises both its paths (rebuild by progressive
// filling when many flows start at once, repair when a few change).
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "network/bottleneck_solver.h"
#include "network/max_min.h"
#include "network/network.h"
#include "tests/network/tapered_fabric.h"
#include "topology/builders.h"

namespace moesim::network {
namespace {

using topology::FabricBuilder;
using topology::load_fabric;
using topology::load_fabric_file;
using topology::VertexKind;

using sim::Picoseconds;

// GPU g joins one hub by a duplex link of capacities[g] bytes/s (no latency, no overhead).
Fabric star_with_capacities(const std::vector<double>& capacities) {
  FabricBuilder builder("uneven-star");
  for (std::size_t g = 0; g < capacities.size(); ++g) builder.add_gpu("gpu" + std::to_string(g), 0);
  const VertexId hub = builder.add_vertex(VertexKind::ScaleUpSwitch, "hub");
  for (std::size_t g = 0; g < capacities.size(); ++g)
    builder.add_duplex_link(static_cast<VertexId>(g), hub, capacities[g], Picoseconds::zero(),
                            LinkTier::ScaleUp);
  return builder.build();
}

std::unique_ptr<RateSolver> make_solver(FlowSolver kind, const Fabric& fabric) {
  if (kind == FlowSolver::RestartLevel) return std::make_unique<MaxMinSolver>(fabric);
  return std::make_unique<BottleneckSolver>(fabric);
}

class RateSolverTest : public ::testing::TestWithParam<FlowSolver> {};

// Links (GB/s): up0 10, down1 10, up2 12, down3 4. Flows A 0->1, B 2->1, C 2->3.
// t = 0: down3 fills first (C = 4); then down1 at 10/2 (A = B = 5; up2 keeps 12 - 4 - 5 = 3 spare).
// A (5,000 B) ends at 1 us. Then B is limited by up2: 12 - 4 = 8 < 10 (B moves to up2's group).
// C (100,000 B) ends at 25 us. Then B is limited by down1 again: 10 < 12 (B moves back).
// B (1,000,000 B): 5e3 B by 1 us, + 8 GB/s x 24 us = 192e3 B by 25 us, 803e3 B left at 10 GB/s =
// 80.3 us: ends at 105.3 us.
TEST_P(RateSolverTest, BottleneckMovesToAnotherLinkAndBack) {
  const Fabric fabric = star_with_capacities({10e9, 10e9, 12e9, 4e9});
  auto solver = make_solver(GetParam(), fabric);
  std::vector<LinkId> route;
  const std::vector<std::pair<GpuIndex, GpuIndex>> pairs = {{0, 1}, {2, 1}, {2, 3}};
  const std::vector<double> bytes = {5e3, 1e6, 1e5};
  for (FlowIndex flow = 0; flow < 3; ++flow) {
    fabric.route(pairs[flow].first, pairs[flow].second, flow, route);
    solver->set_route(flow, route);
    solver->activate(flow, bytes[flow], 0);
  }
  solver->solve(0);
  EXPECT_DOUBLE_EQ(solver->rate(0), 5e9);
  EXPECT_DOUBLE_EQ(solver->rate(1), 5e9);
  EXPECT_DOUBLE_EQ(solver->rate(2), 4e9);

  std::vector<FlowIndex> finished;
  ASSERT_EQ(solver->next_finish_ps(), 1'000'000);
  solver->take_finished(1'000'000, finished);
  ASSERT_EQ(finished, std::vector<FlowIndex>{0});
  solver->solve(1'000'000);
  EXPECT_DOUBLE_EQ(solver->rate(1), 8e9);
  EXPECT_DOUBLE_EQ(solver->rate(2), 4e9);

  ASSERT_EQ(solver->next_finish_ps(), 25'000'000);
  solver->take_finished(25'000'000, finished);
  ASSERT_EQ(finished, std::vector<FlowIndex>{2});
  solver->solve(25'000'000);
  EXPECT_DOUBLE_EQ(solver->rate(1), 10e9);

  ASSERT_EQ(solver->next_finish_ps(), 105'300'000);
  solver->take_finished(105'300'000, finished);
  ASSERT_EQ(finished, std::vector<FlowIndex>{1});
  solver->solve(105'300'000);
  EXPECT_EQ(solver->active_flows(), 0u);
  EXPECT_EQ(solver->next_finish_ps(), std::numeric_limits<std::int64_t>::max());
}

// A flow joining later takes its share from the flows already there: links up0 10, down1 10,
// up2 10. A 0->1 (from 0), then B 2->1 at 1 us: both get 5 on down1. A (3e4 B): 1e4 B by 1 us,
// 2e4 B left at 5 GB/s = 4 us, ends at 5 us.
TEST_P(RateSolverTest, AFlowJoiningLaterHalvesTheFirstOnesRate) {
  const Fabric fabric = star_with_capacities({10e9, 10e9, 10e9});
  auto solver = make_solver(GetParam(), fabric);
  std::vector<LinkId> route;
  fabric.route(0, 1, 0, route);
  solver->set_route(0, route);
  fabric.route(2, 1, 1, route);
  solver->set_route(1, route);
  solver->activate(0, 3e4, 0);
  solver->solve(0);
  EXPECT_DOUBLE_EQ(solver->rate(0), 10e9);
  solver->activate(1, 1e6, 1'000'000);
  solver->solve(1'000'000);
  EXPECT_DOUBLE_EQ(solver->rate(0), 5e9);
  EXPECT_DOUBLE_EQ(solver->rate(1), 5e9);
  EXPECT_EQ(solver->next_finish_ps(), 5'000'000);
}

INSTANTIATE_TEST_SUITE_P(BothSolvers, RateSolverTest,
                         ::testing::Values(FlowSolver::BottleneckGroups, FlowSolver::RestartLevel),
                         [](const auto& info) {
                           return info.param == FlowSolver::RestartLevel ? "RestartLevel"
                                                                         : "BottleneckGroups";
                         });

struct Recorder final : MessageSink {
  std::map<std::uint64_t, std::int64_t> delivered_ps;
  void on_delivered(std::uint64_t tag, Picoseconds at) override { delivered_ps[tag] = at.count(); }
};

std::map<std::uint64_t, std::int64_t> deliveries(const Fabric& fabric,
                                                 const std::vector<Message>& messages,
                                                 FlowSolver solver) {
  sim::Engine engine;
  Recorder recorder;
  FlowNetwork network(engine, fabric, recorder, solver);
  for (const Message& message : messages) network.submit(message);
  engine.run();
  return recorder.delivered_ps;
}

// The two solvers compute the same max-min allocation; they round each transfer's end from the
// bytes left at their own rate changes, so they may differ by a picosecond per change a message
// lived through.
void expect_same_deliveries(const Fabric& fabric, const std::vector<Message>& messages,
                            const std::string& label) {
  const auto groups = deliveries(fabric, messages, FlowSolver::BottleneckGroups);
  const auto reference = deliveries(fabric, messages, FlowSolver::RestartLevel);
  ASSERT_EQ(groups.size(), messages.size());
  ASSERT_EQ(reference.size(), messages.size());
  for (const auto& [tag, expected_ps] : reference) {
    const double expected = static_cast<double>(expected_ps);
    ASSERT_NEAR(static_cast<double>(groups.at(tag)), expected, 1e-9 * expected + 50)
        << label << " message " << tag;
  }
}

// Random traffic for fabrics with bottlenecks in every tier (uneven star, tapered fat tree with
// oversubscribed spines): messages start in waves (many at one instant: rebuild) and one by one
// (repair), sizes and releases random.
std::vector<Message> random_traffic(const Fabric& fabric, std::uint64_t seed,
                                    std::size_t messages_count, std::int64_t release_spread_ps) {
  std::mt19937_64 random(seed);
  const auto gpus = static_cast<GpuIndex>(fabric.gpu_count());
  std::uniform_int_distribution<GpuIndex> gpu(0, gpus - 1);
  std::uniform_int_distribution<std::uint64_t> bytes(1, 400'000);
  std::uniform_int_distribution<std::int64_t> release(0, release_spread_ps);
  std::bernoulli_distribution in_wave(0.5);
  std::vector<Message> messages;
  for (std::uint64_t tag = 0; tag < messages_count; ++tag) {
    const GpuIndex source = gpu(random);
    const GpuIndex destination = (source + 1 + gpu(random) % (gpus - 1)) % gpus;
    const std::int64_t at = in_wave(random) ? 0 : release(random);
    messages.push_back({source, destination, bytes(random), Picoseconds{at}, tag});
  }
  return messages;
}

// The decode step's shape: every GPU sends to every other GPU in one wave at its own time (its
// experts finish at different times), with sizes in whole token copies; waves overlap.
std::vector<Message> staggered_waves(GpuIndex gpus, std::uint64_t seed, std::int64_t spread_ps) {
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<std::int64_t> wave_start(0, spread_ps);
  std::uniform_int_distribution<int> copies(0, 12);
  std::vector<Message> messages;
  for (GpuIndex source = 0; source < gpus; ++source) {
    const Picoseconds start{wave_start(random)};
    for (GpuIndex destination = 0; destination < gpus; ++destination)
      if (destination != source)
        messages.push_back({source, destination, 7168ULL * copies(random), start,
                            static_cast<std::uint64_t>(messages.size())});
  }
  return messages;
}

TEST(BottleneckSolverVsRestartLevel, StaggeredAllToAllWavesOnNineHgxServers) {
  const Fabric fabric =
      load_fabric_file(std::string(MOESIM_SOURCE_DIR) + "/configs/fabrics/hgx-h200x9.yaml");
  for (std::uint64_t seed = 1; seed <= 3; ++seed)
    expect_same_deliveries(fabric, staggered_waves(72, seed, 20'000'000),
                           "seed " + std::to_string(seed));
}

TEST(BottleneckSolverVsRestartLevel, RandomTrafficOnUnevenStars) {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    std::mt19937_64 random(seed * 977);
    std::uniform_real_distribution<double> capacity(1e9, 20e9);
    std::vector<double> capacities(8);
    for (double& c : capacities) c = capacity(random);
    const Fabric fabric = star_with_capacities(capacities);
    expect_same_deliveries(fabric, random_traffic(fabric, seed, 300, 200'000'000),
                           "seed " + std::to_string(seed));
  }
}

TEST(BottleneckSolverVsRestartLevel, RandomTrafficOnATaperedFatTree) {
  const Fabric fabric =
      load_fabric(input::Mapping::load_string(testing::kTaperedFabric, "tapered.yaml"));
  for (std::uint64_t seed = 21; seed <= 28; ++seed)
    expect_same_deliveries(fabric, random_traffic(fabric, seed, 500, 100'000'000),
                           "seed " + std::to_string(seed));
}

// The radix heap pops by (share, link) like a binary heap would: equal shares by link id, a link
// whose share grew goes back with its new share, links without unfrozen flows are skipped, and a
// negative share (rounding) comes first.
TEST(SaturationHeap, PopsBySharesThenLinksAndReKeysGrownShares) {
  SaturationHeap heap;
  const std::vector<double> shares = {4.0, 2.0, 2.0, -1e-12, 7.5, 3.0, 2.0};
  std::vector<double> residual(shares.begin(), shares.end());
  std::vector<std::uint32_t> unfrozen(shares.size(), 1);
  unfrozen[4] = 0;  // frozen: never popped
  for (LinkId link = 0; link < shares.size(); ++link) heap.add(shares[link], link);
  residual[5] = 5.0;  // link 5 grew from 3 to 5 after it was keyed: it comes after link 0 (4)
  std::vector<std::pair<LinkId, double>> popped;
  LinkId link = 0;
  double share = 0;
  while (heap.pop(residual, unfrozen, link, share)) popped.emplace_back(link, share);
  const std::vector<std::pair<LinkId, double>> expected = {{3, 0.0}, {1, 2.0}, {2, 2.0},
                                                           {6, 2.0}, {0, 4.0}, {5, 5.0}};
  EXPECT_EQ(popped, expected);
  EXPECT_FALSE(heap.pop(residual, unfrozen, link, share));
}

// Against a sorted reference on random shares that stay put, drawn from few distinct values (ties
// broken by link id) or from a wide range.
TEST(SaturationHeap, MatchesASortedReferenceOnRandomShares) {
  std::mt19937_64 random(7);
  for (int round = 0; round < 20; ++round) {
    const std::size_t links = 1 + random() % 300;
    std::vector<double> residual(links);
    std::vector<std::uint32_t> unfrozen(links, 1);
    std::uniform_int_distribution<int> few(0, 9);
    std::uniform_real_distribution<double> wide(0, 1e12);
    for (double& r : residual) r = round % 2 == 0 ? few(random) * 0.25 : wide(random);
    SaturationHeap heap;
    heap.clear();
    for (LinkId l = 0; l < links; ++l) heap.add(residual[l], l);
    std::vector<std::pair<double, LinkId>> reference;
    for (LinkId l = 0; l < links; ++l) reference.emplace_back(residual[l], l);
    std::sort(reference.begin(), reference.end());
    LinkId link = 0;
    double share = 0;
    for (const auto& [expected_share, expected_link] : reference) {
      ASSERT_TRUE(heap.pop(residual, unfrozen, link, share));
      EXPECT_EQ(link, expected_link);
      EXPECT_EQ(share, expected_share);
    }
    EXPECT_FALSE(heap.pop(residual, unfrozen, link, share));
  }
}

// A progressive filling on random links: each pop must be the link with the smallest current
// share (residual / unfrozen; the smaller id among equal shares), as shares grow between pops by
// very different amounts (freezes elsewhere take the current level from each link they cross).
TEST(SaturationHeap, PopsTheSmallestCurrentShareWhileSharesGrow) {
  std::mt19937_64 random(11);
  for (int round = 0; round < 50; ++round) {
    const std::size_t links = 2 + random() % 200;
    std::vector<double> residual(links);
    std::vector<std::uint32_t> unfrozen(links);
    std::uniform_real_distribution<double> capacity(1e9, 1e11);
    for (std::size_t l = 0; l < links; ++l) {
      residual[l] = capacity(random);
      unfrozen[l] = 1 + random() % 40;
    }
    SaturationHeap heap;
    heap.clear();
    for (LinkId l = 0; l < links; ++l) heap.add(residual[l] / unfrozen[l], l);
    double level = 0;
    for (;;) {
      // The reference: a scan of every link with unfrozen flows.
      LinkId expected = 0;
      double smallest = std::numeric_limits<double>::infinity();
      for (LinkId l = 0; l < links; ++l) {
        if (unfrozen[l] == 0) continue;
        const double current = std::max(0.0, residual[l]) / unfrozen[l];
        if (current < smallest) {
          smallest = current;
          expected = l;
        }
      }
      LinkId link = 0;
      double share = 0;
      const bool popped = heap.pop(residual, unfrozen, link, share);
      if (smallest == std::numeric_limits<double>::infinity()) {
        EXPECT_FALSE(popped);
        break;
      }
      ASSERT_TRUE(popped);
      ASSERT_EQ(link, expected) << "round " << round;
      level = std::max(level, share);
      // The saturating link's flows freeze at `level`, each crossing a few random other links.
      for (std::uint32_t flow = 0; flow < unfrozen[link]; ++flow)
        for (int hop = 0; hop < 3; ++hop) {
          const LinkId other = static_cast<LinkId>(random() % links);
          if (other == link || unfrozen[other] == 0) continue;
          residual[other] -= level;
          --unfrozen[other];
        }
      unfrozen[link] = 0;
    }
  }
}

}  // namespace
}  // namespace moesim::network
