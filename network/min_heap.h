#pragma once
// Internal to network/: min-heaps (by the entries' operator>) on a std::vector with four children
// per node, the network models' lazy queues (finishes, a group's finish keys, pending starts):
// half the levels of std::push_heap / std::pop_heap's binary heap, and one pop per ended flow
// (docs/performance.md, "Epochs' constant factors"). The root is front().
#include <algorithm>
#include <cstddef>
#include <vector>

namespace moesim::network {

inline constexpr std::size_t kHeapArity = 4;

// Places `entry` at `at` or below it, among heap[0 .. size).
template <class T>
void min_heap_sift_down(std::vector<T>& heap, std::size_t at, const T entry) {
  const std::size_t size = heap.size();
  for (;;) {
    const std::size_t first = kHeapArity * at + 1;
    if (first >= size) break;
    std::size_t least = first;
    const std::size_t end = std::min(first + kHeapArity, size);
    for (std::size_t child = first + 1; child < end; ++child)
      if (heap[least] > heap[child]) least = child;
    if (!(entry > heap[least])) break;
    heap[at] = heap[least];
    at = least;
  }
  heap[at] = entry;
}

template <class T>
void min_heap_push(std::vector<T>& heap, const T& entry) {
  std::size_t at = heap.size();
  heap.push_back(entry);
  while (at > 0) {
    const std::size_t parent = (at - 1) / kHeapArity;
    if (!(heap[parent] > entry)) break;
    heap[at] = heap[parent];
    at = parent;
  }
  heap[at] = entry;
}

template <class T>
void min_heap_pop(std::vector<T>& heap) {
  const T last = heap.back();
  heap.pop_back();
  if (!heap.empty()) min_heap_sift_down(heap, 0, last);
}

template <class T>
void min_heap_make(std::vector<T>& heap) {
  if (heap.size() < 2) return;
  for (std::size_t at = (heap.size() - 2) / kHeapArity + 1; at-- > 0;)
    min_heap_sift_down(heap, at, heap[at]);
}

}  // namespace moesim::network
