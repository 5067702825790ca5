#include "sim/engine.h"

#include <queue>
#include <stdexcept>
#include <unordered_set>

namespace moesim::sim {

namespace {
struct Entry {
  std::int64_t time;
  std::uint64_t sequence;
  HandlerId handler;
  std::uint64_t payload;
  bool operator>(const Entry& other) const noexcept {
    return time != other.time ? time > other.time : sequence > other.sequence;
  }
};

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) noexcept {
  hash ^= value + 0x9E3779B97F4A7C15ULL + (hash << 6) + (hash >> 2);
  return hash;
}
}  // namespace

struct Engine::Queue {
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  std::unordered_set<std::uint64_t> cancelled;
};

Engine::Engine() : queue_(std::make_unique<Queue>()) {}
Engine::~Engine() = default;

HandlerId Engine::add_handler(EventHandler& handler) {
  handlers_.push_back(&handler);
  return static_cast<HandlerId>(handlers_.size() - 1);
}

EventId Engine::schedule_at(Picoseconds when, HandlerId handler, std::uint64_t payload) {
  if (when < now_) throw std::invalid_argument("Engine::schedule_at: time is in the past");
  const std::uint64_t sequence = next_sequence_++;
  queue_->heap.push(Entry{when.count(), sequence, handler, payload});
  return EventId{sequence, handler, payload};
}

bool Engine::cancel(const EventId& id) {
  if (!id.valid()) return false;
  return queue_->cancelled.insert(id.sequence).second;
}

EventId Engine::reschedule(const EventId& id, Picoseconds when) {
  cancel(id);
  return schedule_at(when, id.handler, id.payload);
}

std::size_t Engine::pending() const noexcept {
  return queue_->heap.size() - queue_->cancelled.size();
}

std::uint64_t Engine::run() { return run_loop(Picoseconds::max()); }

std::uint64_t Engine::run_until(Picoseconds limit) {
  const std::uint64_t count = run_loop(limit);
  if (!stop_requested_ && now_ < limit) now_ = limit;
  return count;
}

std::uint64_t Engine::run_loop(Picoseconds limit) {
  stop_requested_ = false;
  std::uint64_t count = 0;
  auto& heap = queue_->heap;
  while (!heap.empty() && !stop_requested_) {
    const Entry top = heap.top();
    if (top.time > limit.count()) break;
    heap.pop();
    if (!queue_->cancelled.empty() && queue_->cancelled.erase(top.sequence)) continue;
    now_ = Picoseconds{top.time};
    trace_hash_ = mix(mix(mix(mix(trace_hash_, static_cast<std::uint64_t>(top.time)), top.sequence),
                          top.handler),
                      top.payload);
    ++executed_;
    ++count;
    handlers_[top.handler]->on_event(*this, top.payload);
  }
  return count;
}

}  // namespace moesim::sim
