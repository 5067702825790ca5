#include "network/fast_network.h"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <stdexcept>

#include "network/rate_solver.h"

namespace moesim::network {

using sim::Picoseconds;

namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
constexpr LinkId kNone = std::numeric_limits<LinkId>::max();
// Between epochs a link's O can exceed what its capacity leaves its group (the other groups'
// levels moved on); its level then stops at this fraction of its capacity per member and an epoch
// follows at once.
constexpr double kFloor = 1e-3;
// Fewest starts and ends between two epochs.
constexpr double kMinEpochEvents = 16;

template <class T>
void heap_push(std::vector<T>& heap, const T& entry) {
  heap.push_back(entry);
  std::push_heap(heap.begin(), heap.end(), std::greater<>{});
}

template <class T>
void heap_pop(std::vector<T>& heap) {
  std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
  heap.pop_back();
}

}  // namespace

struct FastNetwork::State final : sim::EventHandler {
  // A message from its start to its delivery (hot fields; tag and bytes live apart).
  struct Flow {
    double key = 0;             // its finish on its group's virtual clock (bytes per flow)
    double counted = 0;         // its rate as counted in O of its other links
    double bytes_left = 0;      // bytes to move when (re)placed
    LinkId group = kNone;       // the link whose group holds it (kNone: not transferring)
    std::uint32_t version = 0;  // moves on when it leaves a group (its key entry is stale)
    std::uint32_t active_pos = 0;
    std::uint32_t hops = 0;  // constraint links (series links merged)
  };
  // Per slot, apart from the records so that an epoch's scans touch little memory: the slot's
  // life (moves on when the slot is freed, making its on_link entries stale) and the epoch that
  // placed the flow last.
  struct Mark {
    std::uint32_t life = 0;
    std::uint32_t epoch = 0;
  };
  // A constraint link (the representative of its series class) and its group.
  struct Link {
    double capacity = 0;
    double other = 0;        // O: the rates counted for flows of other groups
    double level = 0;        // λ = (capacity - O) / members, while members > 0
    double clock_bytes = 0;  // the group's virtual clock V at clock_ps
    std::int64_t clock_ps = 0;
    std::uint32_t members = 0;
    std::uint32_t transferring = 0;  // flows crossing the link
    std::uint32_t stale = 0;         // entries of on_link whose flow has ended
    std::uint32_t version = 0;       // moves on when its finish entry is stale
    std::uint8_t touched = 0, refresh = 0;
    double epoch_clock = 0;  // V at the start of the running epoch
  };
  struct KeyEntry {  // a group member by finish key
    double key;
    FlowIndex flow;
    std::uint32_t version;
    bool operator>(const KeyEntry& o) const { return key != o.key ? key > o.key : flow > o.flow; }
  };
  struct FinishEntry {  // a group's next finish
    std::int64_t finish_ps;
    LinkId link;
    std::uint32_t version;
    bool operator>(const FinishEntry& o) const {
      return finish_ps != o.finish_ps ? finish_ps > o.finish_ps : link > o.link;
    }
  };
  struct BucketEntry {  // the messages whose transfer starts at one instant
    std::int64_t start_ps;
    std::uint64_t sequence;
    std::uint32_t bucket;
    bool operator>(const BucketEntry& o) const {
      return start_ps != o.start_ps ? start_ps > o.start_ps : sequence > o.sequence;
    }
  };

  sim::Engine& engine;
  Fabric fabric;
  MessageSink& sink;
  FastNetworkOptions options;
  sim::HandlerId handler = 0;
  FlowRoutes routes;  // capacities and series classes
  FastNetworkStats stats;

  // Flows by slot.
  std::vector<Flow> flows;
  std::vector<Mark> marks;
  std::vector<LinkId> flow_links;  // constraint links, `stride` per slot
  std::size_t stride = 4;
  std::vector<std::uint64_t> tag, message_bytes;
  std::vector<FlowIndex> free_slots, active, added, finished;

