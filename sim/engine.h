#pragma once
// The discrete-event engine: schedule, cancel/reschedule, run. Knows nothing of GPUs or networks.
#include <cstdint>
#include <memory>
#include <vector>

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

// Handle to a scheduled event. It carries what is needed to re-create the event, so cancel and
// reschedule need no engine-side lookup table.
struct EventId {
  std::uint64_t sequence = 0;  // 0 = no event
  HandlerId handler = 0;
  std::uint64_t payload = 0;
  bool valid() const noexcept { return sequence != 0; }
};

class Engine {
 public:
  Engine();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  HandlerId add_handler(EventHandler& handler);

  // Events at equal times run in scheduling order (by sequence number), so runs are reproducible.
  // `when` must not be earlier than now().
  EventId schedule_at(Picoseconds when, HandlerId handler, std::uint64_t payload = 0);
  EventId schedule_after(Picoseconds delay, HandlerId handler, std::uint64_t payload = 0) {
    return schedule_at(now_ + delay, handler, payload);
  }
  // Returns true if the event was still pending (it will not run).
  bool cancel(const EventId& id);
  // Cancels `id` (if pending) and schedules the same handler and payload at `when`.
  EventId reschedule(const EventId& id, Picoseconds when);

  // Runs until no events remain or stop() is called; returns the number of events executed.
  std::uint64_t run();
  // Runs every event with time <= limit, then sets now() to limit.
  std::uint64_t run_until(Picoseconds limit);
  void stop() noexcept { stop_requested_ = true; }

  Picoseconds now() const noexcept { return now_; }
  std::size_t pending() const noexcept;
  std::uint64_t executed() const noexcept { return executed_; }
  // Order-sensitive hash of every executed (time, sequence, handler, payload): equal hashes mean an
  // identical event trace, which is how deterministic replay is checked.
  std::uint64_t trace_hash() const noexcept { return trace_hash_; }

 private:
  struct Queue;
  std::uint64_t run_loop(Picoseconds limit);

  std::unique_ptr<Queue> queue_;
  std::vector<EventHandler*> handlers_;
  Picoseconds now_ = Picoseconds::zero();
  std::uint64_t next_sequence_ = 1;
  std::uint64_t executed_ = 0;
  std::uint64_t trace_hash_ = 0xcbf29ce484222325ULL;
  bool stop_requested_ = false;
};

}  // namespace moesim::sim
