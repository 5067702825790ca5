#pragma once
// Per-link accounting shared by the network models (internal to moesim_network).
#include <array>
#include <cstdint>
#include <vector>

#include "network/network_model.h"

namespace moesim::network {

// Per directed link: bytes delivered across it and time with >= 1 transferring flow; per tier, how
// many links are busy now (for timelines).
struct LinkAccounts {
  std::vector<std::uint64_t> bytes;
  std::vector<std::int64_t> busy_ps;
  std::vector<std::uint32_t> transferring;
  std::vector<std::int64_t> busy_since_ps;
  std::vector<LinkTier> tier;
  std::array<std::uint32_t, kLinkTierCount> busy_links{};
  std::array<std::uint32_t, kLinkTierCount> tier_links{};

  explicit LinkAccounts(const Fabric& fabric)
      : bytes(fabric.link_count(), 0),
        busy_ps(fabric.link_count(), 0),
        transferring(fabric.link_count(), 0),
        busy_since_ps(fabric.link_count(), 0),
        tier(fabric.link_count()) {
    for (LinkId id = 0; id < fabric.link_count(); ++id) {
      tier[id] = fabric.link(id).tier;
      ++tier_links[static_cast<std::size_t>(tier[id])];
    }
  }

  void start(LinkId link, std::int64_t now_ps) {
    if (transferring[link]++ > 0) return;
    busy_since_ps[link] = now_ps;
    ++busy_links[static_cast<std::size_t>(tier[link])];
  }
  void stop(LinkId link, std::int64_t now_ps) {
    if (--transferring[link] > 0) return;
    busy_ps[link] += now_ps - busy_since_ps[link];
    --busy_links[static_cast<std::size_t>(tier[link])];
  }
  std::int64_t busy_at(LinkId link, std::int64_t now_ps) const {
    return busy_ps[link] + (transferring[link] > 0 ? now_ps - busy_since_ps[link] : 0);
  }
  TierUsage usage(const Fabric& fabric, LinkTier tier, std::int64_t now_ps) const {
    TierUsage usage;
    for (LinkId id = 0; id < fabric.link_count(); ++id) {
      const Link& link = fabric.link(id);
      if (link.tier != tier) continue;
      usage.bytes += bytes[id];
      usage.busy_link_seconds += static_cast<double>(busy_at(id, now_ps)) / 1e12;
      usage.capacity_bytes_per_second += link.bandwidth_bytes_per_second;
      ++usage.links;
    }
    return usage;
  }
};

}  // namespace moesim::network
