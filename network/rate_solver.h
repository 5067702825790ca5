#pragma once
// Internal: what a max-min rate solver behind FlowNetwork provides (RateSolver), and the per-flow
// routes both solvers share (FlowRoutes). The solvers: network/max_min.h (restart level, the
// reference) and network/bottleneck_solver.h (bottleneck groups, the default).
#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "network/network_model.h"

namespace moesim::network {

using FlowIndex = std::uint32_t;

class FlowRoutes {
 public:
  explicit FlowRoutes(const Fabric& fabric);

  // Stores the route of slot `flow` (slots are dense small integers chosen by the caller).
  void set_route(FlowIndex flow, std::span<const LinkId> links);
  std::span<const LinkId> route(FlowIndex flow) const {
    return {routes_.data() + static_cast<std::size_t>(flow) * stride_, route_length_[flow]};
  }
  // The flow's links as a solver constrains them (series links merged, distinct).
  std::span<const LinkId> constraints(FlowIndex flow) const {
    return {constraints_.data() + static_cast<std::size_t>(flow) * stride_,
            constraint_length_[flow]};
  }
  std::size_t slots() const { return route_length_.size(); }
  // The longest route stored so far (bounds constraints(flow).size()).
  std::size_t stride() const { return stride_; }
  double capacity(LinkId link) const { return capacity_[link]; }
  std::size_t link_count() const { return capacity_.size(); }
  // The representative of the link's series class (the class's smallest capacity): every flow
  // that crosses one link of a class crosses all of them, so they carry the same flows.
  LinkId constraint_of(LinkId link) const { return constraint_of_[link]; }
  const std::vector<LinkId>& constraints_of_links() const { return constraint_of_; }

 private:
  void merge_series_links(const Fabric& fabric);
  void ensure_slot(FlowIndex flow, std::size_t hops);

  std::vector<double> capacity_;  // bytes per second, per directed link
  std::size_t stride_ = 8;
  std::vector<LinkId> routes_;
  std::vector<std::uint32_t> route_length_;
  std::vector<LinkId> constraints_;
  std::vector<std::uint32_t> constraint_length_;
  std::vector<LinkId> constraint_of_;  // link -> the representative of its series class
};

// Progressive filling's next step, shared by the solvers: the link with the smallest fair share
// (residual / unfrozen flows) saturates next, the smaller link id first among equal shares. A
// link's share never decreases while filling (a flow freezes at a level <= every share it
// crosses), so keys are lazy lower bounds: a popped link whose share has grown goes back with its
// current share instead of being re-keyed on every freeze.
//
// The popped shares never decrease, so this is a radix heap (a monotone priority queue) on the
// shares' bits: bucket b > 0 holds the keys whose highest bit that differs from the last popped
// key is bit b - 1; a pop empties the lowest non-empty bucket into lower ones only when bucket 0
// (keys equal to the last) is empty. Every entry moves at most 64 times and usually a few, where
// a binary heap's pop sifts through log2(links) levels with a mispredicted branch at each
// (docs/performance.md, "Epochs' constant factors").
class SaturationHeap {
 public:
  void clear();
  // Empty, for shares that are all at least `lowest` (fewer moves than clear() when known).
  void clear(double lowest);
  // Before the first pop() after clear().
  void add(double share, LinkId link) { insert(Entry{key_of(share), link}); }
  // The next link to saturate and its share; false when no link with unfrozen flows is left.
  bool pop(std::span<const double> residual, std::span<const std::uint32_t> unfrozen, LinkId& link,
           double& share);

 private:
  struct Entry {
    std::uint64_t key;
    LinkId link;
  };
  static constexpr int kBuckets = 65;
  // Doubles in their order as unsigned integers (negative shares only from rounding).
  static std::uint64_t key_of(double share) {
    const auto bits = std::bit_cast<std::uint64_t>(share);
    return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
  }
  static double share_of(std::uint64_t key);
  int bucket_of(std::uint64_t key) const {
    return key == last_ ? 0 : 64 - std::countl_zero(key ^ last_);
  }
  // Inline: the epochs insert every link (and move entries down as they pop).
  void insert(const Entry& entry) {
    const int bucket = bucket_of(entry.key);
    buckets_[bucket].push_back(entry);
    if (bucket < 64)
      occupied_ |= std::uint64_t{1} << bucket;
    else
      top_occupied_ = true;
  }
  static double current_share(std::span<const double> residual,
                              std::span<const std::uint32_t> unfrozen, LinkId link);
  // Moves the lowest non-empty bucket down; false when every bucket is empty.
  bool refill(std::span<const double> residual, std::span<const std::uint32_t> unfrozen);

