#pragma once
// The engine's event queue: a lock-free multi-producer, single-consumer priority queue.
//
// Two parts (algorithm, progress guarantees and ordering contract: docs/event-queue.md):
//  * the owner's private 4-ary min-heap of 32-byte records, touched only by the owning thread with
//    no atomics at all, so single-threaded use runs at tuned-heap speed;
//  * a lock-free inbox (Treiber stack of pooled nodes) that any thread may push into through a
//    Producer handle. The owner moves the whole inbox into the heap with one atomic exchange before
//    it looks at the minimum; an empty inbox costs one relaxed load.
//
// Order: by (time, sequence). The queue assigns sequence numbers itself, in the order events
// enter the heap (owner pushes immediately, posted events when drained, in the order their pushes
// linearised), so a single-threaded run is bit-for-bit reproducible.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

namespace moesim::sim {

// One queued event. 32 bytes so that a 4-ary family of children is exactly two cache lines.
struct QueuedEvent {
  std::int64_t time = 0;       // picoseconds
  std::uint64_t sequence = 0;  // assigned by EventQueue; ties in time run in sequence order
  std::uint64_t payload = 0;
  std::uint32_t handler = 0;
  std::uint32_t tag = 0;  // free for the queue's user (the engine stores its slot index here)
};
static_assert(sizeof(QueuedEvent) == 32);

// Strict (time, sequence) order as one unsigned 128-bit key: the time's sign bit is flipped so
// that signed order becomes unsigned order, and the sequence breaks ties. Comparing two keys is a
// cmp/sbb pair with no branch.
__extension__ using EventKey = unsigned __int128;
inline EventKey order_key(const QueuedEvent& event) noexcept {
  constexpr std::uint64_t kSign = 0x8000'0000'0000'0000ULL;
  return (EventKey{static_cast<std::uint64_t>(event.time) ^ kSign} << 64) | event.sequence;
}
inline bool runs_before(const QueuedEvent& a, const QueuedEvent& b) noexcept {
  return order_key(a) < order_key(b);
}

class EventQueue {
  struct ProducerState;
  struct Node {
    QueuedEvent event;
    Node* next = nullptr;
    ProducerState* home = nullptr;  // the producer pool the node returns to after draining
  };

 public:
  // A thread's handle for posting into the queue from any thread. Not itself thread-safe: one
  // handle per posting thread. Owns a private pool of nodes, so posting allocates only while the
  // pool grows (in chunks of kNodesPerChunk), never per event in steady state.
  class Producer {
   public:
    Producer() = default;
    Producer(Producer&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
    Producer& operator=(Producer&& other) noexcept;
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;
    ~Producer();

    // Lock-free: one CAS loop on the inbox head (retried only when another push or the owner's
    // drain succeeded in between). `event.sequence` is ignored; the owner assigns it on drain.
    void post(const QueuedEvent& event);
    explicit operator bool() const noexcept { return state_ != nullptr; }

   private:
    friend class EventQueue;
    explicit Producer(ProducerState* state) noexcept : state_(state) {}
    ProducerState* state_ = nullptr;
  };

  EventQueue();
  ~EventQueue();
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // ---- any thread ----
  // Returns a producer handle; reuses the pool of a released handle when one exists.
  Producer make_producer();
  // One relaxed load: has anything been posted that the owner has not drained yet?
  bool has_posted() const noexcept { return inbox_.load(std::memory_order_relaxed) != nullptr; }

  // ---- owner thread only ----
  // Inserts `event`, stamping the next sequence number, which it returns.
  std::uint64_t push(QueuedEvent event) {
    event.sequence = next_sequence_++;
    insert(event);
    return event.sequence;
  }
  // Moves every posted event into the heap (sequence numbers in posting order). `prepare` sees
  // each event after its sequence is stamped and before it is inserted, and may change its time or
  // tag (the engine clamps late times to now and assigns a slot). Returns the number drained.
  template <class Prepare>
  std::size_t drain_posted(Prepare&& prepare);
  std::size_t drain_posted() {
    return drain_posted([](QueuedEvent&) {});
  }

