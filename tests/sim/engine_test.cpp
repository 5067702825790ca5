#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "sim/sim.h"

namespace moesim::sim {
namespace {

struct Recorder final : EventHandler {
  std::vector<std::pair<std::int64_t, std::uint64_t>> seen;
  void on_event(Engine& engine, std::uint64_t payload) override {
    seen.emplace_back(engine.now().count(), payload);
  }
};
using Trace = std::vector<std::pair<std::int64_t, std::uint64_t>>;

TEST(Engine, RunsEventsInTimeThenSchedulingOrder) {
  Engine engine;
  Recorder recorder;
  const HandlerId id = engine.add_handler(recorder);
  engine.schedule_at(Picoseconds{30}, id, 1);
  engine.schedule_at(Picoseconds{10}, id, 2);
  engine.schedule_at(Picoseconds{30}, id, 3);
  EXPECT_EQ(engine.pending(), 3u);
  EXPECT_EQ(engine.run(), 3u);
  EXPECT_EQ(recorder.seen, (Trace{{10, 2}, {30, 1}, {30, 3}}));
  EXPECT_EQ(engine.pending(), 0u);
  EXPECT_EQ(engine.executed(), 3u);
  EXPECT_EQ(engine.now(), Picoseconds{30});
}

TEST(Engine, SchedulingInThePastThrows) {
  Engine engine;
  Recorder recorder;
  const HandlerId id = engine.add_handler(recorder);
  engine.schedule_at(Picoseconds{100}, id);
  engine.run();
  EXPECT_THROW(engine.schedule_at(Picoseconds{99}, id), std::invalid_argument);
  EXPECT_THROW(engine.schedule_after(Picoseconds{-1}, id), std::invalid_argument);
  EXPECT_NO_THROW(engine.schedule_at(Picoseconds{100}, id));  // "now" is allowed
  EXPECT_EQ(engine.pending(), 1u);
}

TEST(Engine, TimesBeyondTheLatestAreOutOfRangeNotWrapped) {
  Engine engine;
  Recorder recorder;
  const HandlerId id = engine.add_handler(recorder);
  EXPECT_NO_THROW(engine.schedule_at(kLatestTime, id, 1));
  EXPECT_THROW(engine.schedule_at(kLatestTime + Picoseconds{1}, id), TimeOutOfRange);
  EXPECT_THROW(engine.schedule_after(Picoseconds::max(), id), TimeOutOfRange);
  engine.run();
  EXPECT_EQ(engine.now(), kLatestTime);
  // now() + delay would overflow int64: refused, not wrapped into the past.
  EXPECT_THROW(engine.schedule_after(kLatestTime, id), TimeOutOfRange);
  EXPECT_NO_THROW(engine.schedule_after(Picoseconds::zero(), id));
  Engine fresh;
  const HandlerId fresh_id = fresh.add_handler(recorder);
  const EventId event = fresh.schedule_at(Picoseconds{5}, fresh_id);
  EXPECT_THROW(fresh.reschedule(event, Picoseconds::max()), TimeOutOfRange);
}

TEST(Engine, CancelSemantics) {
  Engine engine;
  Recorder recorder;
  const HandlerId id = engine.add_handler(recorder);
  const EventId first = engine.schedule_at(Picoseconds{10}, id, 1);
  const EventId second = engine.schedule_at(Picoseconds{20}, id, 2);
  EXPECT_FALSE(engine.cancel(EventId{}));  // invalid
  EXPECT_TRUE(engine.is_pending(second));
  EXPECT_TRUE(engine.cancel(second));
  EXPECT_FALSE(engine.is_pending(second));
  EXPECT_FALSE(engine.cancel(second));  // already cancelled
  EXPECT_EQ(engine.pending(), 1u);
  EXPECT_EQ(engine.run(), 1u);
  EXPECT_FALSE(engine.cancel(first));  // already executed
  EXPECT_EQ(engine.pending(), 0u);
  EXPECT_EQ(recorder.seen, (Trace{{10, 1}}));
  EXPECT_EQ(engine.cancelled(), 1u);
  // A stale id must not cancel the new event that reuses its slot.
  const EventId third = engine.schedule_at(Picoseconds{30}, id, 3);
  EXPECT_TRUE(third.slot == first.slot || third.slot == second.slot);  // slot reused
  EXPECT_FALSE(engine.cancel(first));
  EXPECT_FALSE(engine.cancel(second));
  EXPECT_EQ(engine.pending(), 1u);
  EXPECT_EQ(engine.run(), 1u);
}

TEST(Engine, RescheduleSemantics) {
  Engine engine;
  Recorder recorder;
  const HandlerId id = engine.add_handler(recorder);
  const EventId early = engine.schedule_at(Picoseconds{10}, id, 7);
  const EventId moved = engine.reschedule(early, Picoseconds{50});  // pending: moved later
  EXPECT_FALSE(engine.is_pending(early));
  EXPECT_TRUE(engine.is_pending(moved));
  EXPECT_EQ(moved.payload, 7u);
  EXPECT_EQ(engine.pending(), 1u);
  const EventId earlier = engine.reschedule(moved, Picoseconds{5});  // and earlier again
  EXPECT_EQ(engine.pending(), 1u);
  EXPECT_EQ(engine.run(), 1u);
  EXPECT_EQ(recorder.seen, (Trace{{5, 7}}));
  // Rescheduling an executed event schedules it again.
  const EventId again = engine.reschedule(earlier, Picoseconds{8});
  EXPECT_TRUE(engine.is_pending(again));
  // Past time throws and leaves the pending event untouched.
  EXPECT_THROW(engine.reschedule(again, Picoseconds{4}), std::invalid_argument);
  EXPECT_TRUE(engine.is_pending(again));
  EXPECT_THROW(engine.reschedule(EventId{}, Picoseconds{9}), std::invalid_argument);
  EXPECT_EQ(engine.run(), 1u);
  EXPECT_EQ(recorder.seen, (Trace{{5, 7}, {8, 7}}));
}

// The fabric pattern: one "next completion" event moved thousands of times. Tombstones are
// compacted, so the heap and the slot table stay bounded.
TEST(Engine, FrequentRescheduleStaysBounded) {
  Engine engine;
  Recorder recorder;
  const HandlerId id = engine.add_handler(recorder);
  EventId next = engine.schedule_at(Picoseconds{1'000'000}, id, 1);
  std::size_t max_bytes = 0;
  for (int i = 0; i < 100'000; ++i) {
    next = engine.reschedule(next, Picoseconds{1'000'000 + (i % 1'000)});
    EXPECT_LE(engine.tombstones(), 1025u);  // compaction floor
    if (i == 10'000) max_bytes = engine.memory_bytes();
  }
  EXPECT_LE(engine.memory_bytes(), max_bytes);
  EXPECT_EQ(engine.pending(), 1u);
  EXPECT_EQ(engine.run(), 1u);
  EXPECT_EQ(recorder.seen, (Trace{{1'000'000 + 99'999 % 1'000, 1}}));  // 99,999 % 1,000 = 999
}

TEST(Engine, RunUntilRunsEventsUpToAndIncludingTheLimit) {
  Engine engine;
  Recorder recorder;
  const HandlerId id = engine.add_handler(recorder);
  engine.schedule_at(Picoseconds{10}, id, 1);
  engine.schedule_at(Picoseconds{20}, id, 2);
  engine.schedule_at(Picoseconds{21}, id, 3);
  EXPECT_EQ(engine.run_until(Picoseconds{20}), 2u);
  EXPECT_EQ(engine.now(), Picoseconds{20});
  EXPECT_EQ(engine.pending(), 1u);
  EXPECT_EQ(engine.run_until(Picoseconds{15}), 0u);  // limit in the past: nothing, time stays
  EXPECT_EQ(engine.now(), Picoseconds{20});
  EXPECT_EQ(engine.run_until(Picoseconds{1'000}), 1u);
  EXPECT_EQ(engine.now(), Picoseconds{1'000});  // advanced to the limit with the queue empty
  EXPECT_EQ(recorder.seen, (Trace{{10, 1}, {20, 2}, {21, 3}}));
}

struct Stopper final : EventHandler {
  int seen = 0;
  void on_event(Engine& engine, std::uint64_t) override {
    if (++seen == 2) engine.stop();
  }
};

TEST(Engine, StopReturnsAfterTheCurrentEvent) {
  Engine engine;
  Stopper stopper;
  const HandlerId id = engine.add_handler(stopper);
  for (int t = 1; t <= 5; ++t) engine.schedule_at(Picoseconds{t}, id);
  EXPECT_EQ(engine.run_until(Picoseconds{100}), 2u);
  EXPECT_EQ(engine.now(), Picoseconds{2});  // a stopped run_until does not jump to the limit
  EXPECT_EQ(engine.pending(), 3u);
  EXPECT_EQ(engine.run(), 3u);
}

// Random schedule/cancel/reschedule traffic: time never decreases, pending() always equals the
// number of events scheduled and not yet run or cancelled, and a replay gives the same trace.
struct Chaos final : EventHandler {
  explicit Chaos(std::uint64_t seed) : random(seed, "chaos") {}
  RandomStream random;
  HandlerId id = 0;
  std::vector<EventId> ids;
  Picoseconds last{0};
  std::uint64_t expected_pending = 0;
  bool time_went_backwards = false;
  bool pending_mismatch = false;
  std::uint64_t budget = 200'000;

  void on_event(Engine& engine, std::uint64_t) override {
    if (engine.now() < last) time_went_backwards = true;
    last = engine.now();
    --expected_pending;
    const std::uint64_t spawn = budget > 0 ? random.below(3) : 0;  // 0..2 children, mean 1
    for (std::uint64_t k = 0; k < spawn && budget > 0; ++k, --budget) {
      ids.push_back(engine.schedule_after(
          Picoseconds{static_cast<std::int64_t>(random.below(1'000))}, id, random()));
      ++expected_pending;
    }
    if (!ids.empty() && random.below(4) == 0) {
      const std::size_t pick = random.below(ids.size());
      if (random.below(2) == 0) {
        if (engine.cancel(ids[pick])) --expected_pending;
      } else {
        const bool was_pending = engine.is_pending(ids[pick]);
        ids[pick] = engine.reschedule(
            ids[pick], engine.now() + Picoseconds{static_cast<std::int64_t>(random.below(500))});
        if (!was_pending) ++expected_pending;
      }
    }
    if (engine.pending() != expected_pending) pending_mismatch = true;
  }
};

std::pair<std::uint64_t, std::uint64_t> run_chaos(std::uint64_t seed) {
  Engine engine;
  Chaos chaos(seed);
  chaos.id = engine.add_handler(chaos);
  for (int i = 0; i < 100; ++i) engine.schedule_at(Picoseconds{i}, chaos.id, 0);
  chaos.expected_pending = 100;
  engine.run();
  EXPECT_FALSE(chaos.time_went_backwards);
  EXPECT_FALSE(chaos.pending_mismatch);
  EXPECT_EQ(engine.pending(), 0u);
  return {engine.trace_hash(), engine.executed()};
}

TEST(Engine, ChaosKeepsInvariantsAndReplaysExactly) {
  const auto first = run_chaos(5);
  const auto replay = run_chaos(5);
  const auto other = run_chaos(6);
  EXPECT_EQ(first, replay);
  EXPECT_NE(first.first, other.first);
  EXPECT_GT(first.second, 1'000u);
}

TEST(Phold, SameSeedSameTraceDifferentSeedDifferentTrace) {
  bench::PholdConfig config;
  config.lp_count = 1'000;
  config.event_count = 200'000;
  config.seed = 11;
  const bench::PholdResult a = bench::run_phold(config);
  const bench::PholdResult b = bench::run_phold(config);
  config.seed = 12;
  const bench::PholdResult c = bench::run_phold(config);
  EXPECT_EQ(a.events_executed, 200'000u);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.end_time, b.end_time);
  EXPECT_NE(a.trace_hash, c.trace_hash);
  // Population is constant: every executed event scheduled exactly one new event.
  EXPECT_EQ(a.pending_events, 1'000u);
  EXPECT_GT(a.bytes_per_pending_event, 40.0);  // at least the 32-byte record + 8-byte slot
  // Mean delay 1 us, 1000 LPs, 200,000 events: each LP sees ~200 events, so the end time is
  // about 200 * 1 us = 200 us; allow a generous band for randomness.
  EXPECT_GT(a.end_time, microseconds(150));
  EXPECT_LT(a.end_time, microseconds(250));
  EXPECT_THROW(bench::run_phold(bench::PholdConfig{.lp_count = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace moesim::sim
