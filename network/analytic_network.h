#pragma once
// The closed-form network model: no contention (the timing rule: network/network_model.h).
#include <memory>
#include <vector>

#include "network/network_model.h"
#include "sim/engine.h"

namespace moesim::network {

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

}  // namespace moesim::network
