#pragma once
// Internal: the max-min fair rate solver behind FlowNetwork (flat arrays, integer ids, no per-event
// allocation once warmed up). Exposed as a header so that bench/network_bench.cpp can drive it
// directly.
#include <cstdint>
#include <span>
#include <vector>

#include "topology/fabric.h"

namespace moesim::topology {

using FlowIndex = std::uint32_t;

// Relative slack removed before rounding a transfer time up to whole picoseconds: 1e-10 of the
// duration (0.01 ps per 100 us), far above accumulated double rounding and far below any tolerance
// we check.
inline constexpr double kRoundingSlack = 1e-10;
// ceil(bytes / rate in picoseconds x (1 - kRoundingSlack)): the rounding rule of both network
// models.
std::int64_t transfer_picoseconds(double bytes, double rate_bytes_per_second);

// Exact max-min fair rates by progressive filling on directed links (all unfrozen flows grow at one
// rate; when a link's capacity is used up its unfrozen flows freeze at the current level),
// re-solved incrementally:
//
// Restart level. Let L0 be the smallest of (a) the old rate of every flow removed since the last
// solve and (b) for every flow added, min over its links of capacity / (flows on the link). Then
// every flow whose old rate is below L0 keeps it exactly, and only the flows with rate >= L0 (plus
// the added ones) need re-solving, on the capacities left by the others. Why: progressive filling's
// history below a level depends only on the links that saturate below it. (a) A removed flow's
// links all saturated at or above its rate, and without it they saturate no earlier. (b) A link
// saturates at level x only if capacity <= flows x x, so with the added flow none of its links
// saturates below capacity / flows >= L0, and before the addition they saturated above capacity /
// (flows-1). Below L0 the old and new runs are therefore identical. Flows are kept sorted by rate
// (the freeze order), so the flows to re-solve are a suffix found by binary search; L0 is lowered
// by a relative 1e-9 so that flows tied with L0 up to floating-point noise are re-solved too
// (re-solving more flows than needed is always exact).
//
// Each flow's bytes drain at its rate; its finish is now + remaining / rate rounded up
// (transfer_picoseconds). Finish times live in a min-heap with lazy invalidation; only re-solved
// flows get new entries.
class MaxMinSolver {
 public:
  explicit MaxMinSolver(const Fabric& fabric);

  // Stores the route of flow slot `flow` (slots are dense small integers chosen by the caller).
  void set_route(FlowIndex flow, std::span<const LinkId> links);
  std::span<const LinkId> route(FlowIndex flow) const {
    return {routes_.data() + static_cast<std::size_t>(flow) * stride_, route_length_[flow]};
  }
  // The flow's links as the solver constrains them (series links merged, see merge_series_links).
  std::span<const LinkId> constraints(FlowIndex flow) const {
    return {constraints_.data() + static_cast<std::size_t>(flow) * stride_,
            constraint_length_[flow]};
  }
  // The flow joins the transferring set with `bytes` to move (its rate is set by the next solve()).
  // Precondition: the slot is not transferring and was not removed by take_finished() since the
  // last solve() (FlowNetwork reuses a freed slot only for a message submitted after the solve), so
  // a flow is solved at most once per solve and flows_on_ bounds each link's list.
  void activate(FlowIndex flow, double bytes, std::int64_t now_ps);
  // Removes every transferring flow whose finish is <= now_ps and lists it in `out` (cleared
  // first).
  void take_finished(std::int64_t now_ps, std::vector<FlowIndex>& out);
  // Re-solves the rates after the activations and removals since the last solve (no-op without
  // changes).
  void solve(std::int64_t now_ps);

  // The earliest finish among transferring flows (INT64_MAX if none).
  std::int64_t next_finish_ps();
  double rate(FlowIndex flow) const { return rate_[flow]; }
  std::size_t active_flows() const { return active_count_; }
  // Flow rates computed, summed over solves: the solver's work (a full re-solve would add
  // active_flows()).
  std::uint64_t flows_resolved() const { return flows_resolved_; }

 private:
  struct FinishEntry {
    std::int64_t finish_ps;
    FlowIndex flow;
    std::uint32_t version;
    bool operator>(const FinishEntry& other) const {
      return finish_ps != other.finish_ps ? finish_ps > other.finish_ps : flow > other.flow;
    }
  };
  struct ShareEntry {
    double share;
    LinkId link;
    std::uint32_t unused;
    bool operator>(const ShareEntry& other) const {
      return share != other.share ? share > other.share : link > other.link;
    }
  };

  void ensure_slot(FlowIndex flow, std::size_t hops);
  void merge_series_links(const Fabric& fabric);
  void progressive_filling();  // over to_solve_, appending the freeze order to order_
  void drop_stale_finishes();

  // Links.
  std::vector<double> capacity_;
  std::vector<double> load_;  // sum of the current rates of the transferring flows on the link
  std::vector<std::uint32_t> flows_on_;  // transferring flows on the link
  std::vector<double> residual_;         // during a solve: capacity left for the unfrozen flows
  std::vector<std::uint32_t> unfrozen_;  // during a solve
  std::vector<std::uint32_t> link_flow_offsets_;  // per link: its list in link_flows_ (prefix sums
                                                  // of flows_on_)
  std::vector<FlowIndex> link_flows_;
  std::vector<LinkId> touched_links_;
  std::vector<ShareEntry> share_heap_;

  // Flows by slot.
  std::size_t stride_ = 8;
  std::vector<LinkId> routes_;
  std::vector<std::uint32_t> route_length_;
  std::vector<LinkId> constraints_;
  std::vector<std::uint32_t> constraint_length_;
  std::vector<LinkId> constraint_of_;  // link -> the representative of its series class
  std::vector<double> remaining_bytes_;
  std::vector<double> rate_;
  std::vector<std::int64_t> last_update_ps_;
  std::vector<std::uint32_t> finish_version_;
  std::vector<std::uint8_t> active_;
  std::vector<std::uint8_t> frozen_;
  std::vector<double> previous_rate_;  // during a solve

  std::vector<FlowIndex> order_;     // transferring (and just removed) flows by ascending rate
  std::vector<FlowIndex> added_;     // activated since the last solve
  std::vector<FlowIndex> to_solve_;  // scratch
  std::vector<FinishEntry> finish_heap_;
  double restart_level_;  // L0 accumulated since the last solve
  bool changed_ = false;
  std::size_t active_count_ = 0;
  std::uint64_t flows_resolved_ = 0;
};

}  // namespace moesim::topology
