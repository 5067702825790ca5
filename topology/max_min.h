#pragma once
// Internal: the max-min fair rate solver behind FlowNetwork (flat arrays, integer ids, no per-event allocation
// once warmed up). Exposed as a header so that bench/network_bench.cpp can drive it directly.
#include <cstdint>
#include <span>
#include <vector>

#include "topology/fabric.h"

namespace moesim::topology {

using FlowIndex = std::uint32_t;

// Relative slack removed before rounding a transfer time up to whole picoseconds: 1e-10 of the duration
// (0.01 ps per 100 us), far above accumulated double rounding and far below any tolerance we check.
inline constexpr double kRoundingSlack = 1e-10;
// ceil(bytes / rate in picoseconds x (1 - kRoundingSlack)): the rounding rule of both network models.
std::int64_t transfer_picoseconds(double bytes, double rate_bytes_per_second);

// Progressive filling on directed links: all unfrozen flows grow at the same rate; when a link's capacity is
// used up, its unfrozen flows freeze at the current level. Each flow's bytes drain at its rate; a flow finishes
// at now + remaining / rate, rounded up to whole picoseconds.
class MaxMinSolver {
 public:
  explicit MaxMinSolver(const Fabric& fabric);

  // Stores the route of flow slot `flow` (slots are dense small integers chosen by the caller).
  void set_route(FlowIndex flow, std::span<const LinkId> links);
  std::span<const LinkId> route(FlowIndex flow) const {
    return {routes_.data() + static_cast<std::size_t>(flow) * stride_, route_length_[flow]};
  }
  // The flow joins the transferring set with `bytes` to move (takes effect at the next solve()).
  void activate(FlowIndex flow, double bytes, std::int64_t now_ps);
  // Removes every transferring flow whose computed finish is <= now_ps and lists it in `out` (cleared first).
  void take_finished(std::int64_t now_ps, std::vector<FlowIndex>& out);
  // Recomputes the max-min rates of the transferring set at now_ps and every flow's finish time.
  void solve(std::int64_t now_ps);

  std::int64_t next_finish_ps() const { return next_finish_ps_; }
  double rate(FlowIndex flow) const { return rate_[flow]; }
  std::size_t active_flows() const { return active_.size(); }
  std::uint64_t flows_resolved() const { return flows_resolved_; }

 private:
  void ensure_slot(FlowIndex flow, std::size_t hops);
  void progressive_filling();

  // Links.
  std::vector<double> capacity_;
  std::vector<double> residual_;          // capacity minus the rates of flows frozen so far
  std::vector<std::uint32_t> unfrozen_;   // unfrozen flows on the link during a solve
  std::vector<std::uint32_t> version_;    // heap entries carry the version they were pushed with
  std::vector<std::uint32_t> link_flow_offsets_;  // CSR of transferring flows per link, rebuilt per solve
  std::vector<FlowIndex> link_flows_;
  std::vector<LinkId> touched_links_;
  struct HeapEntry {
    double share;
    LinkId link;
    std::uint32_t version;
    bool operator>(const HeapEntry& other) const {
      return share != other.share ? share > other.share : link > other.link;
    }
  };
  std::vector<HeapEntry> heap_;

  // Flows by slot.
  std::size_t stride_ = 8;
  std::vector<LinkId> routes_;
  std::vector<std::uint32_t> route_length_;
  std::vector<double> remaining_bytes_;
  std::vector<double> rate_;
  std::vector<std::int64_t> last_update_ps_;
  std::vector<std::int64_t> finish_ps_;
  std::vector<std::uint8_t> frozen_;
  std::vector<std::uint32_t> active_position_;
  std::vector<FlowIndex> active_;

  std::int64_t next_finish_ps_;
  std::uint64_t flows_resolved_ = 0;
};

}  // namespace moesim::topology
