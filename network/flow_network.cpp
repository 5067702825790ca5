#include "network/flow_network.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "network/bottleneck_solver.h"
#include "network/link_accounts.h"
#include "network/max_min.h"
#include "network/min_heap.h"

namespace moesim::network {

using sim::Picoseconds;

struct FlowNetwork::State final : sim::EventHandler {
  struct PendingStart {
    std::int64_t start_ps;
    std::uint64_t sequence;  // submission order breaks ties, so runs are reproducible
    FlowIndex flow;
    bool operator>(const PendingStart& other) const {
      return (start_ps > other.start_ps) |
             ((start_ps == other.start_ps) & (sequence > other.sequence));
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
    const Picoseconds start = message.release + route_timing(fabric, path).before_transfer();
    const FlowIndex flow = allocate_slot();
    tag[flow] = message.tag;
    // a GPU sending to itself moves nothing
    message_bytes[flow] = path.empty() ? 0 : message.bytes;
    solver->set_route(flow, path);
    min_heap_push(pending, PendingStart{start.count(), next_sequence++, flow});
    ensure_wake(start.count());
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
      min_heap_pop(pending);
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
      accounts.record(now_ps);
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
  return state_->accounts.link_bytes(link);
}

sim::Picoseconds FlowNetwork::link_busy_time(LinkId link) const {
  return Picoseconds{state_->accounts.busy_at(link, state_->engine.now().count())};
}

bool FlowNetwork::record_tier_activity(std::vector<TierActivity>* samples) {
  state_->accounts.record_to(samples);
  return true;
}

std::size_t FlowNetwork::in_flight() const {
  return state_->stats.messages_submitted - state_->stats.messages_delivered;
}

const FlowNetworkStats& FlowNetwork::stats() const {
  return state_->stats;
}

}  // namespace moesim::network
