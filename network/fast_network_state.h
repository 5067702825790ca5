#pragma once
// Internal to network/: the state of the fast network (network/fast_network.h), shared by
// fast_network.cpp (messages, finishes, accounts, the event loop) and fast_network_rates.cpp (the
// rates: the placement of the flows starting at one instant, and the epochs' exact re-solve).
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "network/fast_network.h"
#include "network/link_accounts.h"
#include "network/min_heap.h"
#include "network/rate_solver.h"

namespace moesim::network {

struct FastNetwork::State final : sim::EventHandler {
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  static constexpr LinkId kNone = std::numeric_limits<LinkId>::max();
  // Between epochs a link's O can exceed what its capacity leaves its group (the other groups'
  // levels moved on); its level then stops at this fraction of its capacity per member and an
  // epoch follows at once.
  static constexpr double kFloor = 1e-3;
  // Fewest starts and ends between two epochs.
  static constexpr double kMinEpochEvents = 16;
  // A start placed at less than kStarvedShare of its equal share of its bottleneck (capacity over
  // the flows crossing it) counts kStarvedExtraEvents more towards the next epoch, which runs at
  // once if that makes it due: the placement holds the other groups at their levels, so a flow
  // arriving at a link that flows of other groups fill gets only what they leave until an epoch
  // lets it take its fair share (docs/fast-network.md, "Starved starts").
  static constexpr double kStarvedShare = 0.5;
  static constexpr double kStarvedExtraEvents = 20;

