#include "calibration/phases.h"

#include <map>
#include <stdexcept>
#include <tuple>

#include "network/export.h"
#include "network/flow_network.h"
#include "sim/engine.h"

namespace moesim::calibration {

using topology::LinkTier;

namespace {

class DeliveryRecorder final : public network::MessageSink {
 public:
  explicit DeliveryRecorder(std::size_t messages) : delivered_(messages, sim::Picoseconds{-1}) {}
  void on_delivered(std::uint64_t tag, sim::Picoseconds delivered_at) override {
    delivered_.at(tag) = delivered_at;
  }
  const std::vector<sim::Picoseconds>& delivered() const { return delivered_; }

 private:
  std::vector<sim::Picoseconds> delivered_;
};

}  // namespace

std::vector<MessageTiming> simulate_phase(const topology::Fabric& fabric,
                                          std::span<const network::Message> messages) {
  std::vector<network::Message> tagged(messages.begin(), messages.end());
  for (std::size_t i = 0; i < tagged.size(); ++i) tagged[i].tag = i;  // the recorder indexes by tag
  sim::Engine engine;
  DeliveryRecorder recorder(tagged.size());
  network::FlowNetwork network(engine, fabric, recorder);
  for (const network::Message& message : tagged) network.submit(message);
  engine.run();
  const std::vector<network::RoutedMessage> routed = network::route_messages(fabric, tagged);
  std::vector<MessageTiming> timings(tagged.size());
  for (std::size_t i = 0; i < tagged.size(); ++i) {
    const sim::Picoseconds offset = tagged[i].release + routed[i].timing.before_transfer();
    const sim::Picoseconds delivered = recorder.delivered()[i];
    if (delivered < offset) throw std::logic_error("simulate_phase: a message was not delivered");
    timings[i].offset_seconds = offset.seconds();
    timings[i].transfer_seconds = (delivered - offset).seconds();
    timings[i].scale_out = routed[i].timing.highest_tier != LinkTier::ScaleUp;
  }
  return timings;
}

std::vector<network::Message> phase_messages(const CalibrationPoint& point) {
  std::vector<network::Message> messages;
  const std::uint32_t n = point.gpus;
  if (point.pattern == TrafficPattern::EvenAllToAll) {
    for (std::uint32_t source = 0; source < n; ++source)
      for (std::uint32_t destination = 0; destination < n; ++destination)
        if (source != destination)
          messages.push_back(
              {source, destination, point.bytes_per_copy, sim::Picoseconds{0}, messages.size()});
    return messages;
  }
  // Balanced routing: GPU s sends copy j (j = token x top-k + slot) to rank (s + j) mod n, so every
  // rank receives tokens x top-k / n copies (+-1) and no two slots of a token land on one rank
  // while top-k <= n. Copies to the sender itself stay local. Copies are aggregated into one
  // message per (source, destination): in a balanced all-to-all every pair carries the same count,
  // so max-min shares are unchanged by the aggregation.
  const std::uint64_t copies = std::uint64_t{point.tokens_per_gpu} * point.experts_per_token;
  for (std::uint32_t source = 0; source < n; ++source) {
    for (std::uint32_t offset = 1; offset < n; ++offset) {
      const std::uint32_t destination = (source + offset) % n;
      const std::uint64_t count = copies / n + (offset < copies % n ? 1 : 0);
      if (count == 0) continue;
      // Combine sends the same copies back: from the expert's GPU to the token's GPU.
      const bool back = point.phase == CommPhase::Combine;
      messages.push_back({back ? destination : source, back ? source : destination,
                          count * point.bytes_per_copy, sim::Picoseconds{0}, messages.size()});
    }
  }
  return messages;
}

std::vector<std::vector<MessageTiming>> simulate_points(const SystemCatalogue& systems,
                                                        std::span<const CalibrationPoint> points) {
  using Key = std::tuple<std::string, bool, std::uint32_t, int, std::uint32_t, std::uint32_t,
                         std::uint64_t, int>;
  std::map<Key, std::vector<MessageTiming>> cache;
  std::vector<std::vector<MessageTiming>> timings;
  timings.reserve(points.size());
  for (const CalibrationPoint& point : points) {
    const Key key{point.system,         point.rdma_only,
                  point.gpus,           static_cast<int>(point.pattern),
                  point.tokens_per_gpu, point.experts_per_token,
                  point.bytes_per_copy, static_cast<int>(point.phase)};
    auto found = cache.find(key);
    if (found == cache.end()) {
      const topology::Fabric fabric = systems.fabric(point.system, point.rdma_only, point.gpus);
      found = cache.emplace(key, simulate_phase(fabric, phase_messages(point))).first;
    }
    timings.push_back(found->second);
  }
  return timings;
}

}  // namespace moesim::calibration
