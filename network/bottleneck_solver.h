#pragma once
// Internal: the max-min solver FlowNetwork runs on by default. It keeps the max-min fair
// allocation as bottleneck groups and repairs it after each change by touching only what changes.
//
// The allocation. Every transferring flow belongs to the group of one link on its path, its
// bottleneck; all flows of link l's group move at the link's level λ_l, and every other flow on l
// moves at the level of its own group. With O_l the sum of the rates of the flows on l that belong
// to other groups and n_l the size of l's group, the allocation is max-min fair exactly when
//   (1) λ_l = (capacity_l − O_l) / n_l for every link with a group (it is saturated), and
//   (2) no flow on l moves faster than λ_l (a group's flows are the fastest on their link), and
//   (3) a link without a group carries at most its capacity,
// which is the bottleneck characterisation of max-min fairness (Bertsekas & Gallager, Data
// Networks, 2nd ed., sec. 6.5.2): each flow has a saturated link on which no flow is faster.
//
// Repair. A change (a flow leaves or joins, a level moves) marks the links whose O, n or faster
// neighbours changed; they are settled lowest estimated level first. Settling link l re-evaluates
// (1); if (2) may be broken (an upper bound on the other groups' rates on l exceeds λ_l) it scans
// l's flows and pulls the too-fast ones into l's group (a local water-filling), which marks their
// old groups; if λ_l moved, the change is passed to the other links of l's group. When no link is
// marked, (1)-(3) hold everywhere, so the result is the max-min allocation; only groups whose
// level really changed were touched. In an all-to-all with unequal sizes this is 3-6x faster than
// re-solving every flow above the restart level (docs/performance.md).
// When many flows start or end at once, or a repair outgrows a few fillings' worth of work, the
// solver rebuilds the groups by progressive filling over every flow instead.
//
// Time. A group's flows share one rate, so the group keeps a virtual clock V_l (bytes per flow
// served since the clock's epoch); a flow's finish key is V_l at joining + its bytes then. A level
// change moves the clock's epoch, not the flows; only the group's smallest key is turned into a
// finish time: epoch + transfer_picoseconds(key − V_l(epoch), λ_l), the rounding rule of
// RateSolver. Ties within a relative 1e-12 count as equal (no flow moves between groups for less).
#include <cstdint>
#include <span>
#include <vector>

#include "network/min_heap.h"
#include "network/rate_solver.h"

namespace moesim::network {

class BottleneckSolver final : public RateSolver {
 public:
  explicit BottleneckSolver(const Fabric& fabric);

  void set_route(FlowIndex flow, std::span<const LinkId> links) override;
  void activate(FlowIndex flow, double bytes, std::int64_t now_ps) override;
  void take_finished(std::int64_t now_ps, std::vector<FlowIndex>& out) override;
  void solve(std::int64_t now_ps) override;
  std::int64_t next_finish_ps() override;
  double rate(FlowIndex flow) const override;
  std::size_t active_flows() const override { return active_count_; }
  // Group members whose rate changed plus flows moved between groups (rebuilds count every flow).
  std::uint64_t flows_resolved() const override { return flows_resolved_; }

 private:
  struct KeyEntry {  // a group member by finish key (lazy: stale once the flow's version moved)
    double key;
    FlowIndex flow;
    std::uint32_t version;
    bool operator>(const KeyEntry& other) const {
      return (key > other.key) | ((key == other.key) & (flow > other.flow));
    }
  };
  struct WorkEntry {  // a marked link by estimated level
    double level;
    LinkId link;
    bool operator>(const WorkEntry& other) const {
      return (level > other.level) | ((level == other.level) & (link > other.link));
    }
  };
  struct Candidate {  // a flow of another group on the link being settled
    double rate;
    FlowIndex flow;
  };

  void ensure_slot(FlowIndex flow, std::size_t constraints);
  double virtual_now(LinkId link, std::int64_t now_ps) const;
  void set_level(LinkId link, double level, std::int64_t now_ps);
  void join_group(FlowIndex flow, LinkId link, double remaining_bytes, std::int64_t now_ps);
  double leave_group(FlowIndex flow, std::int64_t now_ps);  // returns the bytes left
  void add_to_links(FlowIndex flow);
  void remove_from_links(FlowIndex flow);
  void place(FlowIndex flow, std::int64_t now_ps);
  void remove(FlowIndex flow, std::int64_t now_ps);
  void move_into(FlowIndex flow, LinkId link, std::int64_t now_ps);
  void mark(LinkId link);
  void note_changed_other(LinkId link);
  void settle(LinkId link, std::int64_t now_ps);
  std::size_t pull_faster_flows(LinkId link, std::int64_t now_ps);
  void settle_marked(std::int64_t now_ps);
  void rebuild(std::int64_t now_ps);
  void refresh_finishes();
  void drop_stale_keys(LinkId link);
  void request_refresh(LinkId link);
  std::int64_t finish_of(LinkId link, double key) const;

  // Links. What the repair's hot loop reads and writes per link sits in one 32-byte record.
  struct LinkState {
    double other = 0;          // O_l: rates of the flows of other groups, as last passed on
    double max_other = 0;      // upper bound on the rates of other groups' flows on the link
    double over_capacity = 0;  // capacity x (1 + tie): above it the link needs a group
    std::uint8_t marked = 0;   // waiting in work_ to be settled
    std::uint8_t has_group = 0;
  };
  std::vector<LinkState> state_;
  std::vector<double> level_;                    // λ_l (meaningful while the group is not empty)
  std::vector<double> clock_bytes_;              // V_l at clock_ps_
  std::vector<std::int64_t> clock_ps_;           // the virtual clock's epoch
  std::vector<std::vector<FlowIndex>> members_;  // the group
  std::vector<std::vector<KeyEntry>> keys_;      // the group by finish key (min-heap, lazy)
  std::vector<std::vector<FlowIndex>> on_link_;  // every transferring flow on the link
  std::vector<std::uint8_t> refresh_;
  std::vector<LinkId> refresh_list_;
  std::vector<WorkEntry> work_;
  IndexedMinHeap finishes_;              // each group's next finish
  std::vector<Candidate> candidates_;    // scratch
  SaturationHeap shares_;                // scratch (rebuild)
  std::vector<double> residual_;         // scratch (rebuild): capacity left for unfrozen flows
  std::vector<std::uint32_t> unfrozen_;  // scratch (rebuild)

  // Flows by slot.
  std::vector<LinkId> bottleneck_;
  std::vector<double> key_;
  // bytes of a flow not yet in a group (activated, or in a rebuild)
  std::vector<double> start_bytes_;
  std::vector<std::uint32_t> version_;
  std::vector<std::uint32_t> member_pos_;
  std::vector<std::uint32_t> link_pos_;  // per (flow, constraint): index in on_link_
  std::size_t pos_stride_ = 4;           // constraints per flow in link_pos_
  std::vector<std::uint8_t> active_;
  std::vector<FlowIndex> added_;
  std::size_t removed_ = 0;  // flows taken out since the last solve

  bool changed_ = false;
  std::size_t active_count_ = 0;
  std::uint64_t flows_resolved_ = 0;
};

}  // namespace moesim::network
