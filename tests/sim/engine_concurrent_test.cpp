// Engine::Poster: events posted from other threads while the engine runs are executed exactly
// once, late posts are clamped to now(), and simulated time never goes backwards.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sim/engine.h"

#ifndef MOESIM_TEST_SCALE_DOWN
#define MOESIM_TEST_SCALE_DOWN 1
#endif

namespace moesim::sim {
namespace {

constexpr std::uint64_t kThreads = 2;
constexpr std::uint64_t kPostsPerThread = 200'000 / MOESIM_TEST_SCALE_DOWN;

// Counts posted events; a heartbeat event keeps the engine alive until every post arrived.
struct Sink final : EventHandler {
  std::vector<std::uint8_t> seen = std::vector<std::uint8_t>(kThreads * kPostsPerThread, 0);
  std::uint64_t received = 0;
  bool duplicate = false;
  bool backwards = false;
  Picoseconds last{0};
  HandlerId id = 0;

  void on_event(Engine& engine, std::uint64_t payload) override {
    if (engine.now() < last) backwards = true;
    last = engine.now();
    if (payload == kHeartbeat) {
      if (received < seen.size()) engine.schedule_after(Picoseconds{1'000}, id, kHeartbeat);
      return;
    }
    if (seen[payload] != 0) duplicate = true;
    seen[payload] = 1;
    ++received;
  }
  static constexpr std::uint64_t kHeartbeat = ~0ULL;
};

TEST(EngineConcurrent, PostedEventsRunExactlyOnce) {
  Engine engine;
  Sink sink;
  sink.id = engine.add_handler(sink);
  engine.schedule_at(Picoseconds{0}, sink.id, Sink::kHeartbeat);
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&engine, &sink, t] {
      Engine::Poster poster = engine.make_poster();
      // Times from 0 up: most are in the engine's past when drained and get clamped to now().
      for (std::uint64_t i = 0; i < kPostsPerThread; ++i)
        poster.post_at(Picoseconds{static_cast<std::int64_t>(i * 10)}, sink.id,
                       t * kPostsPerThread + i);
    });
  }
  engine.run();
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(sink.received, kThreads * kPostsPerThread);
  EXPECT_FALSE(sink.duplicate);
  EXPECT_FALSE(sink.backwards);
  EXPECT_EQ(engine.pending(), 0u);
  EXPECT_LE(engine.late_posts(), kThreads * kPostsPerThread);
}

}  // namespace
}  // namespace moesim::sim
