#pragma once
// Per-link accounting shared by the network models (internal to moesim_network).
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "network/network_model.h"

namespace moesim::network {

// Bytes delivered across each link and its time with >= 1 transferring flow; per tier, how many
// links are busy now (for timelines). Kept per class of links that always carry the same flows,
// indexed by the class's representative (`class_of`, e.g. FlowRoutes::constraint_of, whose series
// links share every flow); without `class_of` every link is its own class.
struct LinkAccounts {
  std::vector<LinkId> class_of;  // link -> its class's representative
  // Per representative:
  std::vector<std::uint64_t> bytes;
  std::vector<std::int64_t> busy_ps;
  std::vector<std::uint32_t> transferring;  // flows crossing the class now
  std::vector<std::int64_t> busy_since_ps;
  std::vector<std::array<std::uint32_t, kLinkTierCount>> class_tiers;  // its links per tier
  std::array<std::uint32_t, kLinkTierCount> busy_links{};
  std::array<std::uint32_t, kLinkTierCount> tier_links{};

  explicit LinkAccounts(const Fabric& fabric, std::vector<LinkId> class_of_link = {})
      : class_of(std::move(class_of_link)),
        bytes(fabric.link_count(), 0),
        busy_ps(fabric.link_count(), 0),
        transferring(fabric.link_count(), 0),
        busy_since_ps(fabric.link_count(), 0),
        class_tiers(fabric.link_count()) {
    if (class_of.empty())
      for (LinkId id = 0; id < fabric.link_count(); ++id) class_of.push_back(id);
    for (LinkId id = 0; id < fabric.link_count(); ++id) {
      const auto tier = static_cast<std::size_t>(fabric.link(id).tier);
      ++class_tiers[class_of[id]][tier];
      ++tier_links[tier];
    }
  }

  // A flow starts / stops crossing the class `rep`; true when the class turns busy / idle.
  bool start(LinkId rep, std::int64_t now_ps) {
    if (transferring[rep]++ > 0) return false;
    busy_since_ps[rep] = now_ps;
    for (std::size_t t = 0; t < kLinkTierCount; ++t) busy_links[t] += class_tiers[rep][t];
    return true;
  }
  bool stop(LinkId rep, std::int64_t now_ps) {
    if (--transferring[rep] > 0) return false;
    busy_ps[rep] += now_ps - busy_since_ps[rep];
    for (std::size_t t = 0; t < kLinkTierCount; ++t) busy_links[t] -= class_tiers[rep][t];
    return true;
  }

  std::uint64_t link_bytes(LinkId link) const { return bytes.at(class_of.at(link)); }
  std::int64_t busy_at(LinkId link, std::int64_t now_ps) const {
    const LinkId rep = class_of[link];
    return busy_ps[rep] + (transferring[rep] > 0 ? now_ps - busy_since_ps[rep] : 0);
  }
  TierUsage usage(const Fabric& fabric, LinkTier tier, std::int64_t now_ps) const {
    TierUsage usage;
    for (LinkId id = 0; id < fabric.link_count(); ++id) {
      const Link& link = fabric.link(id);
      if (link.tier != tier) continue;
      usage.bytes += bytes[class_of[id]];
      usage.busy_link_seconds += static_cast<double>(busy_at(id, now_ps)) / 1e12;
      usage.capacity_bytes_per_second += link.bandwidth_bytes_per_second;
      ++usage.links;
    }
    return usage;
  }

  // Timelines: after record_to(samples), record(now) appends a sample for every tier whose count
  // of busy links changed since the last one.
  void record_to(std::vector<TierActivity>* samples) {
    activity = samples;
    recorded_busy = busy_links;
  }
  void record(std::int64_t now_ps) {
    if (!activity) return;
    for (std::size_t tier = 0; tier < kLinkTierCount; ++tier) {
      if (busy_links[tier] == recorded_busy[tier]) continue;
      recorded_busy[tier] = busy_links[tier];
      activity->push_back({sim::Picoseconds{now_ps}, static_cast<LinkTier>(tier), busy_links[tier],
                           tier_links[tier]});
    }
  }

 private:
  std::vector<TierActivity>* activity = nullptr;
  std::array<std::uint32_t, kLinkTierCount> recorded_busy{};
};

}  // namespace moesim::network
