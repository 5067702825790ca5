#include <gtest/gtest.h>

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

TEST(Engine, RunsEventsInTimeThenSchedulingOrder) {
  Engine engine;
  Recorder recorder;
  const HandlerId id = engine.add_handler(recorder);
  engine.schedule_at(Picoseconds{30}, id, 1);
  engine.schedule_at(Picoseconds{10}, id, 2);
  engine.schedule_at(Picoseconds{30}, id, 3);
  EXPECT_EQ(engine.run(), 3u);
  const std::vector<std::pair<std::int64_t, std::uint64_t>> expected{{10, 2}, {30, 1}, {30, 3}};
  EXPECT_EQ(recorder.seen, expected);
}

}  // namespace
}  // namespace moesim::sim
