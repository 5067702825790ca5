#include "sim/event_queue.h"

#include <algorithm>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace moesim::sim {

namespace {
constexpr std::size_t kFamilyAlignment = 128;     // one 4-ary family = two 64-byte lines
constexpr std::size_t kHugePageBytes = 2u << 20;  // x86-64 transparent huge page
constexpr std::size_t kHugePageThreshold = 8u << 20;

// Heaps of several megabytes descend through a new 4 KiB page at nearly every level, so TLB misses
// cost as much as cache misses; on Linux ask for transparent huge pages (a hint: where THP is
// disabled nothing changes). Smaller heaps only need the family alignment.
QueuedEvent* allocate_heap(std::size_t bytes, std::size_t& alignment) {
  alignment = bytes >= kHugePageThreshold ? kHugePageBytes : kFamilyAlignment;
  bytes = (bytes + alignment - 1) / alignment * alignment;
  void* memory = ::operator new[](bytes, std::align_val_t{alignment});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (alignment == kHugePageBytes) madvise(memory, bytes, MADV_HUGEPAGE);
#endif
  return static_cast<QueuedEvent*>(memory);
}
}  // namespace

EventQueue::EventQueue() {
  reserve(64);
}

EventQueue::~EventQueue() {
  ::operator delete[](heap_, std::align_val_t{heap_alignment_});
  ProducerState* state = producers_.load(std::memory_order_acquire);
  while (state != nullptr) {
    ProducerState* next = state->next_state;
    for (Node* chunk : state->chunks) delete[] chunk;
    delete state;
    state = next;
  }
}

void EventQueue::reserve(std::size_t events) {
  const std::size_t wanted = kRoot + events;
  if (wanted <= capacity_) return;
  std::size_t alignment = 0;
  QueuedEvent* bigger = allocate_heap(wanted * sizeof(QueuedEvent), alignment);
  if (heap_ != nullptr) {
    std::memcpy(static_cast<void*>(bigger + kRoot), heap_ + kRoot, count_ * sizeof(QueuedEvent));
    ::operator delete[](heap_, std::align_val_t{heap_alignment_});
  }
  heap_ = bigger;
  heap_alignment_ = alignment;
  capacity_ = wanted;
}

void EventQueue::grow() {
  reserve(std::max<std::size_t>(64, 2 * (capacity_ - kRoot)));
}

void EventQueue::heapify() noexcept {
  if (count_ < 2) return;
  const std::size_t last = kRoot + count_ - 1;
  for (std::size_t i = parent(last) + 1; i-- > kRoot;) sift_down(i, heap_[i]);
}

std::size_t EventQueue::memory_bytes() const noexcept {
  return capacity_ * sizeof(QueuedEvent) + pool_bytes_.load(std::memory_order_relaxed);
}

void EventQueue::recycle(Node* first, Node* last, ProducerState* home) noexcept {
  Node* head = home->returned.load(std::memory_order_relaxed);
  do {
    last->next = head;
  } while (!home->returned.compare_exchange_weak(head, first, std::memory_order_release,
                                                 std::memory_order_relaxed));
}

EventQueue::Producer EventQueue::make_producer() {
  for (ProducerState* state = producers_.load(std::memory_order_acquire); state != nullptr;
       state = state->next_state) {
    bool expected = false;
    if (state->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire))
      return Producer(state);
  }
  auto* state = new ProducerState;
  state->queue = this;
  state->in_use.store(true, std::memory_order_relaxed);
  ProducerState* head = producers_.load(std::memory_order_relaxed);
  do {
    state->next_state = head;
  } while (!producers_.compare_exchange_weak(head, state, std::memory_order_release,
                                             std::memory_order_relaxed));
  return Producer(state);
}

EventQueue::Producer& EventQueue::Producer::operator=(Producer&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr) state_->in_use.store(false, std::memory_order_release);
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

EventQueue::Producer::~Producer() {
  if (state_ != nullptr) state_->in_use.store(false, std::memory_order_release);
}

void EventQueue::Producer::post(const QueuedEvent& event) {
  ProducerState& state = *state_;
  Node* node = state.free;
  if (node == nullptr) {
    // Take back everything the owner has drained (one exchange, no ABA: nobody else pops here).
    node = state.returned.exchange(nullptr, std::memory_order_acquire);
    if (node == nullptr) {
      Node* chunk = new Node[kNodesPerChunk];
      state.chunks.push_back(chunk);
      for (std::size_t i = 0; i + 1 < kNodesPerChunk; ++i) chunk[i].next = &chunk[i + 1];
      state.queue->pool_bytes_.fetch_add(kNodesPerChunk * sizeof(Node), std::memory_order_relaxed);
      node = chunk;
    }
  }
  state.free = node->next;
  node->event = event;
  node->home = &state;
  std::atomic<Node*>& inbox = state.queue->inbox_;
  Node* head = inbox.load(std::memory_order_relaxed);
  do {
    node->next = head;
  } while (!inbox.compare_exchange_weak(head, node, std::memory_order_release,
                                        std::memory_order_relaxed));
}

}  // namespace moesim::sim
