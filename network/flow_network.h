#pragma once
// The exact flow-level model: max-min fair sharing of every link, re-solved whenever the set of
// transferring flows changes (the timing rule: network/network_model.h; design: docs/fabrics.md).
#include <cstdint>
#include <memory>
#include <vector>

#include "network/network_model.h"
#include "sim/engine.h"

namespace moesim::network {

// Counters for benchmarks and tests.
struct FlowNetworkStats {
  std::uint64_t messages_submitted = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t solves = 0;  // max-min re-solves (one per distinct instant at which flows change)
  std::uint64_t flows_resolved = 0;  // flow-rate assignments summed over solves (the solver's work)
  std::uint64_t engine_events = 0;   // engine events this model handled
};

// Which max-min solver a FlowNetwork runs on. Both give the max-min fair rates; they differ in how
// they get there after a change: BottleneckGroups repairs only the groups of flows whose rate
// changes (network/bottleneck_solver.h, much faster with unequal sizes); RestartLevel re-solves
// every flow at or above the lowest changed rate (network/max_min.h, the reference: identical to
// a from-scratch re-solve to the last bit).
enum class FlowSolver : std::uint8_t { BottleneckGroups, RestartLevel };

// Flow-level max-min fair model driven by the engine. It owns one engine event (the next instant at
// which a flow starts transferring or finishes) and reschedules it; all changes at one instant are
// batched into a single re-solve. Bytes and busy time are accounted per directed link (busy = >= 1
// transferring flow).
class FlowNetwork final : public NetworkModel {
 public:
  FlowNetwork(sim::Engine& engine, const Fabric& fabric, MessageSink& sink,
              FlowSolver solver = FlowSolver::BottleneckGroups);
  ~FlowNetwork() override;
  FlowNetwork(const FlowNetwork&) = delete;
  FlowNetwork& operator=(const FlowNetwork&) = delete;

  void submit(const Message& message) override;
  TierUsage tier_usage(LinkTier tier) const override;
  std::uint64_t link_bytes(LinkId link) const override;
  sim::Picoseconds link_busy_time(LinkId link) const override;
  bool record_tier_activity(std::vector<TierActivity>* samples) override;

  // Messages submitted and not yet delivered.
  std::size_t in_flight() const;
  const FlowNetworkStats& stats() const;

  struct State;  // public only so that fabric-internal helpers in network.cpp can name it

 private:
  std::unique_ptr<State> state_;
};

}  // namespace moesim::network