  // Pending starts, bucketed by instant: the messages a GPU releases together start together.
  std::vector<std::vector<FlowIndex>> buckets;
  std::vector<std::uint32_t> free_buckets;
  std::vector<BucketEntry> bucket_heap;
  std::array<std::pair<std::int64_t, std::uint32_t>, 4> open_buckets{};
  std::size_t next_open = 0;
  std::uint64_t next_sequence = 0;

  // Links and groups.
  std::vector<Link> links;
  std::vector<std::vector<KeyEntry>> keys;
  std::vector<LinkId> touched, refresh_list;
  std::vector<FinishEntry> finishes;
  // The flows that started transferring on each link since its last epoch; an entry is stale
  // once the flow ended (its slot's life moved on), and epochs drop stale entries.
  struct OnLink {
    FlowIndex flow;
    std::uint32_t life;
  };
  std::vector<std::vector<OnLink>> on_link;

  // Accounts per series class (indexed by its representative).
  std::vector<std::uint64_t> class_bytes;
  std::vector<std::int64_t> class_busy_ps, class_busy_since;
  std::vector<std::array<std::uint32_t, kLinkTierCount>> class_tiers;
  std::array<std::uint32_t, kLinkTierCount> busy_links{}, tier_links{};

  // Epochs.
  double events_since_epoch = 0;
  std::size_t active_at_epoch = 0;
  bool epoch_requested = false;

  // Scratch for the fillings: the links a set of flows crosses (fill_links) and each link's
  // flows among them (csr_flows[csr_start[link] ..+ csr_count[link]]).
  SaturationHeap shares;
  std::vector<double> residual;
  std::vector<std::uint32_t> unfrozen, csr_count, csr_start;
  std::vector<std::uint8_t> in_fill;
  std::vector<LinkId> fill_links;
  std::vector<FlowIndex> csr_flows;
  std::vector<LinkId> path;

  // Deliveries and the engine.
  std::vector<std::pair<std::uint64_t, std::int64_t>> deliveries;
  sim::EventId wake;
  std::int64_t wake_ps = kNever;
  bool handling = false;
  std::vector<TierActivity>* activity = nullptr;
  std::array<std::uint32_t, kLinkTierCount> recorded_busy{};

  State(sim::Engine& engine_, const Fabric& fabric_, MessageSink& sink_,
        FastNetworkOptions options_)
      : engine(engine_), fabric(fabric_), sink(sink_), options(options_), routes(fabric_) {
    if (!(options.epoch_fraction >= 0))
      throw std::invalid_argument("FastNetwork: epoch_fraction must be >= 0");
    handler = engine.add_handler(*this);
    const std::size_t count = routes.link_count();
    links.resize(count);
    for (LinkId id = 0; id < count; ++id) links[id].capacity = routes.capacity(id);
    keys.resize(count);
    on_link.resize(count);
    class_bytes.assign(count, 0);
    class_busy_ps.assign(count, 0);
    class_busy_since.assign(count, 0);
    class_tiers.assign(count, {});
    for (LinkId id = 0; id < count; ++id) {
      const auto tier = static_cast<std::size_t>(fabric.link(id).tier);
      ++class_tiers[routes.constraint_of(id)][tier];
      ++tier_links[tier];
    }
    residual.assign(count, 0);
    unfrozen.assign(count, 0);
    csr_count.assign(count, 0);
    csr_start.assign(count, 0);
    in_fill.assign(count, 0);
    open_buckets.fill({-1, 0});
  }

  std::span<const LinkId> constraints(FlowIndex flow) const {
    return {flow_links.data() + static_cast<std::size_t>(flow) * stride, flows[flow].hops};
  }

  // Flows are visited in event order, not memory order: lists of them fetch a few ahead.
  void prefetch_flow(FlowIndex flow) const {
    __builtin_prefetch(&flows[flow]);
    __builtin_prefetch(&message_bytes[flow]);
    __builtin_prefetch(flow_links.data() + static_cast<std::size_t>(flow) * stride);
  }

