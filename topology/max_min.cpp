#include "topology/max_min.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace moesim::topology {

namespace {
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
constexpr double kNoRestart = std::numeric_limits<double>::infinity();
// Flows whose rate is within this relative distance below the restart level are re-solved as well.
constexpr double kTieSlack = 1e-9;
}  // namespace

std::int64_t transfer_picoseconds(double bytes, double rate_bytes_per_second) {
  if (bytes <= 0) return 0;
  const double picoseconds = bytes / rate_bytes_per_second * 1e12;
  // Round up, but first drop floating-point noise (a drained 1 MB must not become 1 MB + 1e-10 B and cost 1 ps).
  return static_cast<std::int64_t>(std::ceil(picoseconds * (1.0 - kRoundingSlack)));
}

MaxMinSolver::MaxMinSolver(const Fabric& fabric)
    : capacity_(fabric.link_count()),
      load_(fabric.link_count(), 0),
      flows_on_(fabric.link_count(), 0),
      residual_(fabric.link_count(), 0),
      unfrozen_(fabric.link_count(), 0),
      share_version_(fabric.link_count(), 0),
      link_flow_offsets_(fabric.link_count() + 1, 0),
      restart_level_(kNoRestart) {
  for (LinkId id = 0; id < fabric.link_count(); ++id) capacity_[id] = fabric.link(id).bandwidth_bytes_per_second;
}

void MaxMinSolver::ensure_slot(FlowIndex flow, std::size_t hops) {
  if (hops > stride_) {  // re-stride the route pool (only when a longer route than any before appears)
    std::vector<LinkId> wider(route_length_.size() * hops);
    for (std::size_t slot = 0; slot < route_length_.size(); ++slot)
      std::copy_n(routes_.begin() + slot * stride_, route_length_[slot], wider.begin() + slot * hops);
    routes_.swap(wider);
    stride_ = hops;
  }
  if (flow >= route_length_.size()) {
    const std::size_t slots = std::max<std::size_t>(flow + 1, route_length_.size() * 2);
    routes_.resize(slots * stride_);
    route_length_.resize(slots, 0);
    remaining_bytes_.resize(slots, 0);
    rate_.resize(slots, 0);
    last_update_ps_.resize(slots, 0);
    finish_version_.resize(slots, 0);
    active_.resize(slots, 0);
    frozen_.resize(slots, 0);
  }
}

void MaxMinSolver::set_route(FlowIndex flow, std::span<const LinkId> links) {
  ensure_slot(flow, links.size());
  std::copy(links.begin(), links.end(), routes_.begin() + static_cast<std::size_t>(flow) * stride_);
  route_length_[flow] = static_cast<std::uint32_t>(links.size());
}

void MaxMinSolver::activate(FlowIndex flow, double bytes, std::int64_t now_ps) {
  remaining_bytes_[flow] = bytes;
  rate_[flow] = 0;
  last_update_ps_[flow] = now_ps;
  ++finish_version_[flow];  // forget any finish entry of the slot's previous flow
  active_[flow] = 1;
  ++active_count_;
  for (LinkId link : route(flow)) ++flows_on_[link];
  added_.push_back(flow);
  changed_ = true;
}

void MaxMinSolver::drop_stale_finishes() {
  while (!finish_heap_.empty()) {
    const FinishEntry& top = finish_heap_.front();
    if (active_[top.flow] && finish_version_[top.flow] == top.version) return;
    std::pop_heap(finish_heap_.begin(), finish_heap_.end(), std::greater<>{});
    finish_heap_.pop_back();
  }
}

std::int64_t MaxMinSolver::next_finish_ps() {
  drop_stale_finishes();
  return finish_heap_.empty() ? kNever : finish_heap_.front().finish_ps;
}

void MaxMinSolver::take_finished(std::int64_t now_ps, std::vector<FlowIndex>& out) {
  out.clear();
  for (drop_stale_finishes(); !finish_heap_.empty() && finish_heap_.front().finish_ps <= now_ps;
       drop_stale_finishes()) {
    const FlowIndex flow = finish_heap_.front().flow;
    std::pop_heap(finish_heap_.begin(), finish_heap_.end(), std::greater<>{});
    finish_heap_.pop_back();
    out.push_back(flow);
    active_[flow] = 0;
    --active_count_;
    for (LinkId link : route(flow)) {
      --flows_on_[link];
      load_[link] -= rate_[flow];
    }
    restart_level_ = std::min(restart_level_, rate_[flow]);  // (a): the removed flow's rate
    changed_ = true;
  }
}

void MaxMinSolver::push_finish(FlowIndex flow, std::int64_t now_ps) {
  finish_heap_.push_back(
      FinishEntry{now_ps + transfer_picoseconds(remaining_bytes_[flow], rate_[flow]), flow, ++finish_version_[flow]});
  std::push_heap(finish_heap_.begin(), finish_heap_.end(), std::greater<>{});
}

