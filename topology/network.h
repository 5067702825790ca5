#pragma once
// Network models: messages between GPUs become deliveries at simulated times.
//
// Timing rule (shared by both models and by the SimGrid cross-check, docs/fabrics.md): a message
// released at time R first waits its fixed per-message overhead (Fabric::message_overhead of its
// route's highest tier) and then its route latency (the sum of its links' latencies) without using
// bandwidth; then it transfers its bytes at its max-min fair rate (FlowNetwork; re-solved whenever
// the set of transferring flows changes) or at its route's bottleneck bandwidth (AnalyticNetwork);
// it is delivered when its last byte is transferred. Zero-byte messages are delivered after
// overhead + latency. Rounding: start times are exact integer picoseconds; a transfer's end is
// computed once per rate change from the bytes remaining at that instant and rounded UP to a whole
// picosecond (never early) after dropping a relative 1e-10 of floating-point noise
// (topology/rate_solver.h, transfer_picoseconds).
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/engine.h"
#include "sim/time.h"
#include "topology/fabric.h"

namespace moesim::topology {

struct Message {
  GpuIndex source;
  GpuIndex destination;
  std::uint64_t bytes;
  sim::Picoseconds release;  // >= engine.now() at submit time
  std::uint64_t tag;         // caller's id, returned on delivery; also the ECMP flow id
};

class MessageSink {  // completion callbacks; implementations must not allocate per message on the
                     // hot path
 public:
  virtual void on_delivered(std::uint64_t tag, sim::Picoseconds delivered_at) = 0;

 protected:
  ~MessageSink() = default;
};

struct TierUsage {
  std::uint64_t bytes = 0;               // bytes carried, summed over the tier's directed links
  double busy_link_seconds = 0;          // sum over links of time with >= 1 active flow
  double capacity_bytes_per_second = 0;  // sum of the tier's directed link bandwidths
  std::size_t links = 0;
};

// Abstract so that the decode step can run on either model.
class NetworkModel {
 public:
  virtual ~NetworkModel() = default;
  virtual void submit(const Message& message) = 0;
  virtual TierUsage tier_usage(LinkTier tier) const = 0;
  virtual std::uint64_t link_bytes(LinkId link) const = 0;
  virtual sim::Picoseconds link_busy_time(LinkId link) const = 0;
  // Appends a sample to `samples` (nullptr = stop) whenever a tier's busy-link count changes, at
  // most one per tier and instant, for timelines. Returns false if the model cannot say (the
  // analytic model has no concurrent transfers to count).
  virtual bool record_tier_activity(std::vector<TierActivity>* samples) = 0;
};

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
// changes (topology/bottleneck_solver.h, much faster with unequal sizes); RestartLevel re-solves
// every flow at or above the lowest changed rate (topology/max_min.h, the reference: identical to
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

// Closed-form model: a message takes overhead + route latency + bytes / bottleneck bandwidth of its
// route (no contention), delivered through the same engine and sink so the decode step can swap
// models. Link busy time is the sum of the transfer durations of the messages that crossed the link
// (it can exceed the elapsed time, since this model ignores contention).
class AnalyticNetwork final : public NetworkModel {
 public:
  AnalyticNetwork(sim::Engine& engine, const Fabric& fabric, MessageSink& sink);
  ~AnalyticNetwork() override;
  AnalyticNetwork(const AnalyticNetwork&) = delete;
  AnalyticNetwork& operator=(const AnalyticNetwork&) = delete;

  void submit(const Message& message) override;
  TierUsage tier_usage(LinkTier tier) const override;
  std::uint64_t link_bytes(LinkId link) const override;
  sim::Picoseconds link_busy_time(LinkId link) const override;
  bool record_tier_activity(std::vector<TierActivity>* samples) override;

  // Delivery time of a message released now under this model (no side effects).
  sim::Picoseconds delivery_time(const Message& message) const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace moesim::topology
