// FastNetwork (network/fast_network.h, docs/fast-network.md) against completion times worked out
// by hand (one flow, two flows on a link, incast, a uniform all-to-all whose load bound is exact),
// against exact max-min with epochs at every instant, and determinism.
#include "network/fast_network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "network/flow_network.h"
#include "tests/network/network_testing.h"
#include "tests/network/tapered_fabric.h"
#include "topology/builders.h"

namespace moesim::network {
namespace {

using sim::Picoseconds;
using topology::load_fabric;
using topology::load_fabric_file;

using testing::fabric_path;
using testing::record;
using testing::Recorder;
using testing::star;
using testing::uniform_all_to_all;

std::map<std::uint64_t, std::int64_t> fast(const Fabric& fabric,
                                           const std::vector<Message>& messages,
                                           FastNetworkOptions options = {}) {
  return testing::run<FastNetwork>(fabric, messages, options);
}

TEST(FastNetwork, OneFlowTakesOverheadPlusLatencyPlusBytesOverBandwidth) {
  const Fabric fabric = load_fabric_file(fabric_path("tiny-2x2.yaml"));
  // As FlowNetwork: same server 2 us + 2 x 1 us + 1 MB / 100 GB/s = 14 us; same rail 3 us + 4 x
  // 1 us + 1 MB / 10 GB/s (the NIC) = 107 us after 1.005 ms; other rail 4 us + 6 x 1 us + 100 us
  // after 3 ms.
  const auto delivered =
      fast(fabric, {{0, 1, 1'000'000, Picoseconds{0}, 1},
                    {0, 2, 1'000'000, sim::microseconds(5) + sim::milliseconds(1), 2},
                    {0, 3, 1'000'000, sim::milliseconds(3), 3}});
  EXPECT_EQ(delivered.at(1), 14'000'000);
  EXPECT_EQ(delivered.at(2), 1'112'000'000);
  EXPECT_EQ(delivered.at(3), 3'110'000'000);
}

TEST(FastNetwork, ZeroByteAndSelfMessages) {
  const Fabric fabric = load_fabric_file(fabric_path("tiny-2x2.yaml"));
  const auto delivered =
      fast(fabric, {{0, 2, 0, sim::microseconds(1), 7}, {1, 1, 5'000, sim::microseconds(2), 8}});
  EXPECT_EQ(delivered.at(7), sim::microseconds(1 + 3 + 4).count());  // overhead + 4 x 1 us
  EXPECT_EQ(delivered.at(8), sim::microseconds(2).count());          // to itself: at release
}

TEST(FastNetwork, TwoFlowsOnALinkShareItAndTheFirstToEndReleasesItsBandwidth) {
  // Both 0 -> 2 over the 10 GB/s NIC path, transferring from 3 + 4 = 7 us at 5 GB/s each: the 1 MB
  // flow ends at 7 + 200 = 207 us; the 2 MB one has 1 MB left, alone at 10 GB/s: 307 us. A
  // group's own level is always exact, so no epoch is needed, whatever their spacing.
  const Fabric fabric = load_fabric_file(fabric_path("tiny-2x2.yaml"));
  for (double epoch_fraction : {0.0, 0.2, 1e9}) {
    const auto delivered =
        fast(fabric, {{0, 2, 1'000'000, Picoseconds{0}, 1}, {0, 2, 2'000'000, Picoseconds{0}, 2}},
             FastNetworkOptions{epoch_fraction});
    EXPECT_EQ(delivered.at(1), 207'000'000) << epoch_fraction;
    EXPECT_EQ(delivered.at(2), 307'000'000) << epoch_fraction;
  }
}

TEST(FastNetwork, IncastSharesTheDownlinkEqually) {
  // 7 -> 1 on an 8-GPU star at 50 GB/s, 1 us per link, 2 us overhead; sizes 1..7 MB. With n flows
  // left each moves at 50/n GB/s: flow k ends at 4 us + sum_{j<=k} 1 MB x (8 - j) / 50 GB/s.
  const Fabric fabric = star(8, 50e9, sim::microseconds(1), sim::microseconds(2));
  std::vector<Message> messages;
  for (std::uint32_t k = 1; k <= 7; ++k)
    messages.push_back(Message{k, 0, k * 1'000'000ULL, Picoseconds{0}, k});
  const auto delivered = fast(fabric, messages, FastNetworkOptions{1e9});  // no epoch needed
  double seconds = 4e-6;
  for (std::uint32_t k = 1; k <= 7; ++k) {
    seconds += 1e6 * (8 - k) / 50e9;
    EXPECT_NEAR(static_cast<double>(delivered.at(k)), seconds * 1e12, 2.0) << "flow " << k;
  }
}

TEST(FastNetwork, AFlowHeldElsewhereLeavesItsShareToTheOthers) {
  // 3 -> 0 is held to 2 GB/s by its own 2 GB/s link; 1 -> 0 and 2 -> 0 share the other 8 GB/s of
  // GPU 0's downlink (max-min, not 10/3 each). 4 MB each: 1 ms, 1 ms, 2 ms.
  const Fabric fabric = testing::uneven_star();
  const auto delivered = fast(fabric, {{1, 0, 4'000'000, Picoseconds{0}, 1},
                                       {2, 0, 4'000'000, Picoseconds{0}, 2},
                                       {3, 0, 4'000'000, Picoseconds{0}, 3}});
  EXPECT_EQ(delivered.at(1), 1'000'000'000);
  EXPECT_EQ(delivered.at(2), 1'000'000'000);
  EXPECT_EQ(delivered.at(3), 2'000'000'000);
}

TEST(FastNetwork, AStarvedStartCallsAnEpochAtOnce) {
  // GPUs 1-3 send 4 MB each to GPU 0 from t = 0 over 15 GB/s uplinks: 15 GB/s each, held by their
  // uplinks, and GPU 0's 50 GB/s downlink has 5 GB/s left. GPU 4 (50 GB/s) starts 5 MB to GPU 0
  // at 100 us: placed with the others held, it gets those 5 GB/s, under half its equal share of
  // the downlink (50 / 4 = 12.5 GB/s), so an epoch follows at once and max-min gives all four
  // 12.5 GB/s. The first three have 2.5 MB left: they end at 100 + 200 = 300 us; GPU 4's flow then
  // has 2.5 MB left, alone at 50 GB/s: 350 us. (Without the epoch the three would end at
  // 100 + 2.5 MB / 15 GB/s = 266.67 us.)
  topology::FabricBuilder builder("starved");
  for (std::uint32_t g = 0; g < 5; ++g) builder.add_gpu("gpu" + std::to_string(g), 0);
  const VertexId hub = builder.add_vertex(topology::VertexKind::ScaleUpSwitch, "hub");
  for (std::uint32_t g = 0; g < 5; ++g)
    builder.add_duplex_link(g, hub, g == 0 || g == 4 ? 50e9 : 15e9, Picoseconds::zero(),
                            LinkTier::ScaleUp);
  const Fabric fabric = builder.build();
  std::vector<Message> messages;
  for (std::uint32_t k = 1; k <= 3; ++k) messages.push_back({k, 0, 4'000'000, Picoseconds{0}, k});
  messages.push_back({4, 0, 5'000'000, sim::microseconds(100), 4});
  sim::Engine engine;
  Recorder recorder;
  FastNetwork network(engine, fabric, recorder);  // default fraction: an epoch after 16 changes
  for (const Message& message : messages) network.submit(message);
  engine.run();
  for (std::uint64_t k = 1; k <= 3; ++k) EXPECT_EQ(recorder.delivered_ps.at(k), 300'000'000);
  EXPECT_EQ(recorder.delivered_ps.at(4), 350'000'000);
  EXPECT_EQ(network.stats().starved_starts, 1u);
  EXPECT_EQ(network.stats().epochs, 1u);
  EXPECT_EQ(testing::run<FlowNetwork>(fabric, messages), recorder.delivered_ps);  // exact max-min
}

TEST(FastNetwork, UniformAllToAllOnNvl72EndsAtTheLoadBound) {
  testing::expect_nvl72_all_to_all_at_its_closed_form<FastNetwork>([](FastNetwork& network) {
    // One instant for the starts, one for the ends: every delivery of an instant in one event.
    EXPECT_EQ(network.stats().engine_events, 2u);
    EXPECT_EQ(network.in_flight(), 0u);
  });
}

std::vector<Message> random_messages(std::uint64_t seed, std::size_t count, GpuIndex gpus = 12) {
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<GpuIndex> gpu(0, gpus - 1);
  std::uniform_int_distribution<std::uint64_t> bytes(1, 2'000'000);
  std::uniform_int_distribution<std::int64_t> release_ps(0, 60'000'000);
  std::vector<Message> messages;
  for (std::uint64_t tag = 0; tag < count; ++tag) {
    const GpuIndex s = gpu(random);
    GpuIndex d = gpu(random);
    if (d == s) d = (d + 1) % gpus;
    messages.push_back({s, d, bytes(random), Picoseconds{release_ps(random)}, tag});
  }
  return messages;
}

Fabric tapered() {
  return load_fabric(input::Mapping::load_string(testing::kTaperedFabric, "tapered.yaml"));
}

TEST(FastNetwork, AnEpochAtEveryInstantIsExactMaxMin) {
  // epoch_fraction 0 re-solves max-min from scratch at every instant: the flow model's answer, up
  // to the picosecond rounding of each transfer end (as FlowNetwork's solvers among themselves).
  const Fabric fabric = tapered();
  const std::vector<Message> messages = random_messages(7, 400);
  const auto exact = testing::run<FlowNetwork>(fabric, messages);
  const auto approx = fast(fabric, messages, FastNetworkOptions{0});
  for (const auto& [tag, at] : exact) {
    const auto expected = static_cast<double>(at);
    ASSERT_NEAR(static_cast<double>(approx.at(tag)), expected, 1e-9 * expected + 50) << tag;
  }
}

// Seven switches in a row, GPU g on switch g (g < 7) and GPU 7 on the last switch too, links of
// uneven capacities: GPU 0 to GPU 7 crosses eight constraint links (no switch has only two
// neighbours, so none merge), more than a flow record holds inline.
Fabric switch_chain() {
  topology::FabricBuilder builder("chain");
  for (std::uint32_t g = 0; g < 8; ++g) builder.add_gpu("gpu" + std::to_string(g), 0);
  std::vector<VertexId> switches;
  for (int i = 0; i < 7; ++i)
    switches.push_back(
        builder.add_vertex(topology::VertexKind::ScaleUpSwitch, "sw" + std::to_string(i)));
  for (std::uint32_t g = 0; g < 8; ++g)
    builder.add_duplex_link(g, switches[std::min(g, 6u)], 10e9 + 1e9 * g, Picoseconds::zero(),
                            LinkTier::ScaleUp);
  for (int i = 0; i + 1 < 7; ++i)
    builder.add_duplex_link(switches[i], switches[i + 1], 6e9 + 2e9 * (i % 3), Picoseconds::zero(),
                            LinkTier::ScaleUp);
  return builder.build();
}

TEST(FastNetwork, LongRoutesAreExactMaxMinWithAnEpochAtEveryInstant) {
  const Fabric fabric = switch_chain();
  std::vector<LinkId> route;
  fabric.route(0, 7, 0, route);
  ASSERT_EQ(route.size(), 8u);
  const std::vector<Message> messages = random_messages(11, 300, 8);
  const auto exact = testing::run<FlowNetwork>(fabric, messages);
  const auto approx = fast(fabric, messages, FastNetworkOptions{0});
  ASSERT_EQ(approx.size(), exact.size());
  for (const auto& [tag, at] : exact) {
    const auto expected = static_cast<double>(at);
    ASSERT_NEAR(static_cast<double>(approx.at(tag)), expected, 1e-9 * expected + 50) << tag;
  }
}

TEST(FastNetwork, CloseToExactMaxMinOnRandomTraffic) {
  // With the default epochs, rates are re-solved only now and then; on random traffic over a
  // tapered fat tree the last delivery and the mean message stay within a few percent.
  const Fabric fabric = tapered();
  const std::vector<Message> messages = random_messages(7, 400);
  const auto exact = testing::run<FlowNetwork>(fabric, messages);
  const auto approx = fast(fabric, messages);
  auto last = [](const std::map<std::uint64_t, std::int64_t>& at) {
    std::int64_t end = 0;
    for (const auto& [tag, when] : at) end = std::max(end, when);
    return static_cast<double>(end);
  };
  EXPECT_NEAR(last(approx) / last(exact), 1.0, 0.03);
  double mean_error = 0;
  for (const Message& m : messages) {
    const auto transfer = [&](std::int64_t at) {
      return static_cast<double>(at - m.release.count());
    };
    mean_error += std::abs(transfer(approx.at(m.tag)) / transfer(exact.at(m.tag)) - 1);
  }
  EXPECT_LT(mean_error / static_cast<double>(messages.size()), 0.03);
}

TEST(FastNetwork, SameMessagesSameDeliveries) {
  const Fabric fabric = tapered();
  const std::vector<Message> messages = random_messages(11, 300);
  const Recorder first = record<FastNetwork>(fabric, messages, FastNetworkOptions{});
  const Recorder second = record<FastNetwork>(fabric, messages, FastNetworkOptions{});
  EXPECT_EQ(first.order, second.order);  // same times, same order of callbacks
}

TEST(FastNetwork, MessagesSubmittedFromCallbacksWork) {
  testing::expect_messages_from_callbacks_back_to_back<FastNetwork>([](FastNetwork& network) {
    EXPECT_EQ(network.in_flight(), 0u);
    EXPECT_EQ(network.link_bytes(0), 4'000'000u);
  });
}

TEST(FastNetwork, RecordsBusyLinksPerTier) {
  // One flow over a 4-GPU star: its uplink and downlink are busy from its start to its end.
  const Fabric fabric = star(4, 10e9);
  sim::Engine engine;
  Recorder recorder;
  FastNetwork network(engine, fabric, recorder);
  std::vector<TierActivity> samples;
  ASSERT_TRUE(network.record_tier_activity(&samples));
  network.submit({0, 1, 1'000'000, Picoseconds{0}, 1});
  engine.run();
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].at.count(), 0);
  EXPECT_EQ(samples[0].busy_links, 2u);
  EXPECT_EQ(samples[0].links, 8u);
  EXPECT_EQ(samples[1].at.count(), 100'000'000);
  EXPECT_EQ(samples[1].busy_links, 0u);
  EXPECT_EQ(network.link_busy_time(0).count(), 100'000'000);
}

TEST(FastNetwork, RejectsBadInput) {
  const Fabric fabric = star(2, 10e9);
  sim::Engine engine;
  Recorder recorder;
  EXPECT_THROW(FastNetwork(engine, fabric, recorder, FastNetworkOptions{-0.1}),
               std::invalid_argument);
  FastNetwork network(engine, fabric, recorder);
  EXPECT_THROW(network.submit({0, 5, 1, Picoseconds{0}, 1}), std::invalid_argument);
}

}  // namespace
}  // namespace moesim::network
