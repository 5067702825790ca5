#pragma once
// Internal: the exact restart-level max-min solver (the reference FlowNetwork can run on, see
// FlowSolver in topology/network.h; flat arrays, integer ids, no per-event allocation once warmed
// up). Exposed as a header so that bench/network_bench.cpp can drive it directly.
#include <cstdint>
#include <span>
#include <vector>

#include "network/rate_solver.h"

namespace moesim::network {

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
class MaxMinSolver final : public RateSolver {
 public:
  explicit MaxMinSolver(const Fabric& fabric);

  void set_route(FlowIndex flow, std::span<const LinkId> links) override;
  // Precondition (as RateSolver): FlowNetwork reuses a freed slot only for a message submitted
  // after the solve, so a flow is solved at most once per solve and flows_on_ bounds each link's
  // list.
  void activate(FlowIndex flow, double bytes, std::int64_t now_ps) override;
  void take_finished(std::int64_t now_ps, std::vector<FlowIndex>& out) override;
  void solve(std::int64_t now_ps) override;  // no-op without changes
  std::int64_t next_finish_ps() override;
  double rate(FlowIndex flow) const override { return rate_[flow]; }
  std::size_t active_flows() const override { return active_count_; }
  // A full re-solve would add active_flows().
  std::uint64_t flows_resolved() const override { return flows_resolved_; }

 private:
  struct FinishEntry {
    std::int64_t finish_ps;
    FlowIndex flow;
    std::uint32_t version;
    bool operator>(const FinishEntry& other) const {
      return (finish_ps > other.finish_ps) | ((finish_ps == other.finish_ps) & (flow > other.flow));
    }
  };

  void ensure_slot(FlowIndex flow);
  void progressive_filling();  // over to_solve_, appending the freeze order to order_
  void drop_stale_finishes();

  // Links.
  std::vector<double> load_;  // sum of the current rates of the transferring flows on the link
  std::vector<std::uint32_t> flows_on_;  // transferring flows on the link
  std::vector<double> residual_;         // during a solve: capacity left for the unfrozen flows
  std::vector<std::uint32_t> unfrozen_;  // during a solve
  std::vector<std::uint32_t> link_flow_offsets_;  // per link: its list in link_flows_ (prefix sums
                                                  // of flows_on_)
  std::vector<FlowIndex> link_flows_;
  std::vector<LinkId> touched_links_;
  SaturationHeap share_heap_;

  // Flows by slot.
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

}  // namespace moesim::network