  FlowIndex allocate_slot(std::size_t hops) {
    if (hops > stride) {  // re-stride (only when a longer route than any before appears)
      std::vector<LinkId> wider(flows.size() * hops);
      for (std::size_t slot = 0; slot < flows.size(); ++slot)
        std::copy_n(flow_links.begin() + slot * stride, flows[slot].hops,
                    wider.begin() + slot * hops);
      flow_links.swap(wider);
      stride = hops;
    }
    if (!free_slots.empty()) {
      const FlowIndex slot = free_slots.back();
      free_slots.pop_back();
      return slot;
    }
    flows.emplace_back();
    marks.emplace_back();
    tag.push_back(0);
    message_bytes.push_back(0);
    flow_links.resize(flows.size() * stride);
    return static_cast<FlowIndex>(flows.size() - 1);
  }

  // ---- Groups and their virtual clocks

  static double virtual_now(const Link& link, std::int64_t now_ps) {
    return link.clock_bytes + link.level * static_cast<double>(now_ps - link.clock_ps) * 1e-12;
  }

  void request_refresh(LinkId id) {
    if (links[id].refresh) return;
    links[id].refresh = 1;
    refresh_list.push_back(id);
  }

  void touch(LinkId id) {
    if (links[id].touched) return;
    links[id].touched = 1;
    touched.push_back(id);
  }

  void join(FlowIndex flow, LinkId id, std::int64_t now_ps) {
    Link& link = links[id];
    if (link.members == 0) {  // a fresh clock
      link.clock_bytes = 0;
      link.clock_ps = now_ps;
    }
    ++link.members;
    Flow& f = flows[flow];
    f.group = id;
    f.key = virtual_now(link, now_ps) + f.bytes_left;
    heap_push(keys[id], KeyEntry{f.key, flow, f.version});
    request_refresh(id);
  }

  // A finished flow leaves: its group loses a member, its other links its counted rate.
  void remove(FlowIndex flow, std::int64_t now_ps) {
    Flow& f = flows[flow];
    for (LinkId id : constraints(flow)) {
      Link& link = links[id];
      if (--link.transferring == 0) class_stop(id, now_ps);
      ++link.stale;
      if (id == f.group) {
        --link.members;
      } else {
        link.other -= f.counted;
      }
      touch(id);
    }
    request_refresh(f.group);
    ++f.version;
    f.group = kNone;
    const std::uint32_t pos = f.active_pos;
    active[pos] = active.back();
    flows[active[pos]].active_pos = pos;
    active.pop_back();
  }

  // A touched link's group level after local changes: (capacity - O) / members.
  void settle(LinkId id, std::int64_t now_ps) {
    Link& link = links[id];
    link.touched = 0;
    if (link.members == 0) return;
    double level = (link.capacity - link.other) / link.members;
    const double floor = kFloor * link.capacity / link.members;
    if (level < floor) {
      level = floor;
      if (!epoch_requested) ++stats.early_epochs;
      epoch_requested = true;
    }
    if (level == link.level) return;
    link.clock_bytes = virtual_now(link, now_ps);
    link.clock_ps = now_ps;
    link.level = level;
    request_refresh(id);
  }

  // Lists the links `list` crosses in fill_links and each link's flows of `list` in csr_flows.
  void index_by_link(const std::vector<FlowIndex>& list) {
    fill_links.clear();
    for (FlowIndex flow : list)
      for (LinkId id : constraints(flow)) {
        if (!in_fill[id]) {
          in_fill[id] = 1;
          fill_links.push_back(id);
          csr_count[id] = 0;
        }
        ++csr_count[id];
      }
    std::uint32_t offset = 0;
    for (LinkId id : fill_links) {
      in_fill[id] = 0;
      csr_start[id] = offset;
      offset += csr_count[id];
      csr_count[id] = 0;
    }
    csr_flows.resize(offset);
    for (FlowIndex flow : list)
      for (LinkId id : constraints(flow)) csr_flows[csr_start[id] + csr_count[id]++] = flow;
  }