  // Number of events in the heap (posted events count once drained).
  std::size_t size() const noexcept { return count_ - (root_hole_ ? 1 : 0); }
  bool empty() const noexcept { return size() == 0; }
  // The minimum of the heap. Precondition: !empty(). Does not drain the inbox (see pop_min()).
  const QueuedEvent& top() {
    if (root_hole_) fill_root_hole();
    return heap_[kRoot];
  }
  // Removes and returns the minimum. Precondition: !empty(). The removal is lazy: the root becomes
  // a hole that the next push fills with a single sift-down (pop followed by push, the common
  // pattern of an event loop, costs one sift instead of two).
  QueuedEvent pop() {
    if (root_hole_) fill_root_hole();
    root_hole_ = true;
    return heap_[kRoot];
  }
  // Drains the inbox, then pops the minimum into `out`; false if empty. The returned event is the
  // minimum of everything pushed by the owner and posted before this call's drain.
  bool pop_min(QueuedEvent& out) {
    if (has_posted()) drain_posted();
    if (empty()) return false;
    out = pop();
    return true;
  }

  // Removes every event for which `dead(event)` is true, then rebuilds the heap in O(n).
  template <class Dead>
  std::size_t remove_if(Dead&& dead);
  // Visits every event in the heap (in storage order).
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (std::size_t i = kRoot + (root_hole_ ? 1 : 0); i < kRoot + count_; ++i) visit(heap_[i]);
  }

  void reserve(std::size_t events);
  // Bytes held by the heap's storage (capacity, not size) and by the posting pools.
  std::size_t memory_bytes() const noexcept;
  std::uint64_t next_sequence() const noexcept { return next_sequence_; }

  static constexpr std::size_t kNodesPerChunk = 256;

 private:
  // The root sits at index 3 so that the four children of index i, at 4i-8 .. 4i-5, start at a
  // multiple of 4 records = 128 bytes: a family is exactly two cache lines of the aligned buffer.
  static constexpr std::size_t kRoot = 3;
  static constexpr std::size_t first_child(std::size_t i) noexcept { return 4 * i - 8; }
  static constexpr std::size_t parent(std::size_t i) noexcept { return (i + 8) / 4; }

  void insert(const QueuedEvent& event) {
    if (root_hole_) {
      root_hole_ = false;
      sift_down(kRoot, event);
      return;
    }
    if (kRoot + count_ == capacity_) grow();
    sift_up(kRoot + count_, event);
    ++count_;
  }
  void fill_root_hole() {
    root_hole_ = false;
    --count_;
    if (count_ > 0) sift_down(kRoot, heap_[kRoot + count_]);
  }
  void sift_up(std::size_t hole, const QueuedEvent& event) noexcept {
    while (hole > kRoot) {
      const std::size_t up = parent(hole);
      if (!runs_before(event, heap_[up])) break;
      heap_[hole] = heap_[up];
      hole = up;
    }
    heap_[hole] = event;
  }
  // Places `event` at `hole` and moves it down. For a full family of four the minimum is found by a
  // two-round tournament without unpredictable branches, and whether the event stops here is
  // decided from the two semi-final winners in parallel with the final, so a level's critical path
  // is: load the family, compare pairs, select the winners' keys, compare.
  void sift_down(std::size_t hole, const QueuedEvent event) noexcept {
    const std::size_t end = kRoot + count_;
    const EventKey event_key = order_key(event);
    for (;;) {
      const std::size_t child = first_child(hole);
      std::size_t best;
      if (child + 3 < end) {
        // The four children's children are one contiguous run of 16 records (8 lines): fetch
        // them while this level's comparisons resolve, so descending a heap larger than the cache
        // overlaps the next level's misses with this level's work.
        const std::size_t grandchild = first_child(child);
        if (grandchild + 15 < end)
          for (std::size_t line = 0; line < 16; line += 2)
            __builtin_prefetch(heap_ + grandchild + line);
        // Keys as (flipped time, sequence) halves in registers; winners are picked with 64-bit
        // selects (cmov), so no family record is loaded twice on the critical path.
        constexpr std::uint64_t kSign = 0x8000'0000'0000'0000ULL;
        const QueuedEvent* family = heap_ + child;
        const std::uint64_t t0 = static_cast<std::uint64_t>(family[0].time) ^ kSign;
        const std::uint64_t t1 = static_cast<std::uint64_t>(family[1].time) ^ kSign;
        const std::uint64_t t2 = static_cast<std::uint64_t>(family[2].time) ^ kSign;
        const std::uint64_t t3 = static_cast<std::uint64_t>(family[3].time) ^ kSign;
        const EventKey k0 = (EventKey{t0} << 64) | family[0].sequence;
        const EventKey k1 = (EventKey{t1} << 64) | family[1].sequence;
        const EventKey k2 = (EventKey{t2} << 64) | family[2].sequence;
        const EventKey k3 = (EventKey{t3} << 64) | family[3].sequence;
        const bool take1 = k1 < k0, take3 = k3 < k2;
        const std::uint64_t ta = take1 ? t1 : t0,
                            sa = take1 ? family[1].sequence : family[0].sequence;
        const std::uint64_t tb = take3 ? t3 : t2,
                            sb = take3 ? family[3].sequence : family[2].sequence;
        const std::size_t a = child + take1, b = child + 2 + take3;
        const EventKey key_a = (EventKey{ta} << 64) | sa, key_b = (EventKey{tb} << 64) | sb;
        const bool event_is_smallest = !(key_a < event_key) & !(key_b < event_key);
        const std::size_t b_wins = 0 - static_cast<std::size_t>(key_b < key_a);
        if (event_is_smallest) break;
        best = a ^ ((a ^ b) & b_wins);
      } else if (child < end) {
        best = child;
        for (std::size_t c = child + 1; c < end; ++c)
          if (runs_before(heap_[c], heap_[best])) best = c;
        if (!runs_before(heap_[best], event)) break;
      } else {
        break;
      }
      heap_[hole] = heap_[best];
      hole = best;
    }
    heap_[hole] = event;
  }
  void grow();
  void heapify() noexcept;
  void recycle(Node* first, Node* last, ProducerState* home) noexcept;

