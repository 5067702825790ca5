#include "network/rate_solver.h"

#include <algorithm>
#include <cstdio>
#include <functional>

namespace moesim::network {

[[noreturn]] void throw_transfer_out_of_range(double bytes, double rate_bytes_per_second) {
  char what[96];
  std::snprintf(what, sizeof what, "a transfer of %g bytes at %g B/s", bytes,
                rate_bytes_per_second);
  sim::throw_time_out_of_range(what, bytes / rate_bytes_per_second);
}

void SaturationHeap::heapify() {
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>{});
}

bool SaturationHeap::pop(std::span<const double> residual, std::span<const std::uint32_t> unfrozen,
                         LinkId& link, double& share) {
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
    const Entry entry = heap_.back();
    heap_.pop_back();
    if (unfrozen[entry.link] == 0) continue;
    const double current = std::max(0.0, residual[entry.link]) / unfrozen[entry.link];
    if (current > entry.share) {
      heap_.push_back(Entry{current, entry.link});
      std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
      continue;
    }
    link = entry.link;
    share = current;
    return true;
  }
  return false;
}

FlowRoutes::FlowRoutes(const Fabric& fabric) : capacity_(fabric.link_count()) {
  for (LinkId id = 0; id < fabric.link_count(); ++id)
    capacity_[id] = fabric.link(id).bandwidth_bytes_per_second;
  merge_series_links(fabric);
}

// A non-GPU vertex b whose only neighbours are a and c (duplex) passes every flow straight through:
// shortest paths never turn back, and no flow starts or ends at b. So a->b and b->c always carry
// the same flows (likewise c->b and b->a) and constrain them as one link of the smaller capacity
// (a NIC between its GPU and its leaf). Merging them removes a third of the work for an
// inter-server flow on an HGX cluster without changing any rate.
void FlowRoutes::merge_series_links(const Fabric& fabric) {
  constraint_of_.resize(fabric.link_count());
  for (LinkId id = 0; id < fabric.link_count(); ++id) constraint_of_[id] = id;
  auto find = [&](LinkId id) {
    while (constraint_of_[id] != id) id = constraint_of_[id] = constraint_of_[constraint_of_[id]];
    return id;
  };
  auto unite = [&](LinkId x, LinkId y) {
    x = find(x);
    y = find(y);
    if (x == y) return;
    if (capacity_[y] < capacity_[x] || (capacity_[y] == capacity_[x] && y < x)) std::swap(x, y);
    constraint_of_[y] = x;  // the class is represented by its smallest capacity
  };
  for (VertexId b = static_cast<VertexId>(fabric.gpu_count()); b < fabric.vertex_count(); ++b) {
    const auto ins = fabric.in_links(b);
    const auto outs = fabric.out_links(b);
    if (ins.size() != 2 || outs.size() != 2) continue;
    const VertexId a = fabric.link(ins[0]).from;
    const VertexId c = fabric.link(ins[1]).from;
    if (a == c) continue;
    const LinkId b_to_a = fabric.link(outs[0]).to == a ? outs[0] : outs[1];
    const LinkId b_to_c = fabric.link(outs[0]).to == c ? outs[0] : outs[1];
    if (fabric.link(b_to_a).to != a || fabric.link(b_to_c).to != c) continue;
    unite(ins[0], b_to_c);  // a -> b -> c
    unite(ins[1], b_to_a);  // c -> b -> a
  }
  for (LinkId id = 0; id < fabric.link_count(); ++id) constraint_of_[id] = find(id);
}

void FlowRoutes::ensure_slot(FlowIndex flow, std::size_t hops) {
  if (hops > stride_) {  // re-stride (only when a longer route than any before appears)
    std::vector<LinkId> wider(route_length_.size() * hops);
    std::vector<LinkId> wider_constraints(route_length_.size() * hops);
    for (std::size_t slot = 0; slot < route_length_.size(); ++slot) {
      std::copy_n(routes_.begin() + slot * stride_, route_length_[slot],
                  wider.begin() + slot * hops);
      std::copy_n(constraints_.begin() + slot * stride_, constraint_length_[slot],
                  wider_constraints.begin() + slot * hops);
    }
    routes_.swap(wider);
    constraints_.swap(wider_constraints);
    stride_ = hops;
  }
  if (flow >= route_length_.size()) {
    const std::size_t slots = std::max<std::size_t>(flow + 1, route_length_.size() * 2);
    routes_.resize(slots * stride_);
    route_length_.resize(slots, 0);
    constraints_.resize(slots * stride_);
    constraint_length_.resize(slots, 0);
  }
}

void FlowRoutes::set_route(FlowIndex flow, std::span<const LinkId> links) {
  ensure_slot(flow, links.size());
  std::copy(links.begin(), links.end(), routes_.begin() + static_cast<std::size_t>(flow) * stride_);
  route_length_[flow] = static_cast<std::uint32_t>(links.size());
  // Series links collapse to their class's representative (consecutive on the route).
  LinkId* out = constraints_.data() + static_cast<std::size_t>(flow) * stride_;
  std::uint32_t length = 0;
  for (LinkId link : links) {
    const LinkId constraint = constraint_of_[link];
    if (length == 0 || out[length - 1] != constraint) out[length++] = constraint;
  }
  constraint_length_[flow] = length;
}

}  // namespace moesim::network