  // The flows starting now, by progressive filling over the links they cross with every other
  // group held at its level: a link's group shares its level with the new flows that join it.
  void place_added(std::int64_t now_ps) {
    index_by_link(added);
    shares.clear();
    for (LinkId id : fill_links) {
      const Link& link = links[id];
      residual[id] = link.capacity - link.other;
      unfrozen[id] = link.members + csr_count[id];
      shares.add(std::max(0.0, residual[id]) / unfrozen[id], id);
    }
    shares.heapify();
    LinkId saturating = 0;
    double share = 0;
    std::size_t left = added.size();
    while (left > 0 && shares.pop(residual, unfrozen, saturating, share)) {
      const double rate =
          std::max(share, kFloor * links[saturating].capacity / unfrozen[saturating]);
      unfrozen[saturating] = 0;
      const FlowIndex* begin = csr_flows.data() + csr_start[saturating];
      for (const FlowIndex* it = begin; it != begin + csr_count[saturating]; ++it) {
        Flow& f = flows[*it];
        if (f.group != kNone) continue;
        join(*it, saturating, now_ps);
        f.counted = rate;
        --left;
        for (LinkId id : constraints(*it)) {
          if (id == saturating) continue;
          residual[id] -= rate;
          if (unfrozen[id] > 0) --unfrozen[id];
          links[id].other += rate;
        }
      }
    }
    for (LinkId id : fill_links) touch(id);
  }

  // ---- Epochs: progressive filling over every transferring flow (exact max-min)

  void epoch(std::int64_t now_ps) {
    ++stats.epochs;
    stats.epoch_flows += active.size();
    const std::uint32_t stamp = static_cast<std::uint32_t>(stats.epochs);
    // Groups are re-formed from scratch; a group's virtual clock runs on at its new level, so a
    // flow that stays in its group keeps its finish key, and one that moves reads what it has left
    // off its old group's clock.
    fill_links.clear();
    shares.clear();
    for (LinkId id = 0; id < links.size(); ++id) {
      Link& link = links[id];
      link.epoch_clock = link.members > 0 ? virtual_now(link, now_ps) : 0;
      link.members = 0;
      link.other = 0;
      link.touched = 0;
      link.refresh = 0;
      ++link.version;  // every finish entry is stale
      std::vector<OnLink>& on = on_link[id];
      if (link.transferring == 0) {
        on.clear();
        link.stale = 0;
        continue;
      }
      if (link.stale > link.transferring) {
        std::erase_if(on, [&](const OnLink& e) { return marks[e.flow].life != e.life; });
        link.stale = 0;
      }
      fill_links.push_back(id);
      residual[id] = link.capacity;
      unfrozen[id] = link.transferring;
      shares.add(residual[id] / unfrozen[id], id);
    }
    touched.clear();
    refresh_list.clear();
    finishes.clear();
    shares.heapify();
    double level = 0;
    LinkId saturating = 0;
    double share = 0;
    while (shares.pop(residual, unfrozen, saturating, share)) {
      level = std::max(level, share);
      Link& link = links[saturating];
      const double rate = std::max(level, kFloor * link.capacity / unfrozen[saturating]);
      link.clock_bytes = link.epoch_clock;
      link.clock_ps = now_ps;
      link.level = rate;
      request_refresh(saturating);
      const std::vector<OnLink>& on = on_link[saturating];
      for (std::size_t i = 0; i < on.size(); ++i) {
        // The scan jumps between flow records: fetch a few entries ahead (the epoch's main cost on
        // large fabrics is these cache misses).
        if (i + 16 < on.size()) __builtin_prefetch(&marks[on[i + 16].flow]);
        if (i + 8 < on.size()) {
          const FlowIndex ahead = on[i + 8].flow;
          __builtin_prefetch(&flows[ahead]);
          __builtin_prefetch(flow_links.data() + static_cast<std::size_t>(ahead) * stride);
        }
        const OnLink& entry = on[i];
        const FlowIndex flow = entry.flow;
        Mark& mark = marks[flow];
        if (mark.life != entry.life || mark.epoch == stamp) continue;
        mark.epoch = stamp;
        Flow& f = flows[flow];
        if (f.group != saturating) {  // a new group: a new key
          if (f.group != kNone) f.bytes_left = std::max(0.0, f.key - links[f.group].epoch_clock);
          ++f.version;
          f.group = saturating;
          f.key = link.epoch_clock + f.bytes_left;
          heap_push(keys[saturating], KeyEntry{f.key, flow, f.version});
        }
        f.counted = rate;
        ++link.members;
        for (LinkId id : constraints(flow)) {
          residual[id] -= level;
          --unfrozen[id];
          if (id != saturating) links[id].other += rate;
        }
      }
    }
    events_since_epoch = 0;
    active_at_epoch = active.size();
    epoch_requested = false;
  }

