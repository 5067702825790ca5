#pragma once
// What every network model shares: the message, the delivery callback, the usage counters and the
// timing rule.
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
// (network/rate_solver.h, transfer_picoseconds).
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "sim/time.h"
#include "topology/fabric.h"

namespace moesim::network {

using topology::Fabric;
using topology::GpuIndex;
using topology::kLinkTierCount;
using topology::Link;
using topology::LinkId;
using topology::LinkTier;
using topology::VertexId;

// A network model's timeline sample (NetworkModel::record_tier_activity): from `at` on,
// `busy_links` of the tier's `links` directed links carry >= 1 transferring flow.
struct TierActivity {
  sim::Picoseconds at;
  LinkTier tier;
  std::uint32_t busy_links;
  std::uint32_t links;
};

// The timing rule above for one route: what a message waits before it transfers, and the route's
// slowest link. An empty route (a GPU sending to itself) waits nothing and moves nothing.
struct RouteTiming {
  LinkTier highest_tier = LinkTier::ScaleUp;
  sim::Picoseconds overhead{};  // Fabric::message_overhead(highest_tier)
  sim::Picoseconds latency{};   // the sum of the links' latencies
  double bottleneck_bytes_per_second = std::numeric_limits<double>::infinity();
  sim::Picoseconds before_transfer() const { return overhead + latency; }
};
RouteTiming route_timing(const Fabric& fabric, std::span<const LinkId> links);

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
  // A hint that on_delivered(tag, ...) follows soon (before the network returns to the engine): a
  // sink may fetch what it reads for the tag, whose record is often out of cache by then.
  virtual void will_deliver(std::uint64_t /*tag*/) {}

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

}  // namespace moesim::network
