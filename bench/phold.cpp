#include "bench/phold.h"

#include <stdexcept>

#include "sim/engine.h"
#include "sim/rng.h"

namespace moesim::bench {

using sim::Engine;
using sim::EventHandler;
using sim::HandlerId;
using sim::RandomStream;

namespace {

// One handler serves every LP; the payload is the destination LP, so dispatch never allocates.
class PholdModel final : public EventHandler {
 public:
  explicit PholdModel(const PholdConfig& config)
      : lp_count_(config.lp_count),
        mean_delay_ps_(static_cast<double>(config.mean_delay.count())),
        remaining_(config.event_count),
        progress_(config.progress),
        random_(config.seed, "phold") {}

  HandlerId id = 0;

  Picoseconds draw_delay() noexcept {
    // Round half up; the draw is never negative, so this is round-to-nearest without llround.
    return Picoseconds{static_cast<std::int64_t>(random_.exponential(mean_delay_ps_) + 0.5)};
  }
  std::uint64_t draw_lp() noexcept { return random_.below(lp_count_); }

  void on_event(Engine& engine, std::uint64_t /*lp*/) override {
    const std::uint64_t destination = draw_lp();
    engine.schedule_after(draw_delay(), id, destination);
    if (--remaining_ == 0) engine.stop();
    if ((remaining_ & 0xFFFF) == 0 && progress_)
      progress_->fetch_add(0x10000, std::memory_order_relaxed);
  }

 private:
  std::uint64_t lp_count_;
  double mean_delay_ps_;
  std::uint64_t remaining_;
  std::atomic<std::uint64_t>* progress_;
  RandomStream random_;
};

}  // namespace

PholdResult run_phold(const PholdConfig& config) {
  if (config.lp_count == 0 || config.initial_events_per_lp == 0)
    throw std::invalid_argument("run_phold: lp_count and initial_events_per_lp must be positive");
  Engine engine;
  PholdModel model(config);
  model.id = engine.add_handler(model);
  for (std::uint64_t lp = 0; lp < config.lp_count; ++lp)
    for (std::uint64_t k = 0; k < config.initial_events_per_lp; ++k)
      engine.schedule_at(model.draw_delay(), model.id, lp);
  PholdResult result;
  if (config.event_count > 0) engine.run();
  result.events_executed = engine.executed();
  result.end_time = engine.now();
  result.trace_hash = engine.trace_hash();
  result.pending_events = engine.pending();
  result.bytes_per_pending_event =
      result.pending_events == 0
          ? 0.0
          : static_cast<double>(engine.memory_bytes()) / static_cast<double>(result.pending_events);
  return result;
}

}  // namespace moesim::bench
