// The networks' heaps (network/min_heap.h): the four-ary lazy heap pops in its entries' order, and
// the indexed heap (one entry per id, moved in place) pops by key then id, by hand and against an
// ordered set on seeded random operations.
#include "network/min_heap.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace moesim::network {
namespace {

struct Entry {
  double key;
  std::uint32_t id;
  bool operator>(const Entry& o) const { return (key > o.key) | ((key == o.key) & (id > o.id)); }
};

TEST(MinHeap, PopsByKeyThenId) {
  std::vector<Entry> heap;
  for (const Entry& e : {Entry{3, 1}, Entry{1, 9}, Entry{2, 4}, Entry{1, 2}, Entry{5, 0},
                         Entry{2, 3}, Entry{0.5, 7}})
    min_heap_push(heap, e);
  const std::vector<std::pair<double, std::uint32_t>> expected{{0.5, 7}, {1, 2}, {1, 9}, {2, 3},
                                                               {2, 4},   {3, 1}, {5, 0}};
  for (const auto& [key, id] : expected) {
    ASSERT_FALSE(heap.empty());
    EXPECT_EQ(heap.front().key, key);
    EXPECT_EQ(heap.front().id, id);
    min_heap_pop(heap);
  }
  EXPECT_TRUE(heap.empty());
}

TEST(MinHeap, MakeHeapThenPopsSorted) {
  std::mt19937_64 rng(11);
  std::vector<Entry> heap;
  for (std::uint32_t id = 0; id < 500; ++id)
    heap.push_back({static_cast<double>(rng() % 50), id});  // many equal keys
  std::set<std::pair<double, std::uint32_t>> reference;
  for (const Entry& e : heap) reference.insert({e.key, e.id});
  min_heap_make(heap);
  for (const auto& [key, id] : reference) {
    ASSERT_EQ(heap.front().key, key);
    ASSERT_EQ(heap.front().id, id);
    min_heap_pop(heap);
  }
}

TEST(IndexedMinHeap, MovesAnEntryInPlace) {
  IndexedMinHeap heap;
  heap.resize(6);
  heap.set(4, 40);
  heap.set(2, 20);
  heap.set(5, 20);  // ties go to the smaller id
  heap.set(1, 10);
  EXPECT_EQ(heap.top().id, 1u);
  heap.set(1, 30);  // moved down: 2 (20) is first now
  EXPECT_EQ(heap.top().id, 2u);
  EXPECT_EQ(heap.top().key, 20);
  heap.set(4, 5);  // moved up
  EXPECT_EQ(heap.top().id, 4u);
  heap.erase(4);
  heap.erase(3);  // absent: nothing happens
  std::vector<std::uint32_t> order;
  while (!heap.empty()) {
    order.push_back(heap.top().id);
    heap.pop();
  }
  EXPECT_EQ(order, (std::vector<std::uint32_t>{2, 5, 1}));
  heap.set(3, 7);  // an id can come back after it was popped
  EXPECT_EQ(heap.top().id, 3u);
  heap.clear();
  EXPECT_TRUE(heap.empty());
  heap.set(3, 1);  // and after clear()
  EXPECT_EQ(heap.top().key, 1);
}

TEST(IndexedMinHeap, MatchesAnOrderedSetOnRandomOperations) {
  constexpr std::uint32_t kIds = 64;
  std::mt19937_64 rng(7);
  IndexedMinHeap heap;
  heap.resize(kIds);
  std::set<std::pair<std::int64_t, std::uint32_t>> reference;
  std::vector<std::int64_t> key_of(kIds, -1);  // -1: absent
  for (int step = 0; step < 20000; ++step) {
    const std::uint32_t id = static_cast<std::uint32_t>(rng() % kIds);
    const auto op = rng() % 4;
    if (op < 2) {  // insert or move (keys collide often)
      const auto key = static_cast<std::int64_t>(rng() % 100);
      if (key_of[id] >= 0) reference.erase({key_of[id], id});
      reference.insert({key, id});
      key_of[id] = key;
      heap.set(id, key);
    } else if (op == 2) {
      if (key_of[id] >= 0) reference.erase({key_of[id], id});
      key_of[id] = -1;
      heap.erase(id);
    } else if (!reference.empty()) {
      const auto [key, first] = *reference.begin();
      ASSERT_EQ(heap.top().key, key) << "step " << step;
      ASSERT_EQ(heap.top().id, first) << "step " << step;
      reference.erase(reference.begin());
      key_of[first] = -1;
      heap.pop();
    }
    ASSERT_EQ(heap.empty(), reference.empty()) << "step " << step;
  }
}

}  // namespace
}  // namespace moesim::network