  // ---- Finishes

  static std::int64_t finish_of(const Link& link, double key) {
    return link.clock_ps + transfer_picoseconds(key - link.clock_bytes, link.level);
  }

  void drop_stale_keys(LinkId id) {
    std::vector<KeyEntry>& heap = keys[id];
    if (heap.size() > 2 * links[id].members + 16) {  // mostly stale: rebuild
      std::erase_if(heap, [&](const KeyEntry& e) { return e.version != flows[e.flow].version; });
      std::make_heap(heap.begin(), heap.end(), std::greater<>{});
      return;
    }
    while (!heap.empty() && heap.front().version != flows[heap.front().flow].version)
      heap_pop(heap);
  }

  void refresh_finishes() {
    for (LinkId id : refresh_list) {
      Link& link = links[id];
      link.refresh = 0;
      ++link.version;
      if (link.members == 0) {
        keys[id].clear();
        continue;
      }
      drop_stale_keys(id);
      heap_push(finishes, FinishEntry{finish_of(link, keys[id].front().key), id, link.version});
    }
    refresh_list.clear();
    if (finishes.size() > 4 * links.size() + 1024) {  // mostly stale: rebuild
      std::erase_if(finishes,
                    [&](const FinishEntry& e) { return e.version != links[e.link].version; });
      std::make_heap(finishes.begin(), finishes.end(), std::greater<>{});
    }
  }

  std::int64_t next_finish_ps() {
    while (!finishes.empty() && finishes.front().version != links[finishes.front().link].version)
      heap_pop(finishes);
    return finishes.empty() ? kNever : finishes.front().finish_ps;
  }

  // Removes every flow whose last byte is transferred by now into `finished`.
  void take_finished(std::int64_t now_ps) {
    finished.clear();
    while (!finishes.empty()) {
      const FinishEntry top = finishes.front();
      const bool current = top.version == links[top.link].version;
      if (current && top.finish_ps > now_ps) break;
      heap_pop(finishes);
      if (!current) continue;
      const LinkId id = top.link;
      for (;;) {
        drop_stale_keys(id);
        if (keys[id].empty() || finish_of(links[id], keys[id].front().key) > now_ps) break;
        const FlowIndex flow = keys[id].front().flow;
        heap_pop(keys[id]);
        remove(flow, now_ps);
        finished.push_back(flow);
      }
      request_refresh(id);
    }
  }

  // ---- Accounts (per series class: its links carry the same flows)

  void class_start(LinkId id, std::int64_t now_ps) {
    if (links[id].transferring++ > 0) return;
    class_busy_since[id] = now_ps;
    for (std::size_t t = 0; t < kLinkTierCount; ++t) busy_links[t] += class_tiers[id][t];
  }

  void class_stop(LinkId id, std::int64_t now_ps) {  // the last transferring flow left
    class_busy_ps[id] += now_ps - class_busy_since[id];
    for (std::size_t t = 0; t < kLinkTierCount; ++t) busy_links[t] -= class_tiers[id][t];
  }

