#pragma once
// The fast contention-aware network model (`network: fast`; design, measured error against exact
// max-min and speed: docs/fast-network.md). Same timing rule as the other models
// (network/network_model.h): overhead + route latency, then the transfer at the flow's rate,
// transfer ends rounded up to the picosecond.
//
// Rates are max-min fair rates kept as bottleneck groups with virtual clocks, as in the exact
// model's solver (network/bottleneck_solver.h), but the coupling between links is restored only
// at epochs: after epoch_fraction x (transferring flows) starts and ends, one progressive filling
// over every transferring flow re-solves max-min exactly. Between epochs every change stays on the
// links of the flows that start or end: a burst of flows starting at one instant is placed by a
// progressive filling over the links it crosses, every other group held at its level; an end
// raises its group's level and frees its rate on its other links. What waits for the next epoch is
// a group's level change reaching the other links of its flows, and flows moving to another
// bottleneck. An epoch's filling stops as soon as every flow is frozen (the links still in its heap
// then have no unfrozen flow left, so popping them would change nothing), and it resets only the
// links some flow crossed since the last epoch (the others were reset then and stayed idle).
//
// Code: the state (network/fast_network_state.h) is shared by network/fast_network.cpp (messages,
// finishes, accounts, the event loop) and network/fast_network_rates.cpp (the per-instant
// placement and the epochs). A finished flow is removed and delivered in one pass over its links,
// and the sink is told (MessageSink::will_deliver) so it can fetch its record before the callback.
#include <cstdint>
#include <memory>
#include <vector>

#include "network/network_model.h"
#include "sim/engine.h"

namespace moesim::network {

struct FastNetworkOptions {
  // Starts and ends between two exact re-solves, as a fraction of the transferring flows (at
  // least 16). 0 re-solves at every instant: exact max-min (the flow model's answer).
  double epoch_fraction = 0.05;
};

// Counters for benchmarks and tests.
struct FastNetworkStats {
  std::uint64_t messages_submitted = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t engine_events = 0;   // instants at which flows started or ended (one event each)
  std::uint64_t epochs = 0;          // exact re-solves
  std::uint64_t epoch_flows = 0;     // flows re-solved, summed over epochs
  std::uint64_t early_epochs = 0;    // epochs called early: a link's O had outgrown its capacity
  std::uint64_t starved_starts = 0;  // starts placed under half their equal share
};

class FastNetwork final : public NetworkModel {
 public:
  FastNetwork(sim::Engine& engine, const Fabric& fabric, MessageSink& sink,
              FastNetworkOptions options = {});
  ~FastNetwork() override;
  FastNetwork(const FastNetwork&) = delete;
  FastNetwork& operator=(const FastNetwork&) = delete;

  void submit(const Message& message) override;
  TierUsage tier_usage(LinkTier tier) const override;
  std::uint64_t link_bytes(LinkId link) const override;
  sim::Picoseconds link_busy_time(LinkId link) const override;
  bool record_tier_activity(std::vector<TierActivity>* samples) override;

  // Messages submitted and not yet delivered.
  std::size_t in_flight() const;
  const FastNetworkStats& stats() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace moesim::network
