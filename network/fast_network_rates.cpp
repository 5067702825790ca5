#include <algorithm>
#include <limits>
#include <vector>

#include "network/fast_network_state.h"

namespace moesim::network {

using sim::Picoseconds;

// The flows starting now, by progressive filling over the links they cross with every other
// group held at its level: a link's group shares its level with the new flows that join it.
void FastNetwork::State::place_added(std::int64_t now_ps) {
  shares.clear();
  for (LinkId id : fill_links) {
    const Link& link = links[id];
    residual[id] = link.capacity - other[id];
    unfrozen[id] = link.members + added_on[id];
    shares.add(std::max(0.0, residual[id]) / unfrozen[id], id);
  }
  LinkId saturating = 0;
  double share = 0;
  std::size_t left = added.size();
  while (left > 0 && shares.pop(residual, unfrozen, saturating, share)) {
    const double capacity = links[saturating].capacity;
    const double rate = std::max(share, kFloor * capacity / unfrozen[saturating]);
    // Every flow frozen here gets `rate`: starved alike (kStarvedShare of the equal share).
    const bool starved = rate < kStarvedShare * capacity / accounts.transferring[saturating];
    unfrozen[saturating] = 0;
    // The flows starting now are the last entries of the link's list (start_transfers).
    const std::vector<OnLink>& on = on_link[saturating];
    for (auto it = on.end() - added_on[saturating]; it != on.end(); ++it) {
      const FlowIndex flow = it->flow;
      Flow& f = flows[flow];
      if (f.group != kNone) continue;
      join(flow, saturating, now_ps);
      f.counted = rate;
      --left;
      if (starved) {
        events_since_epoch += kStarvedExtraEvents;
        ++stats.starved_starts;
      }
      for (LinkId id : constraints(flow)) {
        if (id == saturating) continue;
        residual[id] -= rate;
        if (unfrozen[id] > 0) --unfrozen[id];
        other[id] += rate;
      }
    }
  }
  for (LinkId id : fill_links) touch(id);
}

void FastNetwork::State::epoch(std::int64_t now_ps) {
  ++stats.epochs;
  stats.epoch_flows += active.size();
  const std::uint32_t stamp = static_cast<std::uint32_t>(stats.epochs);
  // Groups are re-formed from scratch; a group's virtual clock runs on at its new level, so a
  // flow that stays in its group keeps its finish key, and one that moves reads what it has left
  // off its old group's clock.
  // Only the links some flow crossed since the last epoch can hold state to reset (epoch_links);
  // every other link was reset then and has stayed idle.
  double lowest = std::numeric_limits<double>::infinity();
  std::size_t kept = 0;
  for (const LinkId id : epoch_links) {
    Link& link = links[id];
    link.epoch_clock = link.members > 0 ? virtual_now(link, now_ps) : 0;
    link.members = 0;
    other[id] = 0;
    link.touched = 0;
    link.refresh = 0;
    std::vector<OnLink>& on = on_link[id];
    if (accounts.transferring[id] == 0) {
      on.clear();
      link.stale = 0;
      link.listed = 0;
      continue;
    }
    epoch_links[kept++] = id;
    if (link.stale > accounts.transferring[id]) {
      std::erase_if(on, [&](const OnLink& e) { return flows[e.flow].life != e.life; });
      link.stale = 0;
    }
    residual[id] = link.capacity;
    unfrozen[id] = accounts.transferring[id];
    lowest = std::min(lowest, residual[id] / unfrozen[id]);
  }
  epoch_links.resize(kept);
  // Keyed from the smallest share, so that each link lands in its bucket at once.
  shares.clear(lowest);
  for (const LinkId id : epoch_links) shares.add(residual[id] / unfrozen[id], id);
  touched.clear();
  refresh_list.clear();
  finishes.clear();
  double level = 0;
  LinkId saturating = 0;
  double share = 0;
  // Once every flow is frozen the links left in the heap have none unfrozen: stop there.
  std::size_t left = active.size();
  // The per-flow loop below is the epoch's hot path: plain pointers, loaded once.
  double* const residual_of = residual.data();
  std::uint32_t* const unfrozen_of = unfrozen.data();
  double* const other_of = other.data();
  while (left > 0 && shares.pop(residual, unfrozen, saturating, share)) {
    level = std::max(level, share);
    Link& link = links[saturating];
    const double rate = std::max(level, kFloor * link.capacity / unfrozen[saturating]);
    link.clock_bytes = link.epoch_clock;
    link.clock_ps = now_ps;
    link.level = rate;
    request_refresh(saturating);
    // The scan reads every entry's record anyway: it also drops the entries of ended flows
    // (keeping the others in order), which spares the link a pass of its own to drop them.
    std::vector<OnLink>& on = on_link[saturating];
    std::size_t live = 0;
    std::uint32_t members = 0;
    for (std::size_t i = 0; i < on.size(); ++i) {
      // The scan jumps between flow records: fetch 16 entries ahead (the epoch's main cost on
      // large fabrics is these cache misses; at EP288 16 was 5-10 % faster than 8).
      if (i + 16 < on.size()) __builtin_prefetch(&flows[on[i + 16].flow]);
      const OnLink entry = on[i];
      const FlowIndex flow = entry.flow;
      Flow& f = flows[flow];
      if (f.life != entry.life) continue;
      on[live++] = entry;
      if (f.epoch == stamp) continue;
      f.epoch = stamp;
      if (f.group != saturating) {  // a new group: a new key
        if (f.group != kNone) f.bytes_left = std::max(0.0, f.key - links[f.group].epoch_clock);
        ++f.version;
        f.group = saturating;
        f.key = link.epoch_clock + f.bytes_left;
        min_heap_push(keys[saturating], KeyEntry{f.key, flow, f.version});
      }
      f.counted = rate;
      ++members;
      for (LinkId id : constraints(flow)) {
        // The saturating link's own counts are done with: skipping them keeps every flow's
        // updates off one memory chain.
        if (id == saturating) continue;
        residual_of[id] -= level;
        --unfrozen_of[id];
        other_of[id] += rate;
      }
    }
    on.resize(live);
    link.stale = 0;
    link.members += members;
    left -= members;
    unfrozen[saturating] = 0;
  }
  events_since_epoch = 0;
  active_at_epoch = active.size();
  epoch_requested = false;
}

}  // namespace moesim::network
