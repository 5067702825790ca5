#pragma once
// What the network models' tests share: the shipped fabrics' paths, a sink that records every
// delivery, a star of GPUs on one switch, running a model over a list of messages, a uniform
// all-to-all, that all-to-all on NVL72 checked against its closed form, and messages submitted from
// callbacks. Header-only.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "network/network_model.h"
#include "sim/engine.h"
#include "topology/builders.h"

namespace moesim::network::testing {

inline std::string fabric_path(const std::string& file) {
  return std::string(MOESIM_SOURCE_DIR) + "/configs/fabrics/" + file;
}

struct Recorder final : MessageSink {
  std::map<std::uint64_t, std::int64_t> delivered_ps;
  std::vector<std::pair<std::uint64_t, std::int64_t>> order;  // in callback order
  void on_delivered(std::uint64_t tag, sim::Picoseconds at) override {
    delivered_ps[tag] = at.count();
    order.emplace_back(tag, at.count());
  }
};

// N GPUs on one switch, every link `bandwidth` per direction, zero latency and overhead unless
// given.
inline Fabric star(std::uint32_t gpus, double bandwidth,
                   sim::Picoseconds link_latency = sim::Picoseconds::zero(),
                   sim::Picoseconds overhead = sim::Picoseconds::zero()) {
  topology::FabricBuilder builder("star");
  for (std::uint32_t g = 0; g < gpus; ++g) builder.add_gpu("gpu" + std::to_string(g), 0);
  const VertexId hub = builder.add_vertex(topology::VertexKind::ScaleUpSwitch, "hub");
  for (std::uint32_t g = 0; g < gpus; ++g)
    builder.add_duplex_link(g, hub, bandwidth, link_latency, LinkTier::ScaleUp);
  builder.set_message_overhead(LinkTier::ScaleUp, overhead);
  return builder.build();
}

// A star of 4 GPUs at 10 GB/s whose GPU 3 has 2 GB/s links: a flow from GPU 3 is held elsewhere.
inline Fabric uneven_star() {
  topology::FabricBuilder builder("uneven");
  for (std::uint32_t g = 0; g < 4; ++g) builder.add_gpu("gpu" + std::to_string(g), 0);
  const VertexId hub = builder.add_vertex(topology::VertexKind::ScaleUpSwitch, "hub");
  for (std::uint32_t g = 0; g < 4; ++g)
    builder.add_duplex_link(g, hub, g == 3 ? 2e9 : 10e9, sim::Picoseconds::zero(),
                            LinkTier::ScaleUp);
  return builder.build();
}

// Every message through a fresh engine and `Model` (constructed with `options`), to the end.
template <class Model, class... Options>
Recorder record(const Fabric& fabric, const std::vector<Message>& messages, Options... options) {
  sim::Engine engine;
  Recorder recorder;
  Model model(engine, fabric, recorder, options...);
  for (const Message& message : messages) model.submit(message);
  engine.run();
  EXPECT_EQ(recorder.delivered_ps.size(), messages.size());
  return recorder;
}

// Delivery time (ps) per tag.
template <class Model, class... Options>
std::map<std::uint64_t, std::int64_t> run(const Fabric& fabric,
                                          const std::vector<Message>& messages,
                                          Options... options) {
  return record<Model>(fabric, messages, options...).delivered_ps;
}

// `bytes` from every one of `gpus` GPUs to every other, released at 0; tag = source x gpus + dest.
inline std::vector<Message> uniform_all_to_all(GpuIndex gpus, std::uint64_t bytes) {
  std::vector<Message> messages;
  for (GpuIndex s = 0; s < gpus; ++s)
    for (GpuIndex d = 0; d < gpus; ++d)
      if (s != d)
        messages.push_back({s, d, bytes, sim::Picoseconds{0}, s * std::uint64_t{gpus} + d});
  return messages;
}

// The uniform all-to-all of 1 MB on GB200 NVL72 through `Model`: every GPU's 900 GB/s uplink and
// downlink carry 71 equal flows, so the busiest link's bytes / bandwidth is exact and every flow
// ends at overhead 2.88 us + 2 x 0.225 us + 71 x 1 MB / 900 GB/s = 3.33 us + 78.888889 us. Checks
// that, the bytes (72 x 71 MB cross scale-up links twice) and the busy time (each of the 144
// links from 3.33 us to the end), then hands the model to `more` for what only it counts.
template <class Model, class More>
void expect_nvl72_all_to_all_at_its_closed_form(More more) {
  const Fabric fabric = topology::load_fabric_file(fabric_path("gb200-nvl72.yaml"));
  const std::vector<Message> messages = uniform_all_to_all(72, 1'000'000);
  sim::Engine engine;
  Recorder recorder;
  Model network(engine, fabric, recorder);
  for (const Message& message : messages) network.submit(message);
  engine.run();
  ASSERT_EQ(recorder.delivered_ps.size(), 72u * 71);
  const double expected_ps = 3.33e6 + 71e6 / 900e9 * 1e12;
  for (const auto& [tag, at] : recorder.delivered_ps)
    ASSERT_NEAR(static_cast<double>(at), expected_ps, 1.0) << tag;
  EXPECT_EQ(network.tier_usage(LinkTier::ScaleUp).bytes, 2ULL * 72 * 71 * 1'000'000);
  EXPECT_NEAR(network.tier_usage(LinkTier::ScaleUp).busy_link_seconds,
              144 * (expected_ps - 3.33e6) * 1e-12, 1e-9);
  more(network);
}

// Four 1 MB messages GPU 0 -> 1 on a two-GPU star (10 GB/s, 1 us per link, 2 us overhead), each
// submitted from the callback of the one before: each hop takes 2 us + 2 x 1 us + 100 us = 104 us,
// so they arrive back to back. Then hands the model to `more`.
template <class Model, class More>
void expect_messages_from_callbacks_back_to_back(More more) {
  struct Chain final : MessageSink {
    NetworkModel* model = nullptr;
    std::vector<std::int64_t> at;
    void on_delivered(std::uint64_t tag, sim::Picoseconds when) override {
      at.push_back(when.count());
      if (tag < 3)
        model->submit({0, 1, 1'000'000, when, tag + 1});  // next message when the previous arrives
    }
  };
  const Fabric fabric = star(2, 10e9, sim::microseconds(1), sim::microseconds(2));
  sim::Engine engine;
  Chain chain;
  Model network(engine, fabric, chain);
  chain.model = &network;
  network.submit({0, 1, 1'000'000, sim::Picoseconds{0}, 0});
  engine.run();
  EXPECT_EQ(chain.at,
            (std::vector<std::int64_t>{104'000'000, 208'000'000, 312'000'000, 416'000'000}));
  more(network);
}

}  // namespace moesim::network::testing
