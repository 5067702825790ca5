#include "sim/engine.h"

#include <stdexcept>
#include <string>

namespace moesim::sim {

namespace {
// Order-sensitive 64-bit mixing (boost::hash_combine's recipe with the 64-bit golden ratio).
std::uint64_t mix(std::uint64_t hash, std::uint64_t value) noexcept {
  hash ^= value + 0x9E3779B97F4A7C15ULL + (hash << 6) + (hash >> 2);
  return hash;
}
// Compaction runs when tombstones outnumber live events (and exceed this floor), so it costs O(1)
// amortised per cancel and the heap is never more than about half dead.
constexpr std::size_t kTombstoneFloor = 1024;
}  // namespace

HandlerId Engine::add_handler(EventHandler& handler) {
  handlers_.push_back(&handler);
  return static_cast<HandlerId>(handlers_.size() - 1);
}

std::uint32_t Engine::new_slot() {
  if (slots_.size() >= kNoSlot) throw std::length_error("Engine: more than 2^32-1 pending events");
  slots_.push_back(kFree | kNoSlot);
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void Engine::throw_bad_time(const char* where, Picoseconds when) {
  if (when > kLatestTime)
    throw_time_out_of_range(std::string(where) + ": an event time", when.seconds());
  throw std::invalid_argument(std::string(where) + ": time is earlier than now()");
}

bool Engine::cancel(const EventId& id) {
  if (!is_pending(id)) return false;
  // Lazy deletion: the heap record stays as a tombstone (its slot no longer names its sequence)
  // and is skipped when popped or removed by compaction.
  release_slot(id.slot);
  --live_;
  ++tombstones_;
  ++cancelled_;
  compact_if_mostly_tombstones();
  return true;
}

void Engine::compact_if_mostly_tombstones() {
  if (tombstones_ <= kTombstoneFloor || tombstones_ <= live_) return;
  queue_.remove_if(
      [this](const QueuedEvent& event) { return slots_[event.tag] != event.sequence; });
  tombstones_ = 0;
}

void Engine::throw_delay_too_long(Picoseconds delay) const {
  throw_time_out_of_range("Engine::schedule_after: an event time",
                          now_.seconds() + delay.seconds());
}

EventId Engine::reschedule(const EventId& id, Picoseconds when) {
  if (!id.valid()) throw std::invalid_argument("Engine::reschedule: invalid EventId");
  if (when < now_ || when > kLatestTime) throw_bad_time("Engine::reschedule", when);
  cancel(id);
  return schedule_at(when, id.handler, id.payload);
}

void Engine::drain_posted() {
  queue_.drain_posted([this](QueuedEvent& event) {
    if (event.time < now_.count()) {
      event.time = now_.count();
      ++late_posts_;
    }
    const std::uint32_t slot = take_slot();
    event.tag = slot;
    slots_[slot] = event.sequence;
    ++live_;
  });
}

std::uint64_t Engine::run() {
  return run_loop(Picoseconds::max());
}

std::uint64_t Engine::run_until(Picoseconds limit) {
  const std::uint64_t count = run_loop(limit);
  if (!stop_requested_ && now_ < limit) now_ = limit;
  return count;
}

std::uint64_t Engine::run_loop(Picoseconds limit) {
  stop_requested_ = false;
  std::uint64_t count = 0;
  while (!stop_requested_) {
    if (queue_.has_posted()) drain_posted();
    if (queue_.empty() || queue_.top().time > limit.count()) break;
    const QueuedEvent event = queue_.pop();
    if (slots_[event.tag] != event.sequence) {  // cancelled
      --tombstones_;
      continue;
    }
    release_slot(event.tag);
    --live_;
    now_ = Picoseconds{event.time};
    trace_hash_ =
        mix(mix(mix(mix(trace_hash_, static_cast<std::uint64_t>(event.time)), event.sequence),
                event.handler),
            event.payload);
    ++executed_;
    ++count;
    handlers_[event.handler]->on_event(*this, event.payload);
  }
  return count;
}

}  // namespace moesim::sim
