#include "workloads/decode/all_to_all.h"

#include <cmath>

namespace moesim::workloads::decode {

using sim::Picoseconds;
using topology::LinkTier;

// One (layer, micro-batch) all-to-all while it is in progress.
struct AllToAll::Run {
  LayerTraffic traffic;
  std::vector<std::uint32_t> dispatch_expected, dispatch_arrived;
  std::vector<std::uint32_t> combine_expected, combine_arrived;
  std::vector<std::uint32_t> relay_pending;  // NodeDedup combine: [relay * N + source]
  std::vector<std::uint8_t> dispatch_done, combine_done;
  std::vector<Picoseconds> dispatch_send, dispatch_complete, combine_send, combine_complete;
  std::uint32_t gpus_done = 0;
};

namespace {

// Delayed sends (the calibrated per-phase fixed cost): phase in the top byte, then micro-batch,
// layer, GPU.
enum class Send : std::uint8_t { Dispatch, Combine };
constexpr std::uint64_t encode(Send phase, std::uint32_t micro_batch, std::uint32_t layer,
                               std::uint32_t gpu) {
  return (std::uint64_t{static_cast<std::uint8_t>(phase)} << 56) |
         (std::uint64_t{micro_batch} << 48) | (std::uint64_t{layer} << 32) | gpu;
}

}  // namespace

AllToAll::AllToAll(sim::Engine& engine, const DecodeConfig& config, const EpDomains& domains,
                   TrafficSource& traffic, double dispatch_token_bytes, double combine_token_bytes,
                   AllToAllListener& listener, StepRecorder& recorder)
    : engine_(engine),
      config_(config),
      domains_(domains),
      traffic_(traffic),
      listener_(listener),
      recorder_(recorder),
      handler_(engine.add_handler(*this)),
      gpus_(config.ep_size),
      micro_batches_(config.two_micro_batch_overlap ? 2u : 1u),
      dispatch_token_bytes_(dispatch_token_bytes),
      combine_token_bytes_(combine_token_bytes) {}

AllToAll::~AllToAll() = default;

void AllToAll::begin_step(std::uint32_t step, std::size_t runs) {
  step_ = step;
  runs_.clear();
  runs_.resize(runs);
  messages_.clear();
}

void AllToAll::start_dispatch(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t gpu,
                              std::uint32_t tokens_per_gpu) {
  if (!runs_[run_index(layer, micro_batch)]) make_run(layer, micro_batch, tokens_per_gpu);
  const Picoseconds fixed = config_.calibration.dispatch_phase_overhead;
  if (fixed > Picoseconds{0})
    engine_.schedule_after(fixed, handler_, encode(Send::Dispatch, micro_batch, layer, gpu));
  else
    send_dispatch(layer, micro_batch, gpu);
}

void AllToAll::start_combine(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t gpu) {
  const Picoseconds fixed = config_.calibration.combine_phase_overhead;
  if (fixed > Picoseconds{0})
    engine_.schedule_after(fixed, handler_, encode(Send::Combine, micro_batch, layer, gpu));
  else
    send_combine(layer, micro_batch, gpu);
}

void AllToAll::on_event(sim::Engine&, std::uint64_t payload) {
  const auto phase = static_cast<Send>(payload >> 56);
  const auto micro_batch = static_cast<std::uint32_t>((payload >> 48) & 0xff);
  const auto layer = static_cast<std::uint32_t>((payload >> 32) & 0xffff);
  const auto gpu = static_cast<std::uint32_t>(payload & 0xffffffff);
  if (phase == Send::Dispatch)
    send_dispatch(layer, micro_batch, gpu);
  else
    send_combine(layer, micro_batch, gpu);
}

void AllToAll::will_deliver(std::uint64_t tag) {
  messages_.prefetch(tag);
}

void AllToAll::on_delivered(std::uint64_t tag, Picoseconds at) {
  const MessageInfo info = messages_.take(tag);
  Run& r = run(info.layer, info.micro_batch);
  const std::uint32_t destination = info.destination;
  switch (info.kind) {
    case MessageKind::DispatchToRelay:
      forward_dispatch(r, info);
      [[fallthrough]];
    case MessageKind::Dispatch:
      ++r.dispatch_arrived[destination];
      maybe_dispatch_complete(r, info.layer, info.micro_batch, destination, at);
      break;
    case MessageKind::CombineToRelay:
      relay_partial_arrived(r, info.layer, info.micro_batch, destination, info.origin);
      break;
    case MessageKind::Combine:
      ++r.combine_arrived[destination];
      maybe_combine_complete(r, info.layer, info.micro_batch, destination, at);
      break;
  }
}

AllToAll::Run& AllToAll::run(std::uint32_t layer, std::uint32_t micro_batch) {
  return *runs_[run_index(layer, micro_batch)];
}

AllToAll::Run& AllToAll::make_run(std::uint32_t layer, std::uint32_t micro_batch,
                                  std::uint32_t tokens_per_gpu) {
  auto& slot = runs_[run_index(layer, micro_batch)];
  slot = std::make_unique<Run>();
  Run& r = *slot;
  r.traffic = traffic_.take(step_, layer, micro_batch, tokens_per_gpu);
  const std::size_t n = gpus_;
  r.dispatch_expected.assign(n, 0);
  r.dispatch_arrived.assign(n, 0);
  r.combine_expected.assign(n, 0);
  r.combine_arrived.assign(n, 0);
  r.dispatch_done.assign(n, 0);
  r.combine_done.assign(n, 0);
  r.dispatch_send.assign(n, Picoseconds::max());
  r.dispatch_complete.assign(n, Picoseconds{0});
  r.combine_send.assign(n, Picoseconds::max());
  r.combine_complete.assign(n, Picoseconds{0});
  count_expected_messages(r);
  return r;
}

// How many messages each GPU waits for in each phase, from the layer's traffic.
void AllToAll::count_expected_messages(Run& r) const {
  const LayerTraffic& t = r.traffic;
  const std::uint32_t n = gpus_;
  if (config_.dispatch_mode == DispatchMode::Direct) {
    for (std::uint32_t src = 0; src < n; ++src)
      for (std::uint32_t dst = 0; dst < n; ++dst)
        if (src != dst && t.pairs[std::size_t{src} * n + dst] > 0) {
          ++r.dispatch_expected[dst];
          ++r.combine_expected[src];
        }
    return;
  }
  r.relay_pending.assign(std::size_t{n} * n, 0);
  const std::uint32_t domains = t.domain_count;
  for (std::uint32_t src = 0; src < n; ++src) {
    for (std::uint32_t dst = 0; dst < n; ++dst) {
      if (t.distinct_tokens[std::size_t{src} * n + dst] == 0) continue;
      if (domains_.same_domain(src, dst)) {
        if (src != dst) {
          ++r.dispatch_expected[dst];
          ++r.combine_expected[src];
        }
        continue;
      }
      const std::uint32_t relay = domains_.relay(src, dst);
      if (relay != dst) ++r.dispatch_expected[dst];  // the relay's forward
      // A partial sum for the relay, from dst (or the relay itself).
      ++r.relay_pending[std::size_t{relay} * n + src];
    }
    for (std::uint32_t dom = 0; dom < domains; ++dom) {
      if (dom == domains_.domain_of[src] ||
          t.distinct_tokens_to_domain[std::size_t{src} * domains + dom] == 0)
        continue;
      const std::uint32_t relay = domains_.relay(src, domains_.gpus_of_domain[dom][0]);
      ++r.dispatch_expected[relay];  // the cross-domain copy
      ++r.combine_expected[src];     // the relay's reduced combine
    }
  }
}

void AllToAll::submit(MessageKind kind, std::uint32_t layer, std::uint32_t micro_batch,
                      std::uint32_t source, std::uint32_t destination, double bytes,
                      std::uint32_t origin) {
  const LinkTier tier =
      domains_.same_domain(source, destination) ? LinkTier::ScaleUp : LinkTier::ScaleOut;
  const auto t = static_cast<std::size_t>(tier);
  const bool dispatch = kind == MessageKind::Dispatch || kind == MessageKind::DispatchToRelay;
  const double fraction = dispatch ? config_.calibration.bandwidth_fraction[t]
                                   : config_.calibration.combine_bandwidth_fraction[t];
  const auto wire_bytes = static_cast<std::uint64_t>(std::llround(bytes / fraction));
  const std::uint64_t tag =
      messages_.add({kind, static_cast<std::uint8_t>(micro_batch),
                     static_cast<std::uint16_t>(layer), source, destination, origin});
  recorder_.message(dispatch, bytes);
  network_->submit({source, destination, wire_bytes,
                    engine_.now() + config_.calibration.message_overhead[t], tag});
}

void AllToAll::send_dispatch(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t source) {
  Run& r = run(layer, micro_batch);
  const Picoseconds now = engine_.now();
  r.dispatch_send[source] = now;
  const LayerTraffic& t = r.traffic;
  const std::uint32_t n = gpus_;
  if (config_.dispatch_mode == DispatchMode::Direct) {
    for (std::uint32_t dst = 0; dst < n; ++dst) {
      const std::uint32_t pairs = t.pairs[std::size_t{source} * n + dst];
      if (dst != source && pairs > 0)
        submit(MessageKind::Dispatch, layer, micro_batch, source, dst,
               pairs * dispatch_token_bytes_);
    }
  } else {
    for (std::uint32_t dst : domains_.gpus_of_domain[domains_.domain_of[source]]) {
      const std::uint32_t distinct = t.distinct_tokens[std::size_t{source} * n + dst];
      if (dst != source && distinct > 0)
        submit(MessageKind::Dispatch, layer, micro_batch, source, dst,
               distinct * dispatch_token_bytes_);
    }
    const std::uint32_t domains = t.domain_count;
    for (std::uint32_t dom = 0; dom < domains; ++dom) {
      const std::uint32_t distinct =
          t.distinct_tokens_to_domain[std::size_t{source} * domains + dom];
      if (dom == domains_.domain_of[source] || distinct == 0) continue;
      const std::uint32_t relay = domains_.relay(source, domains_.gpus_of_domain[dom][0]);
      submit(MessageKind::DispatchToRelay, layer, micro_batch, source, relay,
             distinct * dispatch_token_bytes_);
    }
  }
  maybe_dispatch_complete(r, layer, micro_batch, source, now);
}

// NodeDedup: the relay forwards each token once per destination GPU of its domain.
void AllToAll::forward_dispatch(Run& r, const MessageInfo& info) {
  const std::uint32_t relay = info.destination, source = info.source;
  for (std::uint32_t dst : domains_.gpus_of_domain[domains_.domain_of[relay]]) {
    const std::uint32_t distinct = r.traffic.distinct_tokens[std::size_t{source} * gpus_ + dst];
    if (dst != relay && distinct > 0)
      submit(MessageKind::Dispatch, info.layer, info.micro_batch, relay, dst,
             distinct * dispatch_token_bytes_);
  }
}

void AllToAll::send_combine(std::uint32_t layer, std::uint32_t micro_batch,
                            std::uint32_t expert_gpu) {
  Run& r = run(layer, micro_batch);
  r.combine_send[expert_gpu] = engine_.now();
  const LayerTraffic& t = r.traffic;
  const std::uint32_t n = gpus_;
  if (config_.dispatch_mode == DispatchMode::Direct) {
    for (std::uint32_t src = 0; src < n; ++src) {
      const std::uint32_t pairs = t.pairs[std::size_t{src} * n + expert_gpu];
      if (src != expert_gpu && pairs > 0)
        submit(MessageKind::Combine, layer, micro_batch, expert_gpu, src,
               pairs * combine_token_bytes_);
    }
  } else {
    for (std::uint32_t src = 0; src < n; ++src) {
      const std::uint32_t distinct = t.distinct_tokens[std::size_t{src} * n + expert_gpu];
      if (distinct == 0 || src == expert_gpu) continue;
      if (domains_.same_domain(src, expert_gpu)) {
        submit(MessageKind::Combine, layer, micro_batch, expert_gpu, src,
               distinct * combine_token_bytes_);
        continue;
      }
      const std::uint32_t relay = domains_.relay(src, expert_gpu);
      if (relay == expert_gpu)
        relay_partial_arrived(r, layer, micro_batch, relay, src);
      else
        submit(MessageKind::CombineToRelay, layer, micro_batch, expert_gpu, relay,
               distinct * combine_token_bytes_, src);
    }
  }
  maybe_combine_complete(r, layer, micro_batch, expert_gpu, engine_.now());
}

// NodeDedup combine: once the relay holds every partial sum for `source`'s tokens from its domain,
// it sends one reduced vector per token back over scale-out.
void AllToAll::relay_partial_arrived(Run& r, std::uint32_t layer, std::uint32_t micro_batch,
                                     std::uint32_t relay, std::uint32_t source) {
  auto& pending = r.relay_pending[std::size_t{relay} * gpus_ + source];
  if (--pending > 0) return;
  const std::uint32_t domains = r.traffic.domain_count;
  const std::uint32_t distinct =
      r.traffic
          .distinct_tokens_to_domain[std::size_t{source} * domains + domains_.domain_of[relay]];
  submit(MessageKind::Combine, layer, micro_batch, relay, source, distinct * combine_token_bytes_);
}

void AllToAll::maybe_dispatch_complete(Run& r, std::uint32_t layer, std::uint32_t micro_batch,
                                       std::uint32_t gpu, Picoseconds now) {
  if (r.dispatch_done[gpu] || r.dispatch_send[gpu] == Picoseconds::max() ||
      r.dispatch_arrived[gpu] < r.dispatch_expected[gpu])
    return;
  r.dispatch_done[gpu] = 1;
  r.dispatch_complete[gpu] = now;
  recorder_.span({gpus_ + gpu, "dispatch", static_cast<std::int32_t>(layer), micro_batch,
                  r.dispatch_send[gpu], now});
  listener_.dispatch_complete(layer, micro_batch, gpu, r.traffic);
}

void AllToAll::maybe_combine_complete(Run& r, std::uint32_t layer, std::uint32_t micro_batch,
                                      std::uint32_t gpu, Picoseconds now) {
  if (r.combine_done[gpu] || r.combine_send[gpu] == Picoseconds::max() ||
      r.combine_arrived[gpu] < r.combine_expected[gpu])
    return;
  r.combine_done[gpu] = 1;
  r.combine_complete[gpu] = now;
  recorder_.span({gpus_ + gpu, "combine", static_cast<std::int32_t>(layer), micro_batch,
                  r.combine_send[gpu], now});
  if (++r.gpus_done == gpus_) {
    recorder_.layer_complete(
        layer, run_index(layer, micro_batch),
        {r.dispatch_send, r.dispatch_complete, r.combine_send, r.combine_complete});
    r.traffic = LayerTraffic{};  // free the matrices; the counters stay until the step ends
  }
  listener_.combine_complete(layer, micro_batch, gpu);
}

}  // namespace moesim::workloads::decode
