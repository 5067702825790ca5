#pragma once
// The discrete-event engine: schedule, cancel/reschedule, run. Knows nothing of GPUs or networks.
// Built on EventQueue (sim/event_queue.h); design, costs and guarantees in docs/event-queue.md.
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/event_queue.h"
#include "sim/time.h"

namespace moesim::sim {

class Engine;

// Components receive events through this interface; the engine stores only a HandlerId per event,
// so dispatch is an array lookup plus one virtual call and never allocates.
class EventHandler {
 public:
  virtual void on_event(Engine& engine, std::uint64_t payload) = 0;

 protected:
  ~EventHandler() = default;
};

using HandlerId = std::uint32_t;

// Handle to a scheduled event (24 bytes, cheap to copy). It carries the handler and payload so that
// reschedule can re-create the event even after it ran, and the engine slot that tells in O(1)
// whether the event is still pending.
struct EventId {
  std::uint64_t sequence = 0;  // 0 = no event
  std::uint64_t payload = 0;
  HandlerId handler = 0;
  std::uint32_t slot = 0;
  bool valid() const noexcept { return sequence != 0; }
};

class Engine {
 public:
  // Posts events into an engine from another thread (one poster per thread; lock-free, never
  // allocates per event). Posted events are merged before the engine's next event; a posted time
  // earlier than the engine's now() at that moment is clamped to now() (counted in late_posts()).
  // A Poster must not outlive its Engine. Ordering guarantees: docs/event-queue.md.
  class Poster {
   public:
    // Throws TimeOutOfRange (in the posting thread) for a time after kLatestTime.
    void post_at(Picoseconds when, HandlerId handler, std::uint64_t payload = 0) {
      if (when > kLatestTime) [[unlikely]]
        throw_bad_time("Engine::Poster::post_at", when);
      producer_.post(QueuedEvent{when.count(), 0, payload, handler, 0});
    }

   private:
    friend class Engine;
    explicit Poster(EventQueue::Producer producer) : producer_(std::move(producer)) {}
    EventQueue::Producer producer_;
  };

  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  HandlerId add_handler(EventHandler& handler);

  // Events at equal times run in scheduling order (by sequence number), so runs are reproducible.
  // `when` must not be earlier than now() (std::invalid_argument otherwise) nor later than
  // kLatestTime (TimeOutOfRange). O(log n), no allocation in steady state.
  EventId schedule_at(Picoseconds when, HandlerId handler, std::uint64_t payload = 0) {
    if (when < now_ || when > kLatestTime) [[unlikely]]
      throw_bad_time("Engine::schedule_at", when);
    const std::uint32_t slot = take_slot();
    const std::uint64_t sequence =
        queue_.push(QueuedEvent{when.count(), 0, payload, handler, slot});
    slots_[slot] = sequence;
    ++live_;
    return EventId{sequence, payload, handler, slot};
  }
  EventId schedule_after(Picoseconds delay, HandlerId handler, std::uint64_t payload = 0) {
    // now() <= kLatestTime, so the difference cannot overflow.
    if (delay > kLatestTime - now_) [[unlikely]]
      throw_delay_too_long(delay);
    return schedule_at(now_ + delay, handler, payload);
  }
  // Returns true if the event was pending (it will now not run); false for an invalid id or an
  // event that already ran or was already cancelled. O(1).
  bool cancel(const EventId& id);
  // Cancels `id` if still pending, then schedules its handler and payload at `when` and returns the
  // new id. An event that already ran or was cancelled is scheduled again; an invalid id throws
  // std::invalid_argument (it names no handler). O(log n).
  EventId reschedule(const EventId& id, Picoseconds when);
  // True while the event is scheduled and neither run nor cancelled.
  bool is_pending(const EventId& id) const noexcept {
    return id.valid() && id.slot < slots_.size() && slots_[id.slot] == id.sequence;
  }

  // Runs until no events remain or stop() is called; returns the number of events executed.
  std::uint64_t run();
  // Runs every event with time <= limit, then (unless stopped) sets now() to limit.
  std::uint64_t run_until(Picoseconds limit);
  // Makes run()/run_until() return after the current event.
  void stop() noexcept { stop_requested_ = true; }

  // Thread-safe: a handle for posting events from another thread.
  Poster make_poster() { return Poster(queue_.make_producer()); }

  Picoseconds now() const noexcept { return now_; }
  // Events scheduled (and posted events already merged) that have neither run nor been cancelled.
  std::size_t pending() const noexcept { return live_; }
  std::uint64_t executed() const noexcept { return executed_; }
  std::uint64_t cancelled() const noexcept { return cancelled_; }
  std::uint64_t late_posts() const noexcept { return late_posts_; }
  // Cancelled events still inside the heap (lazy deletion; bounded, see cancel()).
  std::size_t tombstones() const noexcept { return tombstones_; }
  // Bytes held by the queue's heap, its posting pools and the engine's slot table.
  std::size_t memory_bytes() const noexcept {
    return queue_.memory_bytes() + slots_.capacity() * sizeof(std::uint64_t);
  }
  // Order-sensitive hash of every executed (time, sequence, handler, payload): equal hashes mean an
  // identical event trace, which is how deterministic replay is checked.
  std::uint64_t trace_hash() const noexcept { return trace_hash_; }

 private:
  // slots_[i] holds the sequence of the pending event that owns slot i, or kFree | next free slot.
  static constexpr std::uint64_t kFree = 0x8000'0000'0000'0000ULL;
  static constexpr std::uint32_t kNoSlot = 0xFFFF'FFFFU;

  std::uint32_t take_slot() {
    if (free_slot_ == kNoSlot) return new_slot();
    const std::uint32_t slot = free_slot_;
    free_slot_ = static_cast<std::uint32_t>(slots_[slot] & ~kFree);
    return slot;
  }
  std::uint32_t new_slot();
  // std::invalid_argument for a time before now(), TimeOutOfRange for one after kLatestTime.
  [[noreturn]] static void throw_bad_time(const char* where, Picoseconds when);
  [[noreturn]] void throw_delay_too_long(Picoseconds delay) const;
  void release_slot(std::uint32_t slot) noexcept {
    slots_[slot] = kFree | free_slot_;
    free_slot_ = slot;
  }
  void drain_posted();
  void compact_if_mostly_tombstones();
  std::uint64_t run_loop(Picoseconds limit);

  EventQueue queue_;
  std::vector<std::uint64_t> slots_;
  std::vector<EventHandler*> handlers_;
  std::uint32_t free_slot_ = kNoSlot;
  std::size_t live_ = 0;
  std::size_t tombstones_ = 0;
  Picoseconds now_ = Picoseconds::zero();
  std::uint64_t executed_ = 0;
  std::uint64_t cancelled_ = 0;
  std::uint64_t late_posts_ = 0;
  std::uint64_t trace_hash_ = 0xcbf29ce484222325ULL;
  bool stop_requested_ = false;
};

}  // namespace moesim::sim
