#pragma once
// Internal to network/: min-heaps (by the entries' operator>) on a std::vector with four children
// per node, the network models' lazy queues (a group's finish keys, pending starts, the reference
// solver's finishes): half the levels of std::push_heap / std::pop_heap's binary heap, and one pop
// per ended flow (docs/performance.md, "Epochs' constant factors"). The root is front(). Entries
// compare without branches (bitwise & and |, both sides evaluated) and the least of four children
// is picked with a conditional move: which child is least is data-dependent, so a branch there is
// mispredicted about half the time.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace moesim::network {

inline constexpr std::size_t kHeapArity = 4;

namespace heap_detail {
// The two sifts, with `place(i, e)` storing entry e at index i (the indexed heap also records
// where it went).
template <class T, class Place>
void sift_down(const std::vector<T>& heap, std::size_t at, const T& entry, Place place) {
  const std::size_t size = heap.size();
  for (;;) {
    const std::size_t first = kHeapArity * at + 1;
    if (first >= size) break;
    std::size_t least = first;
    const std::size_t end = std::min(first + kHeapArity, size);
    for (std::size_t child = first + 1; child < end; ++child)
      least = heap[least] > heap[child] ? child : least;
    if (!(entry > heap[least])) break;
    place(at, heap[least]);
    at = least;
  }
  place(at, entry);
}
template <class T, class Place>
void sift_up(const std::vector<T>& heap, std::size_t at, const T& entry, Place place) {
  while (at > 0) {
    const std::size_t parent = (at - 1) / kHeapArity;
    if (!(heap[parent] > entry)) break;
    place(at, heap[parent]);
    at = parent;
  }
  place(at, entry);
}
}  // namespace heap_detail

// Places `entry` at `at` or below it, among heap[0 .. size).
template <class T>
void min_heap_sift_down(std::vector<T>& heap, std::size_t at, const T entry) {
  heap_detail::sift_down(heap, at, entry, [&](std::size_t i, const T& e) { heap[i] = e; });
}

template <class T>
void min_heap_push(std::vector<T>& heap, const T& entry) {
  heap.push_back(entry);
  heap_detail::sift_up(heap, heap.size() - 1, entry,
                       [&](std::size_t i, const T& e) { heap[i] = e; });
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

// A min-heap of at most one entry per id (0 .. ids), with its position kept per id so that an
// entry is moved in place when its key changes: the networks' next finish per group, where a
// lazy heap would pile up an entry per change and pop them as stale. Ties go to the smaller id.
class IndexedMinHeap {
 public:
  static constexpr std::uint32_t kAbsent = 0xffffffffu;
  struct Entry {
    std::int64_t key;
    std::uint32_t id;
    bool operator>(const Entry& o) const { return (key > o.key) | ((key == o.key) & (id > o.id)); }
  };

  void resize(std::size_t ids) { position_.assign(ids, kAbsent); }
  bool empty() const { return heap_.empty(); }
  const Entry& top() const { return heap_.front(); }
  // Inserts `id` with `key`, or moves it to `key`.
  void set(std::uint32_t id, std::int64_t key) {
    const Entry entry{key, id};
    std::uint32_t at = position_[id];
    if (at == kAbsent) {
      at = static_cast<std::uint32_t>(heap_.size());
      heap_.push_back(entry);
      sift_up(at, entry);
    } else if (heap_[at] > entry) {
      sift_up(at, entry);
    } else {
      sift_down(at, entry);
    }
  }
  void erase(std::uint32_t id) {
    const std::uint32_t at = position_[id];
    if (at == kAbsent) return;
    position_[id] = kAbsent;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (at == heap_.size()) return;
    if (heap_[at] > last) {
      sift_up(at, last);
    } else {
      sift_down(at, last);
    }
  }
  void pop() { erase(heap_.front().id); }
  void clear() {
    for (const Entry& entry : heap_) position_[entry.id] = kAbsent;
    heap_.clear();
  }

 private:
  void place(std::size_t at, const Entry& entry) {
    heap_[at] = entry;
    position_[entry.id] = static_cast<std::uint32_t>(at);
  }
  void sift_up(std::size_t at, const Entry& entry) {
    heap_detail::sift_up(heap_, at, entry, [this](std::size_t i, const Entry& e) { place(i, e); });
  }
  void sift_down(std::size_t at, const Entry& entry) {
    heap_detail::sift_down(heap_, at, entry,
                           [this](std::size_t i, const Entry& e) { place(i, e); });
  }

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> position_;
};

}  // namespace moesim::network
