#include "topology/network.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "topology/bottleneck_solver.h"
#include "topology/max_min.h"

namespace moesim::topology {

namespace {

using sim::Picoseconds;
constexpr double kPicosecondsPerSecond = 1e12;

std::int64_t transfer_ps(double bytes, double rate_bytes_per_second) {
  return transfer_picoseconds(bytes, rate_bytes_per_second);
}

LinkTier highest_tier_of(const Fabric& fabric, const std::vector<LinkId>& links) {
  LinkTier highest = LinkTier::ScaleUp;
  for (LinkId id : links) highest = std::max(highest, fabric.link(id).tier);
  return highest;
}

// Per directed link: bytes delivered across it and time with >= 1 transferring flow; per tier, how
// many links are busy now (for timelines).
struct LinkAccounts {
  std::vector<std::uint64_t> bytes;
  std::vector<std::int64_t> busy_ps;
  std::vector<std::uint32_t> transferring;
  std::vector<std::int64_t> busy_since_ps;
  std::vector<LinkTier> tier;
  std::array<std::uint32_t, kLinkTierCount> busy_links{};
  std::array<std::uint32_t, kLinkTierCount> tier_links{};

  explicit LinkAccounts(const Fabric& fabric)
      : bytes(fabric.link_count(), 0),
        busy_ps(fabric.link_count(), 0),
        transferring(fabric.link_count(), 0),
        busy_since_ps(fabric.link_count(), 0),
        tier(fabric.link_count()) {
    for (LinkId id = 0; id < fabric.link_count(); ++id) {
      tier[id] = fabric.link(id).tier;
      ++tier_links[static_cast<std::size_t>(tier[id])];
    }
  }

  void start(LinkId link, std::int64_t now_ps) {
    if (transferring[link]++ > 0) return;
    busy_since_ps[link] = now_ps;
    ++busy_links[static_cast<std::size_t>(tier[link])];
  }
  void stop(LinkId link, std::int64_t now_ps) {
    if (--transferring[link] > 0) return;
    busy_ps[link] += now_ps - busy_since_ps[link];
    --busy_links[static_cast<std::size_t>(tier[link])];
  }
  std::int64_t busy_at(LinkId link, std::int64_t now_ps) const {
    return busy_ps[link] + (transferring[link] > 0 ? now_ps - busy_since_ps[link] : 0);
  }
  TierUsage usage(const Fabric& fabric, LinkTier tier, std::int64_t now_ps) const {
    TierUsage usage;
    for (LinkId id = 0; id < fabric.link_count(); ++id) {
      const Link& link = fabric.link(id);
      if (link.tier != tier) continue;
      usage.bytes += bytes[id];
      usage.busy_link_seconds += static_cast<double>(busy_at(id, now_ps)) / kPicosecondsPerSecond;
      usage.capacity_bytes_per_second += link.bandwidth_bytes_per_second;
      ++usage.links;
    }
    return usage;
  }
};

}  // namespace

// ---- FlowNetwork
// ----------------------------------------------------------------------------------------

struct FlowNetwork::State final : sim::EventHandler {
  struct PendingStart {
    std::int64_t start_ps;
    std::uint64_t sequence;  // submission order breaks ties, so runs are reproducible
    FlowIndex flow;
    bool operator>(const PendingStart& other) const {
      return start_ps != other.start_ps ? start_ps > other.start_ps : sequence > other.sequence;
    }
  };

  sim::Engine& engine;
  Fabric fabric;
  MessageSink& sink;
  sim::HandlerId handler;
  std::unique_ptr<RateSolver> solver;
  LinkAccounts accounts;
  FlowNetworkStats stats;

  // Flows (slots reused through a free list).
  std::vector<std::uint64_t> tag;
  std::vector<std::uint64_t> message_bytes;
  std::vector<FlowIndex> free_slots;
  std::vector<PendingStart> pending;  // min-heap on (start, sequence)
  std::uint64_t next_sequence = 0;
  std::vector<LinkId> path;                                        // scratch for routing
  std::vector<std::pair<std::uint64_t, std::int64_t>> deliveries;  // scratch: (tag, time)
  std::vector<FlowIndex> finished;                                 // scratch

  sim::EventId wake;
  std::int64_t wake_ps = std::numeric_limits<std::int64_t>::max();
  bool handling = false;

  std::vector<TierActivity>* activity = nullptr;  // record_tier_activity
  std::array<std::uint32_t, kLinkTierCount> recorded_busy{};

  State(sim::Engine& engine_, const Fabric& fabric_, MessageSink& sink_, FlowSolver kind)
      : engine(engine_),
        fabric(fabric_),
        sink(sink_),
        handler(0),
        solver(kind == FlowSolver::RestartLevel
                   ? std::unique_ptr<RateSolver>(std::make_unique<MaxMinSolver>(fabric_))
                   : std::make_unique<BottleneckSolver>(fabric_)),
        accounts(fabric_) {
    handler = engine.add_handler(*this);
  }

  FlowIndex allocate_slot() {
    if (!free_slots.empty()) {
      const FlowIndex slot = free_slots.back();
      free_slots.pop_back();
      return slot;
    }
    tag.push_back(0);
    message_bytes.push_back(0);
    return static_cast<FlowIndex>(tag.size() - 1);
  }

  void ensure_wake(std::int64_t when_ps) {
    if (handling || when_ps >= wake_ps)
      return;  // the handler schedules the next wake itself when it returns
    wake_ps = when_ps;
    wake = wake.valid() ? engine.reschedule(wake, Picoseconds{when_ps})
                        : engine.schedule_at(Picoseconds{when_ps}, handler, 0);
  }

