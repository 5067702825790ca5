#pragma once
// A deliberately naive reference of the flow model, for tests and bench/network_bench.cpp: one
// event per flow start and per flow end (never batched), and at every event every rate is
// recomputed from scratch by plain progressive filling (each step scans every link for the smallest
// fair share). Same timing rule and rounding as FlowNetwork.
#include <algorithm>
#include <limits>
#include <map>
#include <vector>

#include "network/max_min.h"
#include "network/network.h"
#include "topology/fabric.h"

namespace moesim::network::testing {

// One event per flow start and per flow end; at every event all rates are recomputed from scratch
// by plain progressive filling (each step scans every link for the smallest fair share). Same
// timing rule and rounding.
class NaiveFlowSimulation {
 public:
  explicit NaiveFlowSimulation(const Fabric& fabric) : fabric_(fabric) {}

  // Returns the makespan; delivery times by message tag are in delivered_ps().
  sim::Picoseconds run(const std::vector<Message>& messages) {
    const std::size_t flows = messages.size();
    std::vector<std::vector<LinkId>> routes(flows);
    std::vector<std::int64_t> start(flows);
    std::vector<double> remaining(flows), rate(flows, 0);
    for (std::size_t f = 0; f < flows; ++f) {
      const Message& m = messages[f];
      fabric_.route(m.source, m.destination, m.tag, routes[f]);
      start[f] = (m.release + route_timing(fabric_, routes[f]).before_transfer()).count();
      remaining[f] = static_cast<double>(m.bytes);
    }
    std::vector<std::size_t> order(flows);
    for (std::size_t f = 0; f < flows; ++f) order[f] = f;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return start[a] < start[b]; });
    std::vector<std::size_t> active;
    std::size_t next_start = 0;
    std::int64_t now = 0, last_end = 0;
    while (next_start < flows || !active.empty()) {
      // The next event: one start or one end (never batched).
      std::int64_t next_end = std::numeric_limits<std::int64_t>::max();
      std::size_t ending = 0;
      for (std::size_t i = 0; i < active.size(); ++i) {
        const std::size_t f = active[i];
        const std::int64_t end = now + transfer_picoseconds(remaining[f], rate[f]);
        if (end < next_end) next_end = end, ending = i;
      }
      const bool is_start = next_start < flows && start[order[next_start]] <= next_end;
      const std::int64_t at = is_start ? start[order[next_start]] : next_end;
      for (std::size_t f : active)
        remaining[f] = std::max(0.0, remaining[f] - rate[f] * (at - now) * 1e-12);
      now = at;
      if (is_start) {
        active.push_back(order[next_start++]);
      } else {
        delivered_ps_[messages[active[ending]].tag] = now;
        active[ending] = active.back();
        active.pop_back();
        last_end = now;
      }
      solve(active, routes, rate);
    }
    return sim::Picoseconds{last_end};
  }

 private:
  void solve(const std::vector<std::size_t>& active, const std::vector<std::vector<LinkId>>& routes,
             std::vector<double>& rate) {
    const std::size_t links = fabric_.link_count();
    std::vector<double> residual(links);
    std::vector<std::size_t> unfrozen(links, 0);
    std::vector<std::vector<std::size_t>> on_link(links);
    for (LinkId id = 0; id < links; ++id)
      residual[id] = fabric_.link(id).bandwidth_bytes_per_second;
    for (std::size_t f : active)
      for (LinkId id : routes[f]) ++unfrozen[id], on_link[id].push_back(f);
    std::vector<bool> frozen(rate.size(), false);
    for (;;) {
      double share = std::numeric_limits<double>::infinity();
      LinkId bottleneck = 0;
      for (LinkId id = 0; id < links; ++id)
        if (unfrozen[id] > 0 && residual[id] / unfrozen[id] < share)
          share = residual[id] / unfrozen[id], bottleneck = id;
      if (share == std::numeric_limits<double>::infinity()) break;
      for (std::size_t f : on_link[bottleneck]) {
        if (frozen[f]) continue;
        frozen[f] = true;
        rate[f] = share;
        for (LinkId id : routes[f]) residual[id] -= share, --unfrozen[id];
      }
    }
  }

  const Fabric& fabric_;
  std::map<std::uint64_t, std::int64_t> delivered_ps_;

 public:
  const std::map<std::uint64_t, std::int64_t>& delivered_ps() const { return delivered_ps_; }
};

}  // namespace moesim::network::testing