  // Owner-private heap: hot fields first.
  QueuedEvent* heap_ = nullptr;
  std::size_t count_ = 0;  // records in heap_[kRoot, kRoot + count_), the root may be a hole
  std::size_t capacity_ = 0;
  std::size_t heap_alignment_ = 0;
  bool root_hole_ = false;
  std::uint64_t next_sequence_ = 1;

  // Shared: written by producers, exchanged by the owner. On its own cache line.
  alignas(64) std::atomic<Node*> inbox_{nullptr};
  alignas(64) std::atomic<ProducerState*> producers_{nullptr};  // every pool ever made
  std::atomic<std::size_t> pool_bytes_{0};
};

// ---- implementation details that must be visible to the templates ----

struct EventQueue::ProducerState {
  Node* free = nullptr;  // producer-private free nodes
  std::atomic<Node*> returned{
      nullptr};  // nodes the owner gave back (owner pushes, producer takes all)
  std::atomic<bool> in_use{false};
  std::vector<Node*> chunks;  // owned node arrays, freed with the queue
  EventQueue* queue = nullptr;
  ProducerState* next_state = nullptr;
};

template <class Prepare>
std::size_t EventQueue::drain_posted(Prepare&& prepare) {
  Node* head = inbox_.exchange(nullptr, std::memory_order_acquire);
  // The stack is newest-first; reverse it so sequence numbers follow the posting order.
  Node* oldest = nullptr;
  while (head != nullptr) {
    Node* next = head->next;
    head->next = oldest;
    oldest = head;
    head = next;
  }
  std::size_t drained = 0;
  Node* run_first = oldest;  // runs of consecutive nodes from one producer go back in one CAS
  for (Node* node = oldest; node != nullptr;) {
    QueuedEvent event = node->event;
    event.sequence = next_sequence_++;
    prepare(event);
    insert(event);
    ++drained;
    Node* next = node->next;
    if (next == nullptr || next->home != node->home) {
      recycle(run_first, node, node->home);
      run_first = next;
    }
    node = next;
  }
  return drained;
}

template <class Dead>
std::size_t EventQueue::remove_if(Dead&& dead) {
  if (root_hole_) fill_root_hole();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < count_; ++i)
    if (!dead(std::as_const(heap_[kRoot + i]))) heap_[kRoot + kept++] = heap_[kRoot + i];
  const std::size_t removed = count_ - kept;
  count_ = kept;
  heapify();
  return removed;
}

}  // namespace moesim::sim
