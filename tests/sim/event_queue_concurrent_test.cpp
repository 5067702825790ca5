// Multi-threaded stress of EventQueue: producers post while the owner drains and pops.
// Checked: every posted event is popped exactly once, and the owner's output is exactly what a
// sequential heap gives for the same sequence of drained batches and pops (the documented
// guarantee: a pop returns the minimum of everything drained before it).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <queue>
#include <thread>
#include <vector>

#include "sim/event_queue.h"
#include "sim/rng.h"

#ifndef MOESIM_TEST_SCALE_DOWN
#define MOESIM_TEST_SCALE_DOWN 1  // sanitizer builds divide the operation counts by this
#endif

namespace moesim::sim {
namespace {

constexpr std::uint64_t kProducers = 3;
constexpr std::uint64_t kPostsPerProducer = 400'000 / MOESIM_TEST_SCALE_DOWN;
constexpr std::uint64_t kOwnerPushes = 400'000 / MOESIM_TEST_SCALE_DOWN;

struct Later {
  bool operator()(const QueuedEvent& a, const QueuedEvent& b) const { return runs_before(b, a); }
};

std::uint64_t payload_of(std::uint64_t producer, std::uint64_t index) {
  return producer << 32 | index;
}

TEST(EventQueueConcurrent, EveryPostIsPoppedOnceInHeapOrder) {
  EventQueue queue;
  std::atomic<std::uint64_t> producers_done{0};
  std::vector<std::thread> producers;
  for (std::uint64_t p = 1; p <= kProducers; ++p) {
    producers.emplace_back([&queue, &producers_done, p] {
      EventQueue::Producer producer = queue.make_producer();
      RandomStream random(p, "producer");
      for (std::uint64_t i = 0; i < kPostsPerProducer; ++i)
        producer.post(QueuedEvent{static_cast<std::int64_t>(random.below(1'000'000)), 0,
                                  payload_of(p, i), 0, 0});
      producers_done.fetch_add(1, std::memory_order_release);
    });
  }

  // The owner interleaves its own pushes, drains and pops, logging each insertion (time, sequence)
  // and each pop (sequence) in the order they happened.
  struct LogEntry {
    std::int64_t time;
    std::uint64_t sequence;
    bool pop;
  };
  std::vector<LogEntry> log;
  log.reserve(2 * (kProducers * kPostsPerProducer + kOwnerPushes));
  std::vector<QueuedEvent> popped;
  popped.reserve(kProducers * kPostsPerProducer + kOwnerPushes);
  RandomStream random(99, "owner");
  std::uint64_t owner_pushed = 0;
  for (;;) {
    const bool all_posted = producers_done.load(std::memory_order_acquire) == kProducers;
    if (owner_pushed < kOwnerPushes && random.below(2) == 0) {
      QueuedEvent event{static_cast<std::int64_t>(random.below(1'000'000)), 0,
                        payload_of(0, owner_pushed), 0, 0};
      event.sequence = queue.push(event);
      log.push_back({event.time, event.sequence, false});
      ++owner_pushed;
    }
    queue.drain_posted([&log](QueuedEvent& e) { log.push_back({e.time, e.sequence, false}); });
    if (queue.empty()) {
      if (all_posted && owner_pushed == kOwnerPushes && !queue.has_posted()) break;
      std::this_thread::yield();  // two cores: let the producers run
      continue;
    }
    popped.push_back(queue.pop());
    log.push_back({popped.back().time, popped.back().sequence, true});
  }
  for (std::thread& t : producers) t.join();

  // Exactly once: every (producer, index) appears once.
  ASSERT_EQ(popped.size(), kProducers * kPostsPerProducer + kOwnerPushes);
  std::vector<std::vector<std::uint8_t>> seen(kProducers + 1);
  seen[0].resize(kOwnerPushes);
  for (std::uint64_t p = 1; p <= kProducers; ++p) seen[p].resize(kPostsPerProducer);
  for (const QueuedEvent& e : popped) {
    auto& flag = seen[e.payload >> 32][e.payload & 0xFFFF'FFFFULL];
    ASSERT_EQ(flag, 0) << "event popped twice";
    flag = 1;
  }

  // Heap order: replaying the same insertions and pops on a reference heap gives the same pops.
  // Sequence numbers are unique, so comparing them compares identities.
  std::priority_queue<QueuedEvent, std::vector<QueuedEvent>, Later> reference;
  std::size_t next_pop = 0;
  for (const LogEntry& entry : log) {
    if (!entry.pop) {
      reference.push(QueuedEvent{entry.time, entry.sequence, 0, 0, 0});
      continue;
    }
    ASSERT_FALSE(reference.empty());
    ASSERT_EQ(entry.sequence, reference.top().sequence);
    ASSERT_EQ(entry.time, reference.top().time);
    reference.pop();
    ++next_pop;
  }
  EXPECT_EQ(next_pop, popped.size());
}

// Posts from several threads while the owner keeps popping through pop_min: nothing is lost or
// duplicated, and each producer's events (posted with increasing times) pop in posting order.
TEST(EventQueueConcurrent, PerProducerOrderIsKept) {
  EventQueue queue;
  std::vector<std::thread> producers;
  for (std::uint64_t p = 0; p < kProducers; ++p) {
    producers.emplace_back([&queue, p] {
      EventQueue::Producer producer = queue.make_producer();
      for (std::uint64_t i = 0; i < kPostsPerProducer; ++i)
        producer.post(QueuedEvent{static_cast<std::int64_t>(i), 0, payload_of(p, i), 0, 0});
    });
  }
  std::vector<std::uint64_t> next(kProducers, 0);
  std::uint64_t total = 0;
  QueuedEvent event;
  while (total < kProducers * kPostsPerProducer) {
    if (!queue.pop_min(event)) {
      std::this_thread::yield();
      continue;
    }
    const std::uint64_t p = event.payload >> 32;
    ASSERT_EQ(event.payload & 0xFFFF'FFFFULL, next[p]);
    ++next[p];
    ++total;
  }
  for (std::thread& t : producers) t.join();
  EXPECT_FALSE(queue.pop_min(event));
}

}  // namespace
}  // namespace moesim::sim