void MaxMinSolver::solve(std::int64_t now_ps) {
  if (!changed_) return;
  changed_ = false;
  // (b): a lower bound on every added flow's new rate.
  for (FlowIndex flow : added_)
    for (LinkId link : route(flow)) restart_level_ = std::min(restart_level_, capacity_[link] / flows_on_[link]);
  const double level = restart_level_ * (1.0 - kTieSlack);
  restart_level_ = kNoRestart;

  // The suffix of order_ with rate >= level (removed flows are in it, since level <= their rate).
  const auto first = std::lower_bound(order_.begin(), order_.end(), level,
                                      [&](FlowIndex flow, double bound) { return rate_[flow] < bound; });
  to_solve_.clear();
  for (auto it = first; it != order_.end(); ++it)
    if (active_[*it]) to_solve_.push_back(*it);
  order_.erase(first, order_.end());
  for (FlowIndex flow : added_)
    if (active_[flow]) to_solve_.push_back(flow);
  added_.clear();
  if (to_solve_.empty()) return;

  // Drain the re-solved flows' bytes up to now at their old rates (the others' rates do not change).
  for (FlowIndex flow : to_solve_) {
    const double elapsed_seconds = static_cast<double>(now_ps - last_update_ps_[flow]) * 1e-12;
    remaining_bytes_[flow] = std::max(0.0, remaining_bytes_[flow] - rate_[flow] * elapsed_seconds);
    last_update_ps_[flow] = now_ps;
  }
  progressive_filling();
  flows_resolved_ += to_solve_.size();
  for (FlowIndex flow : to_solve_) push_finish(flow, now_ps);

  // Lazy deletion leaves stale finish entries behind; rebuild when they outnumber the live ones.
  if (finish_heap_.size() > 2 * active_count_ + 1024) {
    finish_heap_.erase(std::remove_if(finish_heap_.begin(), finish_heap_.end(),
                                      [&](const FinishEntry& entry) {
                                        return !active_[entry.flow] || finish_version_[entry.flow] != entry.version;
                                      }),
                       finish_heap_.end());
    std::make_heap(finish_heap_.begin(), finish_heap_.end(), std::greater<>{});
  }
}

void MaxMinSolver::progressive_filling() {
  // Per-link lists of the flows being solved (counting sort into a CSR over the links they use); each link's
  // residual is its capacity minus the rates of the flows that keep theirs.
  touched_links_.clear();
  for (FlowIndex flow : to_solve_)
    for (LinkId link : route(flow)) {
      if (unfrozen_[link]++ == 0) {
        touched_links_.push_back(link);
        residual_[link] = capacity_[link] - load_[link];
      }
      residual_[link] += rate_[flow];  // this flow's old rate is re-assigned below
      load_[link] -= rate_[flow];
    }
  std::uint32_t offset = 0;
  for (LinkId link : touched_links_) {
    link_flow_offsets_[link] = offset;
    offset += unfrozen_[link];
  }
  link_flows_.resize(offset);
  for (FlowIndex flow : to_solve_) {
    frozen_[flow] = 0;
    for (LinkId link : route(flow)) link_flows_[link_flow_offsets_[link]++] = flow;
  }
  share_heap_.clear();
  for (LinkId link : touched_links_) {
    link_flow_offsets_[link] -= unfrozen_[link];  // back to the start of the link's list
    share_heap_.push_back(ShareEntry{std::max(0.0, residual_[link]) / unfrozen_[link], link, ++share_version_[link]});
  }
  std::make_heap(share_heap_.begin(), share_heap_.end(), std::greater<>{});

  // The link with the smallest fair share saturates next; its unfrozen flows freeze at that level.
  double level = 0;
  while (!share_heap_.empty()) {
    std::pop_heap(share_heap_.begin(), share_heap_.end(), std::greater<>{});
    const ShareEntry entry = share_heap_.back();
    share_heap_.pop_back();
    if (entry.version != share_version_[entry.link] || unfrozen_[entry.link] == 0) continue;
    level = std::max(level, entry.share);  // shares only grow; max() absorbs rounding
    for (std::uint32_t i = link_flow_offsets_[entry.link]; unfrozen_[entry.link] > 0; ++i) {
      const FlowIndex flow = link_flows_[i];
      if (frozen_[flow]) continue;
      frozen_[flow] = 1;
      rate_[flow] = level;
      order_.push_back(flow);
      for (LinkId link : route(flow)) {
        residual_[link] -= level;
        load_[link] += level;
        if (--unfrozen_[link] == 0 || link == entry.link) continue;
        share_heap_.push_back(
            ShareEntry{std::max(0.0, residual_[link]) / unfrozen_[link], link, ++share_version_[link]});
        std::push_heap(share_heap_.begin(), share_heap_.end(), std::greater<>{});
      }
    }
  }
}

}  // namespace moesim::topology
