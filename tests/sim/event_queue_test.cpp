#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <queue>
#include <vector>

#include "sim/rng.h"

namespace moesim::sim {
namespace {

struct Later {
  bool operator()(const QueuedEvent& a, const QueuedEvent& b) const { return runs_before(b, a); }
};
using Reference = std::priority_queue<QueuedEvent, std::vector<QueuedEvent>, Later>;

// Random time drawn from a few regimes: tiny (many duplicates), wide, and the int64 extremes.
std::int64_t random_time(RandomStream& random) {
  switch (random.below(6)) {
    case 0:
      return static_cast<std::int64_t>(random.below(4));  // heavy duplicates
    case 1:
      return std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(random.below(3));
    case 2:
      return std::numeric_limits<std::int64_t>::min() + static_cast<std::int64_t>(random.below(3));
    case 3:
      return -static_cast<std::int64_t>(random.below(1'000));
    default:
      return static_cast<std::int64_t>(random());  // any 64-bit pattern
  }
}

void expect_same(const QueuedEvent& got, const QueuedEvent& want) {
  ASSERT_EQ(got.time, want.time);
  ASSERT_EQ(got.sequence, want.sequence);
  ASSERT_EQ(got.payload, want.payload);
  ASSERT_EQ(got.handler, want.handler);
  ASSERT_EQ(got.tag, want.tag);
}

TEST(EventQueue, RecordIs32Bytes) {
  EXPECT_EQ(sizeof(QueuedEvent), 32u);
}

TEST(EventQueue, OrdersByTimeThenSequence) {
  EventQueue queue;
  EXPECT_EQ(queue.push(QueuedEvent{5, 0, 50, 0, 0}), 1u);
  EXPECT_EQ(queue.push(QueuedEvent{3, 0, 30, 0, 0}), 2u);
  EXPECT_EQ(queue.push(QueuedEvent{5, 0, 51, 0, 0}), 3u);
  EXPECT_EQ(queue.push(QueuedEvent{std::numeric_limits<std::int64_t>::min(), 0, 1, 0, 0}), 4u);
  std::vector<std::uint64_t> payloads;
  QueuedEvent event;
  while (queue.pop_min(event)) payloads.push_back(event.payload);
  EXPECT_EQ(payloads, (std::vector<std::uint64_t>{1, 30, 50, 51}));
  EXPECT_TRUE(queue.empty());
}

// Random interleavings of push and pop (including pop-then-push, which fills the root hole)
// must give exactly the reference heap's output, field for field.
TEST(EventQueue, MatchesStdPriorityQueueOnRandomSequences) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    RandomStream random(seed, "queue-order");
    EventQueue queue;
    Reference reference;
    const std::uint64_t push_weight = 1 + random.below(4);  // 1..4 pushes per 3 pops on average
    for (int step = 0; step < 20'000; ++step) {
      const bool push = reference.empty() || random.below(push_weight + 3) < push_weight;
      if (push) {
        QueuedEvent event{random_time(random), 0, random(), static_cast<std::uint32_t>(random()),
                          static_cast<std::uint32_t>(step)};
        event.sequence = queue.push(event);
        reference.push(event);
      } else {
        ASSERT_FALSE(queue.empty());
        expect_same(queue.top(), reference.top());
        expect_same(queue.pop(), reference.top());
        reference.pop();
      }
      ASSERT_EQ(queue.size(), reference.size());
    }
    while (!reference.empty()) {
      expect_same(queue.pop(), reference.top());
      reference.pop();
    }
    EXPECT_TRUE(queue.empty());
  }
}

TEST(EventQueue, SequenceNumbersBreakTiesInPushOrder) {
  EventQueue queue;
  for (std::uint64_t i = 0; i < 1'000; ++i) queue.push(QueuedEvent{7, 0, i, 0, 0});
  for (std::uint64_t i = 0; i < 1'000; ++i) {
    const QueuedEvent event = queue.pop();
    EXPECT_EQ(event.payload, i);
    EXPECT_EQ(event.sequence, i + 1);
  }
}

TEST(EventQueue, RemoveIfKeepsHeapOrder) {
  EventQueue queue;
  RandomStream random(3, "remove-if");
  for (std::uint64_t i = 0; i < 5'000; ++i)
    queue.push(QueuedEvent{static_cast<std::int64_t>(random.below(1'000)), 0, i, 0, 0});
  queue.pop();  // leave a root hole: remove_if must cope
  Reference expected;
  std::vector<QueuedEvent> all;
  queue.for_each([&](const QueuedEvent& e) { all.push_back(e); });
  EXPECT_EQ(all.size(), 4'999u);
  const std::size_t removed =
      queue.remove_if([](const QueuedEvent& e) { return e.payload % 3 == 0; });
  for (const QueuedEvent& e : all)
    if (e.payload % 3 != 0) expected.push(e);
  EXPECT_EQ(removed, all.size() - expected.size());
  while (!expected.empty()) {
    expect_same(queue.pop(), expected.top());
    expected.pop();
  }
  EXPECT_TRUE(queue.empty());
}

// Single-threaded posting: drained events get sequence numbers in posting order, after every
// event the owner pushed before the drain.
TEST(EventQueue, PostedEventsAreDrainedInPostingOrder) {
  EventQueue queue;
  EventQueue::Producer producer = queue.make_producer();
  queue.push(QueuedEvent{10, 0, 100, 0, 0});
  EXPECT_FALSE(queue.has_posted());
  for (std::uint64_t i = 0; i < 600; ++i) producer.post(QueuedEvent{10, 0, i, 0, 0});  // > 2 chunks
  EXPECT_TRUE(queue.has_posted());
  EXPECT_EQ(queue.size(), 1u);  // not drained yet
  std::vector<std::uint64_t> sequences;
  EXPECT_EQ(queue.drain_posted([&](QueuedEvent& e) { sequences.push_back(e.sequence); }), 600u);
  EXPECT_FALSE(queue.has_posted());
  ASSERT_EQ(sequences.size(), 600u);
  for (std::uint64_t i = 0; i < 600; ++i) EXPECT_EQ(sequences[i], i + 2);
  EXPECT_EQ(queue.pop().payload, 100u);
  for (std::uint64_t i = 0; i < 600; ++i) EXPECT_EQ(queue.pop().payload, i);
  // Nodes are recycled: posting again reuses the pool instead of growing it.
  const std::size_t bytes = queue.memory_bytes();
  for (int round = 0; round < 10; ++round) {
    for (std::uint64_t i = 0; i < 600; ++i) producer.post(QueuedEvent{20, 0, i, 0, 0});
    queue.drain_posted();
    while (!queue.empty()) queue.pop();
  }
  EXPECT_EQ(queue.memory_bytes(), bytes);
}

TEST(EventQueue, ReleasedProducerPoolIsReused) {
  EventQueue queue;
  {
    EventQueue::Producer first = queue.make_producer();
    first.post(QueuedEvent{1, 0, 1, 0, 0});
  }
  const std::size_t bytes = queue.memory_bytes();
  EventQueue::Producer second = queue.make_producer();
  second.post(QueuedEvent{2, 0, 2, 0, 0});
  EXPECT_EQ(queue.memory_bytes(), bytes);
  QueuedEvent event;
  ASSERT_TRUE(queue.pop_min(event));
  EXPECT_EQ(event.payload, 1u);
  ASSERT_TRUE(queue.pop_min(event));
  EXPECT_EQ(event.payload, 2u);
  EXPECT_FALSE(queue.pop_min(event));
}

}  // namespace
}  // namespace moesim::sim