  std::int64_t busy_at(LinkId id, std::int64_t now_ps) const {
    const LinkId rep = routes.constraint_of(id);
    return class_busy_ps[rep] + (links[rep].transferring > 0 ? now_ps - class_busy_since[rep] : 0);
  }

  void record_activity(std::int64_t now_ps) {
    for (std::size_t tier = 0; tier < kLinkTierCount; ++tier) {
      if (busy_links[tier] == recorded_busy[tier]) continue;
      recorded_busy[tier] = busy_links[tier];
      activity->push_back(
          {Picoseconds{now_ps}, static_cast<LinkTier>(tier), busy_links[tier], tier_links[tier]});
    }
  }

  // ---- The model

  void ensure_wake(std::int64_t when_ps) {
    if (handling || when_ps >= wake_ps) return;
    wake_ps = when_ps;
    wake = wake.valid() ? engine.reschedule(wake, Picoseconds{when_ps})
                        : engine.schedule_at(Picoseconds{when_ps}, handler, 0);
  }

  std::uint32_t bucket_for(std::int64_t start_ps) {
    for (const auto& [start, bucket] : open_buckets)
      if (start == start_ps) return bucket;
    std::uint32_t bucket = 0;
    if (!free_buckets.empty()) {
      bucket = free_buckets.back();
      free_buckets.pop_back();
    } else {
      bucket = static_cast<std::uint32_t>(buckets.size());
      buckets.emplace_back();
    }
    heap_push(bucket_heap, BucketEntry{start_ps, next_sequence++, bucket});
    open_buckets[next_open] = {start_ps, bucket};
    next_open = (next_open + 1) % open_buckets.size();
    return bucket;
  }

  void submit(const Message& message) {
    if (message.release < engine.now())
      throw std::invalid_argument(
          "FastNetwork::submit: release time is earlier than the engine's now()");
    if (message.source >= fabric.gpu_count() || message.destination >= fabric.gpu_count())
      throw std::invalid_argument("FastNetwork::submit: GPU index out of range");
    ++stats.messages_submitted;
    fabric.route(message.source, message.destination, message.tag, path);
    const std::int64_t start_ps =
        (message.release + route_timing(fabric, path).before_transfer()).count();
    const FlowIndex flow = allocate_slot(path.size());
    tag[flow] = message.tag;
    message_bytes[flow] = path.empty() ? 0 : message.bytes;
    // Series links collapse to their class's representative (consecutive on the route).
    LinkId* out = flow_links.data() + static_cast<std::size_t>(flow) * stride;
    std::uint32_t hops = 0;
    for (LinkId id : path) {
      const LinkId constraint = routes.constraint_of(id);
      if (hops == 0 || out[hops - 1] != constraint) out[hops++] = constraint;
    }
    flows[flow].hops = hops;
    buckets[bucket_for(start_ps)].push_back(flow);
    ensure_wake(start_ps);
  }

  void deliver(FlowIndex flow, std::int64_t now_ps) {
    for (LinkId id : constraints(flow)) class_bytes[id] += message_bytes[flow];
    deliveries.emplace_back(tag[flow], now_ps);
    ++marks[flow].life;
    free_slots.push_back(flow);
    ++stats.messages_delivered;
  }

  void start_transfers(std::int64_t now_ps) {
    added.clear();
    while (!bucket_heap.empty() && bucket_heap.front().start_ps <= now_ps) {
      const std::uint32_t bucket = bucket_heap.front().bucket;
      heap_pop(bucket_heap);
      for (auto& open : open_buckets)
        if (open.second == bucket) open.first = -1;
      const std::vector<FlowIndex>& starting = buckets[bucket];
      for (std::size_t i = 0; i < starting.size(); ++i) {
        if (i + 4 < starting.size()) prefetch_flow(starting[i + 4]);
        const FlowIndex flow = starting[i];
        if (message_bytes[flow] == 0) {  // zero bytes, or a GPU sending to itself
          deliver(flow, now_ps);
          continue;
        }
        Flow& f = flows[flow];
        f.bytes_left = static_cast<double>(message_bytes[flow]);
        f.active_pos = static_cast<std::uint32_t>(active.size());
        active.push_back(flow);
        added.push_back(flow);
        for (LinkId id : constraints(flow)) {
          class_start(id, now_ps);
          on_link[id].push_back(OnLink{flow, marks[flow].life});
        }
      }
      buckets[bucket].clear();
      free_buckets.push_back(bucket);
    }
  }

