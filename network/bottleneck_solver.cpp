#include "network/bottleneck_solver.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "network/min_heap.h"

namespace moesim::network {

namespace {
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
constexpr LinkId kNoGroup = std::numeric_limits<LinkId>::max();
// Rates within this relative distance are equal: a flow moves to another group only if it is
// faster than that group's level by more (so floating-point noise cannot make flows oscillate).
constexpr double kTie = 1e-12;

bool faster(double rate, double level) {
  return rate > level + kTie * std::abs(level);
}

// Many flows starting or ending at one instant (the first wave of an all-to-all, or equal messages
// finishing together) change most groups: one progressive filling is then cheaper than repairing
// group by group.
bool rebuild_is_cheaper(std::size_t changed, std::size_t active_before) {
  return changed >= 64 && changed * 4 >= active_before;
}
}  // namespace

BottleneckSolver::BottleneckSolver(const Fabric& fabric)
    : RateSolver(fabric),
      state_(routes_.link_count()),
      level_(routes_.link_count(), 0),
      clock_bytes_(routes_.link_count(), 0),
      clock_ps_(routes_.link_count(), 0),
      members_(routes_.link_count()),
      keys_(routes_.link_count()),
      on_link_(routes_.link_count()),
      refresh_(routes_.link_count(), 0),
      residual_(routes_.link_count(), 0),
      unfrozen_(routes_.link_count(), 0) {
  finishes_.resize(routes_.link_count());
  for (LinkId link = 0; link < routes_.link_count(); ++link)
    state_[link].over_capacity = routes_.capacity(link) * (1 + kTie);
}

void BottleneckSolver::ensure_slot(FlowIndex flow, std::size_t constraints) {
  if (constraints > pos_stride_) {  // only when a route longer than any before appears
    std::vector<std::uint32_t> wider(bottleneck_.size() * constraints);
    for (std::size_t slot = 0; slot < bottleneck_.size(); ++slot)
      std::copy_n(link_pos_.begin() + slot * pos_stride_, pos_stride_,
                  wider.begin() + slot * constraints);
    link_pos_.swap(wider);
    pos_stride_ = constraints;
  }
  if (flow < bottleneck_.size()) return;
  const std::size_t slots = std::max<std::size_t>(flow + 1, bottleneck_.size() * 2);
  bottleneck_.resize(slots, kNoGroup);
  key_.resize(slots, 0);
  start_bytes_.resize(slots, 0);
  version_.resize(slots, 0);
  member_pos_.resize(slots, 0);
  link_pos_.resize(slots * pos_stride_, 0);
  active_.resize(slots, 0);
}

void BottleneckSolver::set_route(FlowIndex flow, std::span<const LinkId> links) {
  routes_.set_route(flow, links);
  ensure_slot(flow, routes_.constraints(flow).size());
}

double BottleneckSolver::rate(FlowIndex flow) const {
  return bottleneck_[flow] == kNoGroup ? 0 : level_[bottleneck_[flow]];
}

// ---- Groups and their virtual clocks

double BottleneckSolver::virtual_now(LinkId link, std::int64_t now_ps) const {
  return clock_bytes_[link] + level_[link] * static_cast<double>(now_ps - clock_ps_[link]) * 1e-12;
}

void BottleneckSolver::request_refresh(LinkId link) {
  if (refresh_[link]) return;
  refresh_[link] = 1;
  refresh_list_.push_back(link);
}

void BottleneckSolver::set_level(LinkId link, double level, std::int64_t now_ps) {
  if (level == level_[link]) return;
  clock_bytes_[link] = virtual_now(link, now_ps);  // the old level served the group until now
  clock_ps_[link] = now_ps;
  level_[link] = level;
  request_refresh(link);
}

void BottleneckSolver::join_group(FlowIndex flow, LinkId link, double remaining_bytes,
                                  std::int64_t now_ps) {
  std::vector<FlowIndex>& group = members_[link];
  if (group.empty()) {  // a new group: fresh clock, level set when the link is settled
    clock_bytes_[link] = 0;
    clock_ps_[link] = now_ps;
    level_[link] = 0;
    state_[link].has_group = 1;
  }
  member_pos_[flow] = static_cast<std::uint32_t>(group.size());
  group.push_back(flow);
  bottleneck_[flow] = link;
  key_[flow] = virtual_now(link, now_ps) + remaining_bytes;
  min_heap_push(keys_[link], KeyEntry{key_[flow], flow, ++version_[flow]});
  request_refresh(link);
}

double BottleneckSolver::leave_group(FlowIndex flow, std::int64_t now_ps) {
  const LinkId link = bottleneck_[flow];
  const double remaining = std::max(0.0, key_[flow] - virtual_now(link, now_ps));
  std::vector<FlowIndex>& group = members_[link];
  const FlowIndex last = group.back();
  group[member_pos_[flow]] = last;
  member_pos_[last] = member_pos_[flow];
  group.pop_back();
  state_[link].has_group = group.empty() ? 0 : 1;
  ++version_[flow];  // its key entry is stale now
  bottleneck_[flow] = kNoGroup;
  request_refresh(link);
  return remaining;
}

void BottleneckSolver::drop_stale_keys(LinkId link) {
  std::vector<KeyEntry>& keys = keys_[link];
  if (keys.size() > 2 * members_[link].size() + 16) {  // mostly stale: rebuild from the members
    keys.clear();
    for (FlowIndex flow : members_[link])
      keys.push_back(KeyEntry{key_[flow], flow, version_[flow]});
    min_heap_make(keys);
    return;
  }
  while (!keys.empty() && version_[keys.front().flow] != keys.front().version) {
    min_heap_pop(keys);
  }
}

std::int64_t BottleneckSolver::finish_of(LinkId link, double key) const {
  if (level_[link] <= 0) return kNever;
  return clock_ps_[link] + transfer_picoseconds(key - clock_bytes_[link], level_[link]);
}

void BottleneckSolver::refresh_finishes() {
  for (LinkId link : refresh_list_) {
    refresh_[link] = 0;
    drop_stale_keys(link);
    if (keys_[link].empty()) {
      finishes_.erase(link);
      continue;
    }
    finishes_.set(link, finish_of(link, keys_[link].front().key));
  }
  refresh_list_.clear();
}

// ---- Flows on links

void BottleneckSolver::add_to_links(FlowIndex flow) {
  const auto links = constraints(flow);
  for (std::size_t i = 0; i < links.size(); ++i) {
    link_pos_[flow * pos_stride_ + i] = static_cast<std::uint32_t>(on_link_[links[i]].size());
    on_link_[links[i]].push_back(flow);
  }
}

void BottleneckSolver::remove_from_links(FlowIndex flow) {
  const auto links = constraints(flow);
  for (std::size_t i = 0; i < links.size(); ++i) {
    std::vector<FlowIndex>& on = on_link_[links[i]];
    const std::uint32_t pos = link_pos_[flow * pos_stride_ + i];
    const FlowIndex last = on.back();
    on[pos] = last;
    const auto last_links = constraints(last);
    const auto j = static_cast<std::size_t>(
        std::find(last_links.begin(), last_links.end(), links[i]) - last_links.begin());
    link_pos_[last * pos_stride_ + j] = pos;
    on.pop_back();
  }
}

// ---- Changes

void BottleneckSolver::mark(LinkId link) {
  if (state_[link].marked) return;
  state_[link].marked = 1;
  const std::size_t members = members_[link].size();
  // Settle the lowest levels first (a groupless link over capacity before any level).
  const double estimate =
      members > 0 ? (routes_.capacity(link) - state_[link].other) / static_cast<double>(members)
                  : 0;
  min_heap_push(work_, WorkEntry{estimate, link});
}

// O_l changed: a link with a group gets a new level; one without only matters if now over capacity.
void BottleneckSolver::note_changed_other(LinkId link) {
  if (state_[link].has_group || state_[link].other > state_[link].over_capacity) mark(link);
}

void BottleneckSolver::activate(FlowIndex flow, double bytes, std::int64_t /*now_ps*/) {
  if (constraints(flow).empty())  // FlowNetwork delivers empty-route messages without a flow
    throw std::invalid_argument("BottleneckSolver::activate: a flow needs at least one link");
  active_[flow] = 1;
  ++active_count_;
  start_bytes_[flow] = bytes;
  bottleneck_[flow] = kNoGroup;
  add_to_links(flow);
  added_.push_back(flow);
  changed_ = true;
}

// A first guess for a new flow: the group of the link that would give it the least; settling
// corrects it.
void BottleneckSolver::place(FlowIndex flow, std::int64_t now_ps) {
  LinkId best = kNoGroup;
  double best_level = std::numeric_limits<double>::infinity();
  for (LinkId link : constraints(flow)) {
    const double level = (routes_.capacity(link) - state_[link].other) /
                         static_cast<double>(members_[link].size() + 1);
    if (level < best_level) {
      best_level = level;
      best = link;
    }
  }
  join_group(flow, best, start_bytes_[flow], now_ps);
  const double rate = level_[best];
  for (LinkId link : constraints(flow)) {
    if (link != best) {
      state_[link].other += rate;
      state_[link].max_other = std::max(state_[link].max_other, rate);
    }
    mark(link);
  }
  ++flows_resolved_;
}

void BottleneckSolver::remove(FlowIndex flow, std::int64_t now_ps) {
  const LinkId group = bottleneck_[flow];
  const double rate = level_[group];
  leave_group(flow, now_ps);
  for (LinkId link : constraints(flow)) {
    if (link == group) continue;
    state_[link].other -= rate;
    note_changed_other(link);
  }
  mark(group);
  remove_from_links(flow);
  active_[flow] = 0;
  --active_count_;
}

// The flow leaves its group for `link`'s (the caller accounts for it in state_[link].other).
void BottleneckSolver::move_into(FlowIndex flow, LinkId link, std::int64_t now_ps) {
  const LinkId from = bottleneck_[flow];
  const double old_rate = level_[from];
  join_group(flow, link, leave_group(flow, now_ps), now_ps);
  const double new_rate = level_[link];
  for (LinkId other : constraints(flow)) {
    if (other == link) continue;
    // On its old bottleneck the flow now counts among the other groups' flows.
    state_[other].other += other == from ? new_rate : new_rate - old_rate;
    state_[other].max_other = std::max(state_[other].max_other, new_rate);
    note_changed_other(other);
  }
  mark(from);
  ++flows_resolved_;
}

// Local water-filling on `link`: the flows of other groups keep their rates unless they are faster
// than the level the link can give its group, in which case they join it (fastest first; each
// join raises the level). Recomputes the link's O and its bound exactly. Returns the group's size.
std::size_t BottleneckSolver::pull_faster_flows(LinkId link, std::int64_t now_ps) {
  const double capacity = routes_.capacity(link);
  std::size_t members = members_[link].size();
  // Only flows faster than the level before any join can join (joins only raise it). One pass:
  // the level from the running sum state_[link].other (off by rounding only, hence the 1e-9 margin)
  // selects the candidates while the exact sum is taken.
  const double rough_level = members > 0
                                 ? (capacity - state_[link].other) / static_cast<double>(members)
                                 : -std::numeric_limits<double>::infinity();
  const double threshold = rough_level - 1e-9 * std::abs(rough_level);
  candidates_.clear();
  double sum = 0, slower_sum = 0, slower_max = 0;
  for (FlowIndex flow : on_link_[link]) {
    const LinkId group = bottleneck_[flow];
    if (group == link) continue;
    const double rate = level_[group];
    sum += rate;
    if (members == 0 || rate > threshold) {
      candidates_.push_back(Candidate{rate, flow});
    } else {
      slower_sum += rate;
      slower_max = std::max(slower_max, rate);
    }
  }
  flows_resolved_ += on_link_[link].size() / 4;  // a scan is cheaper per flow than a rate change
  std::sort(candidates_.begin(), candidates_.end(), [](const Candidate& a, const Candidate& b) {
    return a.rate != b.rate ? a.rate > b.rate : a.flow < b.flow;
  });
  std::size_t pulled = 0;
  for (; pulled < candidates_.size(); ++pulled) {
    const bool join = members == 0 ? sum > state_[link].over_capacity
                                   : faster(candidates_[pulled].rate,
                                            (capacity - sum) / static_cast<double>(members));
    if (!join) break;
    sum -= candidates_[pulled].rate;
    ++members;
    move_into(candidates_[pulled].flow, link, now_ps);
  }
  // What stays: the slower flows and the candidates that did not join (exact sums, no drift).
  double stays_max = slower_max;
  for (std::size_t i = pulled; i < candidates_.size(); ++i) {
    slower_sum += candidates_[i].rate;
    stays_max = std::max(stays_max, candidates_[i].rate);
  }
  state_[link].other = slower_sum;
  state_[link].max_other = stays_max;
  return members;
}

void BottleneckSolver::settle(LinkId link, std::int64_t now_ps) {
  state_[link].marked = 0;
  const double capacity = routes_.capacity(link);
  std::size_t members = members_[link].size();
  if (members == 0 && state_[link].other <= state_[link].over_capacity) return;  // not saturated
  double level = members > 0 ? (capacity - state_[link].other) / static_cast<double>(members) : 0;
  if (members == 0 || faster(state_[link].max_other, level)) {
    members = pull_faster_flows(link, now_ps);
    if (members == 0) return;
    level = (capacity - state_[link].other) / static_cast<double>(members);
  }
  // The other links' O count this group's flows at its old level until the change is passed on.
  const double delta = level - level_[link];
  if (delta == 0) return;
  set_level(link, level, now_ps);
  flows_resolved_ += members;
  // The hot loop of a repair (a group's rate change reaches the other links of its flows).
  for (FlowIndex flow : members_[link]) {
    for (LinkId other : constraints(flow)) {
      if (other == link) continue;
      LinkState& link_state = state_[other];
      link_state.other += delta;
      link_state.max_other = std::max(link_state.max_other, level);  // no branch to mispredict
      note_changed_other(other);
    }
  }
}

void BottleneckSolver::settle_marked(std::int64_t now_ps) {
  // A repair normally touches a few hundred flows. When a change reaches most groups (equal
  // messages ending together), repairing group by group can cost more than one progressive filling
  // over every flow; past a few fillings' worth of work the rest is left to a rebuild, so a solve
  // never costs much more than a from-scratch re-solve.
  const std::uint64_t budget = flows_resolved_ + 4 * active_count_ + 4096;
  while (!work_.empty()) {
    const LinkId link = work_.front().link;
    min_heap_pop(work_);
    if (!state_[link].marked) continue;
    settle(link, now_ps);
    if (flows_resolved_ > budget) {
      rebuild(now_ps);
      return;
    }
  }
}

// Progressive filling over every transferring flow (all unfrozen flows grow at one rate; when a
// link's capacity is used up its unfrozen flows freeze, forming its group); bytes left carry over.
void BottleneckSolver::rebuild(std::int64_t now_ps) {
  for (FlowIndex flow = 0; flow < bottleneck_.size(); ++flow) {
    if (!active_[flow]) continue;
    if (bottleneck_[flow] != kNoGroup)
      start_bytes_[flow] = std::max(0.0, key_[flow] - virtual_now(bottleneck_[flow], now_ps));
    bottleneck_[flow] = kNoGroup;
    ++version_[flow];
    ++flows_resolved_;
  }
  const std::size_t links = routes_.link_count();
  work_.clear();
  shares_.clear();
  finishes_.clear();  // every group is formed again
  for (LinkId link = 0; link < links; ++link) {
    members_[link].clear();
    state_[link].has_group = 0;
    keys_[link].clear();
    state_[link].other = 0;
    state_[link].max_other = 0;
    state_[link].marked = 0;
    residual_[link] = routes_.capacity(link);
    unfrozen_[link] = static_cast<std::uint32_t>(on_link_[link].size());
    if (unfrozen_[link] > 0) shares_.add(residual_[link] / unfrozen_[link], link);
  }
  added_.clear();
  double level = 0;
  LinkId saturating = 0;
  double share = 0;
  while (shares_.pop(residual_, unfrozen_, saturating, share)) {
    level = std::max(level, share);
    for (FlowIndex flow : on_link_[saturating]) {
      if (bottleneck_[flow] != kNoGroup) continue;
      join_group(flow, saturating, start_bytes_[flow], now_ps);
      for (LinkId other : constraints(flow)) {
        residual_[other] -= level;
        --unfrozen_[other];
      }
    }
    level_[saturating] = level;  // the group's clock starts now: no time was served at level 0
  }
  for (FlowIndex flow = 0; flow < bottleneck_.size(); ++flow) {
    if (!active_[flow]) continue;
    const LinkId group = bottleneck_[flow];
    for (LinkId link : constraints(flow)) {
      if (link == group) continue;
      state_[link].other += level_[group];
      state_[link].max_other = std::max(state_[link].max_other, level_[group]);
    }
  }
}

// ---- The solver's contract

void BottleneckSolver::take_finished(std::int64_t now_ps, std::vector<FlowIndex>& out) {
  out.clear();
  refresh_finishes();
  while (!finishes_.empty() && finishes_.top().key <= now_ps) {
    const LinkId group = finishes_.top().id;
    finishes_.pop();
    // Its entry is gone: leave_group() asks for a new one as its first member due now leaves.
    for (;;) {  // every member of the group whose own finish has come
      drop_stale_keys(group);
      if (keys_[group].empty() || finish_of(group, keys_[group].front().key) > now_ps) break;
      const FlowIndex flow = keys_[group].front().flow;
      min_heap_pop(keys_[group]);
      remove(flow, now_ps);
      ++removed_;
      out.push_back(flow);
    }
  }
  if (!out.empty()) changed_ = true;
}

void BottleneckSolver::solve(std::int64_t now_ps) {
  if (changed_) {
    changed_ = false;
    const std::size_t changed = added_.size() + removed_;
    const bool rebuild_now = rebuild_is_cheaper(changed, active_count_ - added_.size() + removed_);
    removed_ = 0;
    if (rebuild_now) {
      rebuild(now_ps);
    } else {
      for (FlowIndex flow : added_) place(flow, now_ps);
      added_.clear();
      settle_marked(now_ps);
    }
  }
  refresh_finishes();
}

std::int64_t BottleneckSolver::next_finish_ps() {
  refresh_finishes();
  return finishes_.empty() ? kNever : finishes_.top().key;
}

}  // namespace moesim::network
