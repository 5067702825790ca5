#include "topology/max_min.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace moesim::topology {

namespace {
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
constexpr std::uint32_t kNotActive = std::numeric_limits<std::uint32_t>::max();
}  // namespace

std::int64_t transfer_picoseconds(double bytes, double rate_bytes_per_second) {
  if (bytes <= 0) return 0;
  const double picoseconds = bytes / rate_bytes_per_second * 1e12;
  // Round up, but first drop floating-point noise (a drained 1 MB must not become 1 MB + 1e-10 B and cost 1 ps).
  return static_cast<std::int64_t>(std::ceil(picoseconds * (1.0 - kRoundingSlack)));
}

MaxMinSolver::MaxMinSolver(const Fabric& fabric)
    : capacity_(fabric.link_count()),
      residual_(fabric.link_count(), 0),
      unfrozen_(fabric.link_count(), 0),
      version_(fabric.link_count(), 0),
      link_flow_offsets_(fabric.link_count() + 1, 0),
      next_finish_ps_(kNever) {
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
    finish_ps_.resize(slots, kNever);
    frozen_.resize(slots, 0);
    active_position_.resize(slots, kNotActive);
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
  finish_ps_[flow] = kNever;
  active_position_[flow] = static_cast<std::uint32_t>(active_.size());
  active_.push_back(flow);
}

void MaxMinSolver::take_finished(std::int64_t now_ps, std::vector<FlowIndex>& out) {
  out.clear();
  if (next_finish_ps_ > now_ps) return;
  for (std::size_t i = 0; i < active_.size();) {
    const FlowIndex flow = active_[i];
    if (finish_ps_[flow] > now_ps) {
      ++i;
      continue;
    }
    out.push_back(flow);
    // Swap-remove from the active list.
    const FlowIndex last = active_.back();
    active_[i] = last;
    active_position_[last] = static_cast<std::uint32_t>(i);
    active_.pop_back();
    active_position_[flow] = kNotActive;
  }
  next_finish_ps_ = kNever;
}

void MaxMinSolver::solve(std::int64_t now_ps) {
  // Drain every flow's bytes up to now at its old rate.
  for (FlowIndex flow : active_) {
    const double elapsed_seconds = static_cast<double>(now_ps - last_update_ps_[flow]) * 1e-12;
    remaining_bytes_[flow] = std::max(0.0, remaining_bytes_[flow] - rate_[flow] * elapsed_seconds);
    last_update_ps_[flow] = now_ps;
  }
  progressive_filling();
  flows_resolved_ += active_.size();
  next_finish_ps_ = kNever;
  for (FlowIndex flow : active_) {
    const std::int64_t finish = now_ps + transfer_picoseconds(remaining_bytes_[flow], rate_[flow]);
    finish_ps_[flow] = finish;
    next_finish_ps_ = std::min(next_finish_ps_, finish);
  }
}

void MaxMinSolver::progressive_filling() {
  // Per-link lists of the transferring flows (counting sort into a CSR, only over the links in use).
  touched_links_.clear();
  for (FlowIndex flow : active_)
    for (LinkId link : route(flow)) {
      if (unfrozen_[link]++ == 0) touched_links_.push_back(link);
    }
  std::uint32_t offset = 0;
  for (LinkId link : touched_links_) {
    link_flow_offsets_[link] = offset;
    offset += unfrozen_[link];
    residual_[link] = capacity_[link];
  }
  link_flows_.resize(offset);
  for (FlowIndex flow : active_) {
    frozen_[flow] = 0;
    for (LinkId link : route(flow)) link_flows_[link_flow_offsets_[link]++] = flow;
  }
  heap_.clear();
  for (LinkId link : touched_links_) {
    link_flow_offsets_[link] -= unfrozen_[link];  // back to the start of the link's list
    heap_.push_back(HeapEntry{residual_[link] / unfrozen_[link], link, ++version_[link]});
  }
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>{});

  // The link with the smallest fair share saturates next; its unfrozen flows freeze at that level.
  double level = 0;
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
    const HeapEntry entry = heap_.back();
    heap_.pop_back();
    if (entry.version != version_[entry.link] || unfrozen_[entry.link] == 0) continue;
    level = std::max(level, entry.share);  // shares only grow; max() absorbs rounding
    const std::uint32_t begin = link_flow_offsets_[entry.link];
    for (std::uint32_t i = begin;; ++i) {
      if (unfrozen_[entry.link] == 0) break;
      const FlowIndex flow = link_flows_[i];
      if (frozen_[flow]) continue;
      frozen_[flow] = 1;
      rate_[flow] = level;
      for (LinkId link : route(flow)) {
        residual_[link] -= level;
        if (--unfrozen_[link] == 0 || link == entry.link) continue;
        heap_.push_back(HeapEntry{std::max(0.0, residual_[link]) / unfrozen_[link], link, ++version_[link]});
        std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
      }
    }
  }
}

}  // namespace moesim::topology