  void on_event(sim::Engine&, std::uint64_t) override {
    ++stats.engine_events;
    handling = true;
    wake_ps = kNever;
    const std::int64_t now_ps = engine.now().count();
    // 1. Flows whose last byte is transferred now; 2. flows whose overhead and latency end now.
    take_finished(now_ps);
    for (std::size_t i = 0; i < finished.size(); ++i) {
      if (i + 4 < finished.size()) prefetch_flow(finished[i + 4]);
      deliver(finished[i], now_ps);
    }
    start_transfers(now_ps);
    // 3. The rates: an exact re-solve, or local changes.
    const std::size_t changes = finished.size() + added.size();
    if (changes > 0) {
      events_since_epoch += static_cast<double>(changes);
      const double due = std::max(
          kMinEpochEvents,
          options.epoch_fraction * static_cast<double>(std::max(active_at_epoch, active.size())));
      if (epoch_requested || options.epoch_fraction == 0 || events_since_epoch >= due) {
        epoch(now_ps);
      } else {
        if (!added.empty()) place_added(now_ps);
        for (LinkId id : touched) settle(id, now_ps);
        touched.clear();
        if (epoch_requested) epoch(now_ps);
      }
      if (activity) record_activity(now_ps);
    }
    refresh_finishes();
    // 4. The next instant at which anything changes.
    std::int64_t next_ps = next_finish_ps();
    if (!bucket_heap.empty()) next_ps = std::min(next_ps, bucket_heap.front().start_ps);
    handling = false;
    if (next_ps != kNever) ensure_wake(next_ps);
    // 5. Callbacks last: they may submit new messages.
    for (const auto& [delivered_tag, at_ps] : deliveries)
      sink.on_delivered(delivered_tag, Picoseconds{at_ps});
    deliveries.clear();
  }
};

FastNetwork::FastNetwork(sim::Engine& engine, const Fabric& fabric, MessageSink& sink,
                         FastNetworkOptions options)
    : state_(std::make_unique<State>(engine, fabric, sink, options)) {}

FastNetwork::~FastNetwork() = default;

void FastNetwork::submit(const Message& message) {
  state_->submit(message);
}

TierUsage FastNetwork::tier_usage(LinkTier tier) const {
  const State& s = *state_;
  const std::int64_t now_ps = s.engine.now().count();
  TierUsage usage;
  for (LinkId id = 0; id < s.fabric.link_count(); ++id) {
    const topology::Link& link = s.fabric.link(id);
    if (link.tier != tier) continue;
    usage.bytes += s.class_bytes[s.routes.constraint_of(id)];
    usage.busy_link_seconds += static_cast<double>(s.busy_at(id, now_ps)) / 1e12;
    usage.capacity_bytes_per_second += link.bandwidth_bytes_per_second;
    ++usage.links;
  }
  return usage;
}

std::uint64_t FastNetwork::link_bytes(LinkId link) const {
  return state_->class_bytes.at(state_->routes.constraint_of(link));
}

sim::Picoseconds FastNetwork::link_busy_time(LinkId link) const {
  return Picoseconds{state_->busy_at(link, state_->engine.now().count())};
}

bool FastNetwork::record_tier_activity(std::vector<TierActivity>* samples) {
  state_->activity = samples;
  state_->recorded_busy = state_->busy_links;
  return true;
}

std::size_t FastNetwork::in_flight() const {
  return state_->stats.messages_submitted - state_->stats.messages_delivered;
}

const FastNetworkStats& FastNetwork::stats() const {
  return state_->stats;
}

}  // namespace moesim::network
