#include "network/network_model.h"

#include <algorithm>

namespace moesim::network {

RouteTiming route_timing(const Fabric& fabric, std::span<const LinkId> links) {
  RouteTiming timing;
  if (links.empty()) return timing;
  for (LinkId id : links) {
    const Link& link = fabric.link(id);
    timing.highest_tier = std::max(timing.highest_tier, link.tier);
    timing.latency += link.latency;
    timing.bottleneck_bytes_per_second =
        std::min(timing.bottleneck_bytes_per_second, link.bandwidth_bytes_per_second);
  }
  timing.overhead = fabric.message_overhead(timing.highest_tier);
  return timing;
}

}  // namespace moesim::network
