#include "network/analytic_network.h"

#include <algorithm>
#include <stdexcept>

#include "network/link_accounts.h"
#include "network/rate_solver.h"

namespace moesim::network {

using sim::Picoseconds;

struct AnalyticNetwork::State final : sim::EventHandler {
  sim::Engine& engine;
  Fabric fabric;
  MessageSink& sink;
  sim::HandlerId handler = 0;
  LinkAccounts accounts;
  // In-flight messages by slot: tag, bytes and the route (flat, `stride` links per slot).
  std::vector<std::uint64_t> tag;
  std::vector<std::uint64_t> message_bytes;
  std::vector<std::int64_t> transfer_duration_ps;
  std::vector<std::uint32_t> route_length;
  std::vector<LinkId> routes;
  std::size_t stride = 8;
  std::vector<std::uint32_t> free_slots;
  std::vector<LinkId> path;

  State(sim::Engine& engine_, const Fabric& fabric_, MessageSink& sink_)
      : engine(engine_), fabric(fabric_), sink(sink_), accounts(fabric_) {
    handler = engine.add_handler(*this);
  }

  // overhead + latency and the transfer duration at the route's bottleneck bandwidth.
  std::pair<Picoseconds, std::int64_t> timing(const Message& message,
                                              const std::vector<LinkId>& links) const {
    if (links.empty()) return {Picoseconds::zero(), 0};
    const RouteTiming route = route_timing(fabric, links);
    return {route.before_transfer(), transfer_picoseconds(static_cast<double>(message.bytes),
                                                          route.bottleneck_bytes_per_second)};
  }

  std::uint32_t allocate_slot(std::size_t hops) {
    if (hops > stride) {  // re-stride the route pool (rare: only when a longer route appears)
      std::vector<LinkId> wider(tag.size() * hops);
      for (std::size_t slot = 0; slot < tag.size(); ++slot)
        std::copy_n(routes.begin() + slot * stride, route_length[slot],
                    wider.begin() + slot * hops);
      routes.swap(wider);
      stride = hops;
    }
    if (!free_slots.empty()) {
      const std::uint32_t slot = free_slots.back();
      free_slots.pop_back();
      return slot;
    }
    tag.push_back(0);
    message_bytes.push_back(0);
    transfer_duration_ps.push_back(0);
    route_length.push_back(0);
    routes.resize(tag.size() * stride);
    return static_cast<std::uint32_t>(tag.size() - 1);
  }

  void submit(const Message& message) {
    if (message.release < engine.now())
      throw std::invalid_argument(
          "AnalyticNetwork::submit: release time is earlier than the engine's now()");
    fabric.route(message.source, message.destination, message.tag, path);
    const auto [before, transfer] = timing(message, path);
    const std::uint32_t slot = allocate_slot(path.size());
    tag[slot] = message.tag;
    message_bytes[slot] = path.empty() ? 0 : message.bytes;
    transfer_duration_ps[slot] = transfer;
    route_length[slot] = static_cast<std::uint32_t>(path.size());
    std::copy(path.begin(), path.end(), routes.begin() + slot * stride);
    engine.schedule_at(message.release + before + Picoseconds{transfer}, handler, slot);
  }

  void on_event(sim::Engine&, std::uint64_t payload) override {
    const auto slot = static_cast<std::uint32_t>(payload);
    for (std::uint32_t hop = 0; hop < route_length[slot]; ++hop) {
      const LinkId id = routes[slot * stride + hop];
      accounts.bytes[id] += message_bytes[slot];
      accounts.busy_ps[id] += transfer_duration_ps[slot];
    }
    free_slots.push_back(slot);
    sink.on_delivered(tag[slot], engine.now());
  }
};

AnalyticNetwork::AnalyticNetwork(sim::Engine& engine, const Fabric& fabric, MessageSink& sink)
    : state_(std::make_unique<State>(engine, fabric, sink)) {}
AnalyticNetwork::~AnalyticNetwork() = default;

void AnalyticNetwork::submit(const Message& message) {
  state_->submit(message);
}

TierUsage AnalyticNetwork::tier_usage(LinkTier tier) const {
  return state_->accounts.usage(state_->fabric, tier, state_->engine.now().count());
}

std::uint64_t AnalyticNetwork::link_bytes(LinkId link) const {
  return state_->accounts.link_bytes(link);
}

bool AnalyticNetwork::record_tier_activity(std::vector<TierActivity>*) {
  return false;  // transfers are priced one by one, never concurrently
}

sim::Picoseconds AnalyticNetwork::link_busy_time(LinkId link) const {
  return Picoseconds{state_->accounts.busy_ps.at(link)};
}

sim::Picoseconds AnalyticNetwork::delivery_time(const Message& message) const {
  std::vector<LinkId> links;
  state_->fabric.route(message.source, message.destination, message.tag, links);
  const auto [before, transfer] = state_->timing(message, links);
  return message.release + before + Picoseconds{transfer};
}

}  // namespace moesim::network
