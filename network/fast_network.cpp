#include "network/fast_network.h"

#include <algorithm>
#include <stdexcept>

#include "network/fast_network_state.h"

namespace moesim::network {

using sim::Picoseconds;

FastNetwork::State::State(sim::Engine& engine_, const Fabric& fabric_, MessageSink& sink_,
                          FastNetworkOptions options_)
    : engine(engine_),
      fabric(fabric_),
      sink(sink_),
      options(options_),
      routes(fabric_),
      accounts(fabric_, routes.constraints_of_links()) {
  if (!(options.epoch_fraction >= 0))
    throw std::invalid_argument("FastNetwork: epoch_fraction must be >= 0");
  handler = engine.add_handler(*this);
  const std::size_t count = routes.link_count();
  links.resize(count);
  other.assign(count, 0);
  for (LinkId id = 0; id < count; ++id) links[id].capacity = routes.capacity(id);
  keys.resize(count);
  on_link.resize(count);
  route_links.resize(count);
  for (LinkId id = 0; id < count; ++id) {
    const topology::Link& link = fabric.link(id);
    route_links[id] = {link.latency.count(), routes.constraint_of(id),
                       static_cast<std::uint8_t>(link.tier)};
  }
  for (std::size_t tier = 0; tier < kLinkTierCount; ++tier)
    overhead_ps[tier] = fabric.message_overhead(static_cast<LinkTier>(tier)).count();
  residual.assign(count, 0);
  unfrozen.assign(count, 0);
  added_on.assign(count, 0);
  finishes.resize(count);
  open_buckets.fill({-1, 0});
}

FlowIndex FastNetwork::State::allocate_slot() {
  if (!free_slots.empty()) {
    const FlowIndex slot = free_slots.back();
    free_slots.pop_back();
    return slot;
  }
  flows.emplace_back();
  payloads.emplace_back();
  active_pos.push_back(0);
  long_links.resize(flows.size() * long_stride);
  return static_cast<FlowIndex>(flows.size() - 1);
}

void FastNetwork::State::set_constraints(FlowIndex flow) {
  const std::size_t hops = hop_scratch.size();
  if (hops <= kInlineLinks) {
    Flow& f = flows[flow];
    f.hops = static_cast<std::uint32_t>(hops);
    // A fixed count, not std::copy, which compiles to a call to memmove (2 % of the EP288 step's
    // profile).
    for (std::size_t i = 0; i < kInlineLinks; ++i) f.links[i] = i < hops ? hop_scratch[i] : 0;
    return;
  }
  flows[flow].hops = 0;      // not copied by a re-stride
  if (hops > long_stride) {  // re-stride (only when a longer route than any before appears)
    std::vector<LinkId> wider(flows.size() * hops);
    for (std::size_t slot = 0; slot < flows.size(); ++slot)
      if (flows[slot].hops > kInlineLinks)
        std::copy_n(long_links.data() + slot * long_stride, flows[slot].hops,
                    wider.data() + slot * hops);
    long_links.swap(wider);
    long_stride = hops;
  }
  flows[flow].hops = static_cast<std::uint32_t>(hops);
  std::copy(hop_scratch.begin(), hop_scratch.end(),
            long_links.data() + static_cast<std::size_t>(flow) * long_stride);
}

// A finished flow leaves: its group loses a member, its other links its counted rate; it is
// delivered (one pass over its links for both).
void FastNetwork::State::remove(FlowIndex flow, std::int64_t now_ps) {
  Flow& f = flows[flow];
  const std::uint64_t bytes = payloads[flow].bytes;
  for (LinkId id : constraints(flow)) {
    accounts.bytes[id] += bytes;
    accounts.stop(id, now_ps);
    Link& link = links[id];
    ++link.stale;
    if (id == f.group) {
      --link.members;
    } else {
      other[id] -= f.counted;
    }
    touch(id);
  }
  request_refresh(f.group);
  ++f.version;
  f.group = kNone;
  const std::uint32_t pos = active_pos[flow];
  active[pos] = active.back();
  active_pos[active[pos]] = pos;
  active.pop_back();
  release(flow, now_ps);
}

void FastNetwork::State::drop_stale_keys(LinkId id) {
  std::vector<KeyEntry>& heap = keys[id];
  if (heap.size() > 2 * links[id].members + 16) {  // mostly stale: rebuild
    std::erase_if(heap, [&](const KeyEntry& e) { return e.version != flows[e.flow].version; });
    min_heap_make(heap);
    return;
  }
  while (!heap.empty() && heap.front().version != flows[heap.front().flow].version)
    min_heap_pop(heap);
}

void FastNetwork::State::refresh_finishes() {
  for (LinkId id : refresh_list) {
    Link& link = links[id];
    link.refresh = 0;
    if (link.members == 0) {
      keys[id].clear();
      finishes.erase(id);
      continue;
    }
    drop_stale_keys(id);
    finishes.set(id, finish_of(link, keys[id].front().key));
  }
  refresh_list.clear();
}

std::int64_t FastNetwork::State::next_finish_ps() {
  return finishes.empty() ? kNever : finishes.top().key;
}

// Removes and delivers every flow whose last byte is transferred by now (listed in `finished`).
void FastNetwork::State::take_finished(std::int64_t now_ps) {
  finished.clear();
  while (!finishes.empty() && finishes.top().key <= now_ps) {
    const LinkId id = finishes.top().id;
    finishes.pop();
    for (;;) {
      drop_stale_keys(id);
      if (keys[id].empty() || finish_of(links[id], keys[id].front().key) > now_ps) break;
      // The records of this flow and of the next candidate are fetched while the heap pops.
      const FlowIndex flow = keys[id].front().flow;
      prefetch_flow(flow);
      min_heap_pop(keys[id]);
      if (!keys[id].empty()) prefetch_flow(keys[id].front().flow);
      remove(flow, now_ps);
      finished.push_back(flow);
    }
    request_refresh(id);
  }
}

void FastNetwork::State::ensure_wake(std::int64_t when_ps) {
  if (handling || when_ps >= wake_ps) return;
  wake_ps = when_ps;
  wake = wake.valid() ? engine.reschedule(wake, Picoseconds{when_ps})
                      : engine.schedule_at(Picoseconds{when_ps}, handler, 0);
}

std::uint32_t FastNetwork::State::bucket_for(std::int64_t start_ps) {
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
  min_heap_push(bucket_heap, BucketEntry{start_ps, next_sequence++, bucket});
  open_buckets[next_open] = {start_ps, bucket};
  next_open = (next_open + 1) % open_buckets.size();
  return bucket;
}

void FastNetwork::State::submit(const Message& message) {
  if (message.release < engine.now())
    throw std::invalid_argument(
        "FastNetwork::submit: release time is earlier than the engine's now()");
  if (message.source >= fabric.gpu_count() || message.destination >= fabric.gpu_count())
    throw std::invalid_argument("FastNetwork::submit: GPU index out of range");
  ++stats.messages_submitted;
  fabric.route(message.source, message.destination, message.tag, path);
  // One pass over the route: its timing (as route_timing computes it) and its constraint links,
  // series links collapsed to their class's representative (consecutive on the route).
  hop_scratch.clear();
  std::int64_t latency_ps = 0;
  std::uint8_t highest_tier = 0;
  for (LinkId id : path) {
    const RouteLink& link = route_links[id];
    latency_ps += link.latency_ps;
    highest_tier = std::max(highest_tier, link.tier);
    if (hop_scratch.empty() || hop_scratch.back() != link.constraint)
      hop_scratch.push_back(link.constraint);
  }
  const std::int64_t start_ps =
      message.release.count() + (path.empty() ? 0 : overhead_ps[highest_tier] + latency_ps);
  const FlowIndex flow = allocate_slot();
  payloads[flow] = {message.tag, path.empty() ? 0 : message.bytes};
  set_constraints(flow);
  buckets[bucket_for(start_ps)].push_back(flow);
  ensure_wake(start_ps);
}

void FastNetwork::State::release(FlowIndex flow, std::int64_t now_ps) {
  deliveries.emplace_back(payloads[flow].tag, now_ps);
  sink.will_deliver(payloads[flow].tag);  // the callback comes at the end of this instant
  ++flows[flow].life;
  free_slots.push_back(flow);
  ++stats.messages_delivered;
}

void FastNetwork::State::start_transfers(std::int64_t now_ps) {
  added.clear();
  for (LinkId id : fill_links) added_on[id] = 0;  // the last instant's counts
  fill_links.clear();
  while (!bucket_heap.empty() && bucket_heap.front().start_ps <= now_ps) {
    const std::uint32_t bucket = bucket_heap.front().bucket;
    min_heap_pop(bucket_heap);
    for (auto& open : open_buckets)
      if (open.second == bucket) open.first = -1;
    const std::vector<FlowIndex>& starting = buckets[bucket];
    for (std::size_t i = 0; i < starting.size(); ++i) {
      if (i + 4 < starting.size()) prefetch_flow(starting[i + 4]);
      const FlowIndex flow = starting[i];
      if (payloads[flow].bytes == 0) {  // zero bytes, or a GPU sending to itself
        release(flow, now_ps);
        continue;
      }
      Flow& f = flows[flow];
      f.bytes_left = static_cast<double>(payloads[flow].bytes);
      active_pos[flow] = static_cast<std::uint32_t>(active.size());
      active.push_back(flow);
      added.push_back(flow);
      for (LinkId id : constraints(flow)) {
        if (accounts.start(id, now_ps) && !links[id].listed) {
          links[id].listed = 1;
          epoch_links.push_back(id);
        }
        on_link[id].push_back(OnLink{flow, f.life});
        if (added_on[id]++ == 0) fill_links.push_back(id);
      }
    }
    buckets[bucket].clear();
    free_buckets.push_back(bucket);
  }
}

void FastNetwork::State::on_event(sim::Engine&, std::uint64_t) {
  ++stats.engine_events;
  handling = true;
  wake_ps = kNever;
  const std::int64_t now_ps = engine.now().count();
  // 1. Flows whose last byte is transferred now; 2. flows whose overhead and latency end now.
  take_finished(now_ps);
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
      // A level at its floor, or starved starts that made the epoch due: re-solve now.
      if (epoch_requested || events_since_epoch >= due) epoch(now_ps);
    }
    accounts.record(now_ps);
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

FastNetwork::FastNetwork(sim::Engine& engine, const Fabric& fabric, MessageSink& sink,
                         FastNetworkOptions options)
    : state_(std::make_unique<State>(engine, fabric, sink, options)) {}

FastNetwork::~FastNetwork() = default;

void FastNetwork::submit(const Message& message) {
  state_->submit(message);
}

TierUsage FastNetwork::tier_usage(LinkTier tier) const {
  return state_->accounts.usage(state_->fabric, tier, state_->engine.now().count());
}

std::uint64_t FastNetwork::link_bytes(LinkId link) const {
  return state_->accounts.link_bytes(link);
}

sim::Picoseconds FastNetwork::link_busy_time(LinkId link) const {
  return Picoseconds{state_->accounts.busy_at(link, state_->engine.now().count())};
}

bool FastNetwork::record_tier_activity(std::vector<TierActivity>* samples) {
  state_->accounts.record_to(samples);
  return true;
}

std::size_t FastNetwork::in_flight() const {
  return state_->stats.messages_submitted - state_->stats.messages_delivered;
}

const FastNetworkStats& FastNetwork::stats() const {
  return state_->stats;
}

}  // namespace moesim::network