  // A message from its start to its delivery, with what an epoch reads of it in one cache line:
  // the finish key and rates, the slot's life (moves on when the slot is freed, making its on_link
  // entries stale), the filling that placed it last, and its constraint links (series links
  // merged) when it has at most kInlineLinks of them (longer routes keep theirs in long_links).
  // Tag and bytes live apart (read at start and delivery only).
  static constexpr std::uint32_t kInlineLinks = 5;
  struct alignas(64) Flow {
    double key = 0;             // its finish on its group's virtual clock (bytes per flow)
    double counted = 0;         // its rate as counted in O of its other links
    double bytes_left = 0;      // bytes to move when (re)placed
    LinkId group = kNone;       // the link whose group holds it (kNone: not transferring)
    std::uint32_t version = 0;  // moves on when it leaves a group (its key entry is stale)
    std::uint32_t life = 0;
    std::uint32_t epoch = 0;
    std::uint32_t hops = 0;
    LinkId links[kInlineLinks] = {};
  };
  static_assert(sizeof(Flow) == 64);
  // A constraint link (the representative of its series class) and its group.
  struct Link {
    double capacity = 0;
    double level = 0;        // λ = (capacity - O) / members, while members > 0
    double clock_bytes = 0;  // the group's virtual clock V at clock_ps
    std::int64_t clock_ps = 0;
    std::uint32_t members = 0;
    std::uint32_t stale = 0;  // entries of on_link whose flow has ended
    std::uint8_t touched = 0, refresh = 0;
    std::uint8_t listed = 0;  // in epoch_links
    double epoch_clock = 0;   // V at the start of the running epoch
  };
  struct KeyEntry {  // a group member by finish key
    double key;
    FlowIndex flow;
    std::uint32_t version;
    bool operator>(const KeyEntry& o) const {
      return (key > o.key) | ((key == o.key) & (flow > o.flow));
    }
  };
  struct BucketEntry {  // the messages whose transfer starts at one instant
    std::int64_t start_ps;
    std::uint64_t sequence;
    std::uint32_t bucket;
    bool operator>(const BucketEntry& o) const {
      return (start_ps > o.start_ps) | ((start_ps == o.start_ps) & (sequence > o.sequence));
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
  std::vector<LinkId> long_links;  // constraint links of routes longer than kInlineLinks
  std::size_t long_stride = 0;     // per slot in long_links (the longest such route so far)
  struct Payload {  // the caller's tag and the message's bytes, read together on delivery
    std::uint64_t tag = 0;
    std::uint64_t bytes = 0;
  };
  std::vector<Payload> payloads;
  std::vector<std::uint32_t> active_pos;  // a transferring slot's index in `active`
  std::vector<LinkId> hop_scratch;
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
  // Per link, apart from its record (the epoch adds to it once per hop of every flow): O, the rates
  // counted for flows of other groups.
  std::vector<double> other;
  // The links that carried a flow since the last epoch (or still do): the ones an epoch resets.
  std::vector<LinkId> epoch_links;
  std::vector<std::vector<KeyEntry>> keys;
  std::vector<LinkId> touched, refresh_list;
  IndexedMinHeap finishes;  // each group's next finish
  // The flows that started transferring on each link since its last epoch; an entry is stale
  // once the flow ended (its slot's life moved on), and epochs drop stale entries.
  struct OnLink {
    FlowIndex flow;
    std::uint32_t life;
  };
  std::vector<std::vector<OnLink>> on_link;

  // Bytes, busy time and flows crossing, per series class (its links carry the same flows).
  LinkAccounts accounts;

  // Epochs.
  double events_since_epoch = 0;
  std::size_t active_at_epoch = 0;
  bool epoch_requested = false;

  // Scratch for the fillings: the links the flows starting now cross (fill_links) and how many
  // of them each link has (added_on, 0 on every other link: they are the last entries of its
  // on_link list).
  SaturationHeap shares;
  std::vector<double> residual;
  std::vector<std::uint32_t> unfrozen, added_on;
  std::vector<LinkId> fill_links;
  std::vector<LinkId> path;
  // What submit reads per link of a route, packed (Fabric::link is out of line and wider).
  struct RouteLink {
    std::int64_t latency_ps;
    LinkId constraint;
    std::uint8_t tier;
  };
  std::vector<RouteLink> route_links;
  std::array<std::int64_t, kLinkTierCount> overhead_ps{};  // Fabric::message_overhead per tier

  // Deliveries and the engine.
  std::vector<std::pair<std::uint64_t, std::int64_t>> deliveries;
  sim::EventId wake;
  std::int64_t wake_ps = kNever;
  bool handling = false;

  State(sim::Engine& engine_, const Fabric& fabric_, MessageSink& sink_,
        FastNetworkOptions options_);

  std::span<const LinkId> constraints(FlowIndex flow) const {
    const Flow& f = flows[flow];
    if (f.hops <= kInlineLinks) [[likely]]
      return {f.links, f.hops};
    return {long_links.data() + static_cast<std::size_t>(flow) * long_stride, f.hops};
  }
  // Stores the flow's constraint links (hop_scratch).
  void set_constraints(FlowIndex flow);

  // Flows are visited in event order, not memory order: lists of them fetch a few ahead.
  void prefetch_flow(FlowIndex flow) const {
    __builtin_prefetch(&flows[flow]);
    __builtin_prefetch(&payloads[flow]);
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
    min_heap_push(keys[id], KeyEntry{f.key, flow, f.version});
    request_refresh(id);
  }
  // A finished flow leaves: its group loses a member, its other links its counted rate; it is
  // delivered (one pass over its links for both).
  void remove(FlowIndex flow, std::int64_t now_ps);

  // ---- Rates (fast_network_rates.cpp)

  // A touched link's group level after local changes: (capacity - O) / members. (Inline: on_event
  // settles every touched link.)
  void settle(LinkId id, std::int64_t now_ps) {
    Link& link = links[id];
    link.touched = 0;
    if (link.members == 0) return;
    double level = (link.capacity - other[id]) / link.members;
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

  // The flows starting now, by progressive filling over the links they cross with every other
  // group held at its level: a link's group shares its level with the new flows that join it.
  // Starved starts (kStarvedShare) count towards the next epoch.
  void place_added(std::int64_t now_ps);
  void epoch(std::int64_t now_ps);

  // ---- Finishes

  static std::int64_t finish_of(const Link& link, double key) {
    return link.clock_ps + transfer_picoseconds(key - link.clock_bytes, link.level);
  }
  void drop_stale_keys(LinkId id);
  void refresh_finishes();
  std::int64_t next_finish_ps();
  // Removes and delivers every flow whose last byte is transferred by now (listed in `finished`).
  void take_finished(std::int64_t now_ps);

  // ---- The model

  FlowIndex allocate_slot();
  void ensure_wake(std::int64_t when_ps);
  std::uint32_t bucket_for(std::int64_t start_ps);
  void submit(const Message& message);
  void release(FlowIndex flow, std::int64_t now_ps);  // lists the delivery, frees the slot
  void start_transfers(std::int64_t now_ps);
  void on_event(sim::Engine&, std::uint64_t) override;
};

}  // namespace moesim::network