  void submit(const Message& message) {
    if (message.release < engine.now())
      throw std::invalid_argument(
          "FlowNetwork::submit: release time is earlier than the engine's now()");
    if (message.source >= fabric.gpu_count() || message.destination >= fabric.gpu_count())
      throw std::invalid_argument("FlowNetwork::submit: GPU index out of range");
    ++stats.messages_submitted;
    fabric.route(message.source, message.destination, message.tag, path);
    Picoseconds start = message.release;
    if (!path.empty()) start += fabric.message_overhead(highest_tier_of(fabric, path));
    for (LinkId id : path) start += fabric.link(id).latency;
    const FlowIndex flow = allocate_slot();
    tag[flow] = message.tag;
    message_bytes[flow] =
        path.empty() ? 0 : message.bytes;  // a GPU sending to itself moves nothing
    solver->set_route(flow, path);
    pending.push_back(PendingStart{start.count(), next_sequence++, flow});
    std::push_heap(pending.begin(), pending.end(), std::greater<>{});
    ensure_wake(start.count());
  }

  void record_activity(std::int64_t now_ps) {
    for (std::size_t tier = 0; tier < kLinkTierCount; ++tier) {
      if (accounts.busy_links[tier] == recorded_busy[tier]) continue;
      recorded_busy[tier] = accounts.busy_links[tier];
      activity->push_back({Picoseconds{now_ps}, static_cast<LinkTier>(tier),
                           accounts.busy_links[tier], accounts.tier_links[tier]});
    }
  }

  void deliver(FlowIndex flow, std::int64_t now_ps) {
    for (LinkId id : solver->route(flow)) accounts.bytes[id] += message_bytes[flow];
    deliveries.emplace_back(tag[flow], now_ps);
    free_slots.push_back(flow);
    ++stats.messages_delivered;
  }

  void on_event(sim::Engine&, std::uint64_t) override {
    ++stats.engine_events;
    handling = true;
    wake_ps = std::numeric_limits<std::int64_t>::max();
    const std::int64_t now_ps = engine.now().count();
    bool changed = false;

    // 1. Flows whose last byte is transferred now.
    solver->take_finished(now_ps, finished);
    for (FlowIndex flow : finished) {
      for (LinkId id : solver->route(flow)) accounts.stop(id, now_ps);
      deliver(flow, now_ps);
      changed = true;
    }
    // 2. Flows whose overhead and latency end now start transferring (zero-byte ones are
    // delivered).
    while (!pending.empty() && pending.front().start_ps <= now_ps) {
      const FlowIndex flow = pending.front().flow;
      std::pop_heap(pending.begin(), pending.end(), std::greater<>{});
      pending.pop_back();
      if (message_bytes[flow] == 0) {
        deliver(flow, now_ps);
        continue;
      }
      for (LinkId id : solver->route(flow)) accounts.start(id, now_ps);
      solver->activate(flow, static_cast<double>(message_bytes[flow]), now_ps);
      changed = true;
    }
    // 3. One re-solve for everything that changed at this instant.
    if (changed) {
      solver->solve(now_ps);
      ++stats.solves;
      if (activity) record_activity(now_ps);
    }
    stats.flows_resolved = solver->flows_resolved();
    // 4. The next instant at which anything changes.
    std::int64_t next_ps = solver->next_finish_ps();
    if (!pending.empty()) next_ps = std::min(next_ps, pending.front().start_ps);
    handling = false;
    if (next_ps != std::numeric_limits<std::int64_t>::max()) ensure_wake(next_ps);
    // 5. Callbacks last: they may submit new messages (which may move the wake earlier).
    for (const auto& [delivered_tag, at_ps] : deliveries)
      sink.on_delivered(delivered_tag, Picoseconds{at_ps});
    deliveries.clear();
  }
};

FlowNetwork::FlowNetwork(sim::Engine& engine, const Fabric& fabric, MessageSink& sink,
                         FlowSolver solver)
    : state_(std::make_unique<State>(engine, fabric, sink, solver)) {}
FlowNetwork::~FlowNetwork() = default;

void FlowNetwork::submit(const Message& message) {
  state_->submit(message);
}

TierUsage FlowNetwork::tier_usage(LinkTier tier) const {
  return state_->accounts.usage(state_->fabric, tier, state_->engine.now().count());
}

std::uint64_t FlowNetwork::link_bytes(LinkId link) const {
  return state_->accounts.bytes.at(link);
}

sim::Picoseconds FlowNetwork::link_busy_time(LinkId link) const {
  return Picoseconds{state_->accounts.busy_at(link, state_->engine.now().count())};
}

bool FlowNetwork::record_tier_activity(std::vector<TierActivity>* samples) {
  state_->activity = samples;
  state_->recorded_busy = state_->accounts.busy_links;
  return true;
}

std::size_t FlowNetwork::in_flight() const {
  return state_->stats.messages_submitted - state_->stats.messages_delivered;
}

const FlowNetworkStats& FlowNetwork::stats() const {
  return state_->stats;
}

// ---- AnalyticNetwork
// ------------------------------------------------------------------------------------

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
    Picoseconds before = fabric.message_overhead(highest_tier_of(fabric, links));
    double bottleneck = std::numeric_limits<double>::infinity();
    for (LinkId id : links) {
      before += fabric.link(id).latency;
      bottleneck = std::min(bottleneck, fabric.link(id).bandwidth_bytes_per_second);
    }
    return {before, transfer_ps(static_cast<double>(message.bytes), bottleneck)};
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
  return state_->accounts.bytes.at(link);
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

}  // namespace moesim::topology
