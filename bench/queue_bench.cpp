// Event-queue and engine benchmarks (docs/performance.md, docs/event-queue.md): HOLD single- and
// two-threaded, BURST, PHOLD. Every queue stores the same 32-byte sim::QueuedEvent ordered by
// (time, sequence), so the ratios compare the data structures only. Results and the command line:
// docs/performance.md.
#include <benchmark/benchmark.h>
#include <tbb/concurrent_priority_queue.h>

#include <atomic>
#include <boost/heap/d_ary_heap.hpp>
#include <cstdint>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "bench/phold.h"
#include "sim/engine.h"
#include "sim/event_queue.h"
#include "sim/rng.h"

namespace {

using moesim::sim::EventQueue;
using moesim::sim::QueuedEvent;

struct Later {  // "a has lower priority than b" for max-heap containers: the earliest is on top
  bool operator()(const QueuedEvent& a, const QueuedEvent& b) const noexcept {
    return moesim::sim::runs_before(b, a);
  }
};

constexpr std::int64_t kMeanIncrementPs = 1'000'000;
constexpr std::size_t kIncrementMask = (1u << 20) - 1;

// Pre-generated exponential increments (mean 1 us), so the timed loops draw no random numbers.
const std::vector<std::int64_t>& increments() {
  static const std::vector<std::int64_t> values = [] {
    moesim::sim::RandomStream random(42, "hold");
    std::vector<std::int64_t> v(kIncrementMask + 1);
    for (auto& x : v) x = static_cast<std::int64_t>(random.exponential(kMeanIncrementPs));
    return v;
  }();
  return values;
}

// ---- adapters: push(time, payload) / pop_min() / bytes() ----
struct OurQueue {
  EventQueue queue;
  void push(std::int64_t time, std::uint64_t payload) {
    queue.push(QueuedEvent{time, 0, payload, 0, 0});
  }
  QueuedEvent pop_min() {
    QueuedEvent event;
    queue.pop_min(event);
    return event;
  }
  std::size_t bytes() const { return queue.memory_bytes(); }
};

struct StdQueue {
  struct Heap : std::priority_queue<QueuedEvent, std::vector<QueuedEvent>, Later> {
    std::size_t capacity() const { return c.capacity(); }
  } heap;
  std::uint64_t sequence = 1;
  void push(std::int64_t time, std::uint64_t payload) {
    heap.push(QueuedEvent{time, sequence++, payload, 0, 0});
  }
  QueuedEvent pop_min() {
    QueuedEvent event = heap.top();
    heap.pop();
    return event;
  }
  std::size_t bytes() const { return heap.capacity() * sizeof(QueuedEvent); }
};

struct BoostQueue {
  boost::heap::d_ary_heap<QueuedEvent, boost::heap::arity<4>, boost::heap::compare<Later>> heap;
  std::uint64_t sequence = 1;
  void push(std::int64_t time, std::uint64_t payload) {
    heap.push(QueuedEvent{time, sequence++, payload, 0, 0});
  }
  QueuedEvent pop_min() {
    QueuedEvent event = heap.top();
    heap.pop();
    return event;
  }
  std::size_t bytes() const { return 0; }
};

struct TbbQueue {
  tbb::concurrent_priority_queue<QueuedEvent, Later> heap;
  std::atomic<std::uint64_t> sequence{1};
  void push(std::int64_t time, std::uint64_t payload) {
    heap.push(QueuedEvent{time, sequence.fetch_add(1, std::memory_order_relaxed), payload, 0, 0});
  }
  QueuedEvent pop_min() {
    QueuedEvent event;
    while (!heap.try_pop(event)) {
    }
    return event;
  }
  std::size_t bytes() const { return 0; }
};

struct MutexQueue {
  std::mutex mutex;
  StdQueue inner;
  void push(std::int64_t time, std::uint64_t payload) {
    std::lock_guard lock(mutex);
    inner.push(time, payload);
  }
  QueuedEvent pop_min() {
    std::lock_guard lock(mutex);
    return inner.pop_min();
  }
  std::size_t bytes() const { return 0; }
};

// A second thread's way of pushing: our queue posts through a Producer, the others push.
template <class Q>
struct Pusher {
  explicit Pusher(Q& q) : q_(q) {}
  void push(std::int64_t time, std::uint64_t payload) { q_.push(time, payload); }
  Q& q_;
};
template <>
struct Pusher<OurQueue> {
  explicit Pusher(OurQueue& q) : producer_(q.queue.make_producer()) {}
  void push(std::int64_t time, std::uint64_t payload) {
    producer_.post(QueuedEvent{time, 0, payload, 0, 0});
  }
  EventQueue::Producer producer_;
};

template <class Q>
void prefill(Q& q, std::int64_t n) {
  const auto& inc = increments();
  for (std::int64_t i = 0; i < n; ++i)
    q.push(inc[static_cast<std::size_t>(i) & kIncrementMask], static_cast<std::uint64_t>(i));
}

std::int64_t iterations_for(std::int64_t n) {
  return n >= 1'000'000 ? 3'000'000 : 10'000'000;
}

// HOLD: each operation pops the minimum and pushes it back at its time plus an increment.
template <class Q>
void BM_Hold(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto& inc = increments();
  auto q = std::make_unique<Q>();
  prefill(*q, n);
  std::size_t k = 0;
  for (auto _ : state) {
    const QueuedEvent event = q->pop_min();
    q->push(event.time + inc[k++ & kIncrementMask], event.payload);
  }
  state.SetItemsProcessed(state.iterations());
  if (q->bytes() > 0)
    state.counters["bytes_per_event"] = static_cast<double>(q->bytes()) / static_cast<double>(n);
}

// HOLD with a second thread pushing one event per owner operation (at most) near the owner's
// current time, as fast as it can, until the owner finishes. Aggregate ops = owner ops + pushes.
template <class Q>
void BM_Hold2(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto& inc = increments();
  auto q = std::make_unique<Q>();
  prefill(*q, n);
  std::atomic<std::int64_t> front{0};
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> pushes{0};
  const std::int64_t cap = state.max_iterations;
  std::thread pusher([&] {
    Pusher<Q> p(*q);
    std::int64_t count = 0;
    while (count < cap && !done.load(std::memory_order_relaxed)) {
      p.push(front.load(std::memory_order_relaxed) +
                 inc[(static_cast<std::size_t>(count) * 7) & kIncrementMask],
             static_cast<std::uint64_t>(count));
      ++count;
    }
    pushes.store(count, std::memory_order_relaxed);
  });
  std::size_t k = 0;
  for (auto _ : state) {
    const QueuedEvent event = q->pop_min();
    q->push(event.time + inc[k++ & kIncrementMask], event.payload);
    if ((k & 255) == 0) front.store(event.time, std::memory_order_relaxed);
  }
  done.store(true, std::memory_order_relaxed);
  pusher.join();
  const double total = static_cast<double>(state.iterations() + pushes.load());
  state.counters["aggregate_ops"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["pushes_per_owner_op"] =
      static_cast<double>(pushes.load()) / static_cast<double>(state.iterations());
}

// BURST: 10,000 events within 100 ps of each other (an all-to-all phase), then drain them all.
template <class Q>
void BM_Burst(benchmark::State& state) {
  constexpr std::size_t kBurst = 10'000;
  std::vector<std::int64_t> jitter(kBurst);
  moesim::sim::RandomStream random(7, "burst");
  for (auto& j : jitter) j = static_cast<std::int64_t>(random.below(100));
  auto q = std::make_unique<Q>();
  std::int64_t base = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBurst; ++i) q->push(base + jitter[i], i);
    std::int64_t last = 0;
    for (std::size_t i = 0; i < kBurst; ++i) last = q->pop_min().time;
    benchmark::DoNotOptimize(last);
    base += 1'000;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBurst));
}

void BM_Phold(benchmark::State& state) {
  moesim::bench::PholdConfig config;
  config.lp_count = static_cast<std::uint64_t>(state.range(0));
  config.event_count = 3'000'000;
  moesim::bench::PholdResult result;
  for (auto _ : state) result = moesim::bench::run_phold(config);
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(result.events_executed) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["bytes_per_event"] = result.bytes_per_pending_event;
}

// Bytes per pending event of the full engine (heap + slot table) with N events scheduled.
struct NoopHandler final : moesim::sim::EventHandler {
  void on_event(moesim::sim::Engine&, std::uint64_t) override {}
};
void BM_EngineMemory(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const auto& inc = increments();
  double bytes_per_event = 0.0;
  for (auto _ : state) {
    moesim::sim::Engine engine;
    NoopHandler handler;
    const moesim::sim::HandlerId id = engine.add_handler(handler);
    for (std::int64_t i = 0; i < n; ++i)
      engine.schedule_at(
          moesim::sim::Picoseconds{inc[static_cast<std::size_t>(i) & kIncrementMask]}, id);
    bytes_per_event =
        static_cast<double>(engine.memory_bytes()) / static_cast<double>(engine.pending());
  }
  state.counters["bytes_per_event"] = bytes_per_event;
  state.SetItemsProcessed(state.iterations() * n);
}

void hold_sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t n : {1'000, 10'000, 100'000, 1'000'000, 4'000'000})
    b->Arg(n)->Iterations(iterations_for(n));
}
void hold2_sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t n : {1'000, 10'000, 100'000, 1'000'000, 4'000'000})
    b->Arg(n)->Iterations(iterations_for(n) / 5)->UseRealTime();
}

BENCHMARK(BM_Hold<OurQueue>)->Apply(hold_sizes);
BENCHMARK(BM_Hold<StdQueue>)->Apply(hold_sizes);
BENCHMARK(BM_Hold<BoostQueue>)->Apply(hold_sizes);
BENCHMARK(BM_Hold<TbbQueue>)->Apply(hold_sizes);
BENCHMARK(BM_Hold2<OurQueue>)->Apply(hold2_sizes);
BENCHMARK(BM_Hold2<TbbQueue>)->Apply(hold2_sizes);
BENCHMARK(BM_Hold2<MutexQueue>)->Apply(hold2_sizes);
BENCHMARK(BM_Burst<OurQueue>);
BENCHMARK(BM_Burst<StdQueue>);
BENCHMARK(BM_Burst<BoostQueue>);
BENCHMARK(BM_Burst<TbbQueue>);
BENCHMARK(BM_EngineMemory)->Arg(4'000'000)->Iterations(1);
BENCHMARK(BM_Phold)->Arg(100)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
