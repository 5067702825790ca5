#include "network/rate_solver.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <limits>

namespace moesim::network {

[[noreturn]] void throw_transfer_out_of_range(double bytes, double rate_bytes_per_second) {
  char what[96];
  std::snprintf(what, sizeof what, "a transfer of %g bytes at %g B/s", bytes,
                rate_bytes_per_second);
  sim::throw_time_out_of_range(what, bytes / rate_bytes_per_second);
}

double SaturationHeap::share_of(std::uint64_t key) {
  return std::bit_cast<double>((key >> 63) != 0 ? key & ~(std::uint64_t{1} << 63) : ~key);
}

void SaturationHeap::clear() {
  for (std::uint64_t mask = occupied_; mask != 0; mask &= mask - 1)
    buckets_[std::countr_zero(mask)].clear();
  buckets_[64].clear();
  occupied_ = 0;
  top_occupied_ = false;
  last_ = 0;
}

double SaturationHeap::current_share(std::span<const double> residual,
                                     std::span<const std::uint32_t> unfrozen, LinkId link) {
  return std::max(0.0, residual[link]) / unfrozen[link];
}

void SaturationHeap::clear(double lowest) {
  clear();
  if (lowest < std::numeric_limits<double>::infinity()) last_ = key_of(lowest);
}

bool SaturationHeap::refill(std::span<const double> residual,
                            std::span<const std::uint32_t> unfrozen) {
  for (;;) {
    const std::uint64_t above_zero = occupied_ & ~std::uint64_t{1};
    const int from = above_zero != 0 ? std::countr_zero(above_zero) : (top_occupied_ ? 64 : -1);
    if (from < 0) return false;
    if (from < 64)
      occupied_ &= ~std::uint64_t{1} << from;
    else
      top_occupied_ = false;
    // While moving, links with no unfrozen flow left are dropped and the others take their
    // current share (never below their key): fewer entries to move and to pop again.
    // A share that grew past this bucket's range goes to its own (higher) bucket, still relative
    // to the old last: the buckets above `from` stay valid for the new last.
    std::vector<Entry>& moving = buckets_[from];
    std::size_t kept = 0;
    std::uint64_t lowest = ~std::uint64_t{0};
    for (const Entry& entry : moving) {
      if (unfrozen[entry.link] == 0) continue;
      const std::uint64_t key =
          std::max(entry.key, key_of(current_share(residual, unfrozen, entry.link)));
      if (bucket_of(key) != from) {
        insert(Entry{key, entry.link});
        continue;
      }
      lowest = std::min(lowest, key);
      moving[kept++] = Entry{key, entry.link};
    }
    if (kept == 0) {
      moving.clear();
      continue;
    }
    last_ = lowest;
    // Every entry lands in a lower bucket (it shares the bits above `from` with the new last).
    for (std::size_t i = 0; i < kept; ++i) insert(moving[i]);
    moving.clear();
    return true;
  }
}

bool SaturationHeap::pop(std::span<const double> residual, std::span<const std::uint32_t> unfrozen,
                         LinkId& link, double& share) {
  for (;;) {
    if ((occupied_ & 1) == 0 && !refill(residual, unfrozen)) return false;
    std::vector<Entry>& equal = buckets_[0];  // every key here is last_: the smallest link first
    std::size_t best = 0;
    for (std::size_t i = 1; i < equal.size(); ++i)
      if (equal[i].link < equal[best].link) best = i;
    const Entry entry = equal[best];
    equal[best] = equal.back();
    equal.pop_back();
    if (equal.empty()) occupied_ &= ~std::uint64_t{1};
    if (unfrozen[entry.link] == 0) continue;
    const double current = current_share(residual, unfrozen, entry.link);
    if (current > share_of(entry.key)) {
      insert(Entry{key_of(current), entry.link});
      continue;
    }
    link = entry.link;
    share = current;
    return true;
  }
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