  std::uint64_t last_ = 0;
  std::uint64_t occupied_ = 0;  // bit b: bucket b is not empty (b < 64; bucket 64 below)
  bool top_occupied_ = false;
  std::vector<Entry> buckets_[kBuckets];
};

// The contract FlowNetwork drives: flows are activated with their bytes, drain at max-min fair
// rates, and are taken out when their last byte is transferred. A transfer's end is rounded up to
// a whole picosecond after dropping kRoundingSlack (transfer_picoseconds).
class RateSolver {
 public:
  explicit RateSolver(const Fabric& fabric) : routes_(fabric) {}
  virtual ~RateSolver() = default;
  RateSolver(const RateSolver&) = delete;
  RateSolver& operator=(const RateSolver&) = delete;

  // Stores the route of slot `flow` (dense small integers chosen by the caller).
  virtual void set_route(FlowIndex flow, std::span<const LinkId> links) = 0;
  std::span<const LinkId> route(FlowIndex flow) const { return routes_.route(flow); }
  std::span<const LinkId> constraints(FlowIndex flow) const { return routes_.constraints(flow); }
  // The flow joins the transferring set with `bytes` to move (its rate is set by the next solve()).
  // Preconditions: its route is not empty; the slot is not transferring and was not removed by
  // take_finished() since the last solve().
  virtual void activate(FlowIndex flow, double bytes, std::int64_t now_ps) = 0;
  // Removes every transferring flow whose finish is <= now_ps and lists it in `out` (cleared
  // first).
  virtual void take_finished(std::int64_t now_ps, std::vector<FlowIndex>& out) = 0;
  // Re-solves the rates after the activations and removals since the last solve.
  virtual void solve(std::int64_t now_ps) = 0;
  // The earliest finish among transferring flows (INT64_MAX if none).
  virtual std::int64_t next_finish_ps() = 0;
  virtual double rate(FlowIndex flow) const = 0;
  virtual std::size_t active_flows() const = 0;
  // Flow rates (re)assigned, summed over solves: the solver's work.
  virtual std::uint64_t flows_resolved() const = 0;

 protected:
  FlowRoutes routes_;
};

// Relative slack removed before rounding a transfer time up to whole picoseconds: 1e-10 of the
// duration (0.01 ps per 100 us), far above accumulated double rounding and far below any tolerance
// we check.
inline constexpr double kRoundingSlack = 1e-10;
// The cold path of transfer_picoseconds.
[[noreturn]] void throw_transfer_out_of_range(double bytes, double rate_bytes_per_second);
// ceil(bytes / rate in picoseconds x (1 - kRoundingSlack)): the rounding rule of both network
// models. Throws sim::TimeOutOfRange beyond sim::kLongestDuration (or for a zero rate). Inline:
// the fast network calls it for every group whose next finish moves.
inline std::int64_t transfer_picoseconds(double bytes, double rate_bytes_per_second) {
  if (bytes <= 0) return 0;
  const double picoseconds = bytes / rate_bytes_per_second * 1e12;
  // Round up, but first drop floating-point noise (a drained 1 MB must not become 1 MB + 1e-10 B
  // and cost 1 ps).
  // ceil by hand: std::ceil is a libm call on baseline x86-64 and this runs once per re-solved
  // flow.
  const double slackened = picoseconds * (1.0 - kRoundingSlack);
  // Also true for NaN and infinity (a zero rate): never convert those.
  constexpr auto kLongest = static_cast<double>(sim::kLongestDuration.count());
  if (!(slackened <= kLongest)) [[unlikely]]
    throw_transfer_out_of_range(bytes, rate_bytes_per_second);
  const auto whole = static_cast<std::int64_t>(slackened);
  return static_cast<double>(whole) < slackened ? whole + 1 : whole;
}

}  // namespace moesim::network
