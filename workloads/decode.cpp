#include "workloads/decode.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "sim/engine.h"
#include "sim/rng.h"
#include "topology/network.h"
#include "workloads/roofline.h"

namespace moesim::workloads {
namespace {

using sim::Picoseconds;
using topology::LinkTier;

// Compute tasks a GPU runs one at a time (a single compute stream; communication kernels are
// assumed not to slow compute down, see docs/workloads.md).
enum class TaskKind : std::uint8_t { Attention, DenseFfn, SharedExperts, Experts, Head };
// Order of equal-layer tasks when several are ready (two-micro-batch overlap).
constexpr std::uint8_t task_order(TaskKind kind) {
  switch (kind) {
    case TaskKind::Attention:
      return 0;
    case TaskKind::DenseFfn:
      return 1;
    case TaskKind::SharedExperts:
      return 1;
    case TaskKind::Experts:
      return 2;
    case TaskKind::Head:
      return 3;
  }
  return 0;
}
constexpr std::string_view task_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::Attention:
      return "attention";
    case TaskKind::DenseFfn:
      return "dense-ffn";
    case TaskKind::SharedExperts:
      return "shared-expert";
    case TaskKind::Experts:
      return "experts";
    case TaskKind::Head:
      return "head";
  }
  return "";
}

struct Task {
  TaskKind kind;
  std::uint32_t layer;
  std::uint32_t micro_batch;
  Picoseconds duration;
  std::uint64_t key() const {
    return (std::uint64_t{layer} << 16) | (std::uint64_t{task_order(kind)} << 8) | micro_batch;
  }
};

enum class MessageKind : std::uint8_t {
  Dispatch,         // final delivery of token copies
  DispatchToRelay,  // NodeDedup: token crosses to the relay GPU of the destination domain
  Combine,          // final delivery of expert outputs
  CombineToRelay    // NodeDedup: partial sums to the relay GPU of the expert's domain
};

struct MessageInfo {
  MessageKind kind;
  std::uint8_t micro_batch;
  std::uint16_t layer;
  std::uint32_t source;
  std::uint32_t destination;
  std::uint32_t
      origin;  // the GPU whose tokens these are (differs from source for relayed combines)
};

// Event payloads: kind in the top byte, micro-batch, layer, GPU.
enum class EventKind : std::uint8_t { TaskDone, SendDispatch, SendCombine };
constexpr std::uint64_t encode(EventKind kind, std::uint32_t micro_batch, std::uint32_t layer,
                               std::uint32_t gpu) {
  return (std::uint64_t{static_cast<std::uint8_t>(kind)} << 56) |
         (std::uint64_t{micro_batch} << 48) | (std::uint64_t{layer} << 32) | gpu;
}

// State of one (layer, micro-batch) MoE all-to-all while it is in progress.
struct LayerRun {
  LayerTraffic traffic;
  std::vector<std::uint32_t> dispatch_expected, dispatch_arrived;
  std::vector<std::uint32_t> combine_expected, combine_arrived;
  std::vector<std::uint32_t> relay_pending;  // NodeDedup combine: [relay * N + source]
  std::vector<std::uint8_t> attention_done, experts_started, experts_done, layer_done;
  std::vector<Picoseconds> dispatch_send, dispatch_complete, combine_send, combine_complete;
  Picoseconds expert_max{0};
  std::uint32_t gpus_done = 0;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

LatencyStats stats_of(const std::vector<double>& values_us) {
  LatencyStats s;
  if (values_us.empty()) return s;
  double sum = 0;
  for (double v : values_us) sum += v;
  s.mean_us = sum / static_cast<double>(values_us.size());
  s.p50_us = percentile(values_us, 0.50);
  s.p99_us = percentile(values_us, 0.99);
  s.max_us = *std::max_element(values_us.begin(), values_us.end());
  return s;
}

void validate(const ModelSpec& model, const topology::Fabric& fabric, const DecodeConfig& c) {
  auto fail = [](const std::string& message) { throw std::invalid_argument("decode: " + message); };
  if (c.ep_size == 0) fail("ep_size must be > 0");
  if (c.ep_size > fabric.gpu_count())
    fail("ep_size " + std::to_string(c.ep_size) + " exceeds the " +
         std::to_string(fabric.gpu_count()) + " GPUs of fabric '" + fabric.name() + "'");
  if (c.batch_per_gpu == 0) fail("batch_per_gpu must be > 0");
  if (c.two_micro_batch_overlap && c.batch_per_gpu < 2)
    fail("two-micro-batch overlap needs batch_per_gpu >= 2");
  if (model.moe_layer_count() > 0 && model.routed_expert_count == 0)
    fail("model has MoE layers but no experts");
  if (!(c.dispatch_bytes_per_element > 0) || !(c.combine_bytes_per_element > 0))
    fail("dispatch and combine bytes per element must be > 0");
  if (!(c.compute_efficiency > 0 && c.compute_efficiency <= 1))
    fail("compute_efficiency must be in (0, 1]");
  if (c.zipf_exponent < 0) fail("zipf_exponent must be >= 0");
  if (c.mtp_acceptance < 0 || c.mtp_acceptance > 1) fail("mtp_acceptance must be in [0, 1]");
  if (c.mtp_draft_tokens > 0 && model.mtp_layers == 0)
    fail("model '" + model.name + "' has no MTP module, so mtp_draft_tokens must be 0");
  if (c.steps == 0) fail("steps must be > 0");
  if (c.max_groups_per_token > model.expert_groups)
    fail("max_groups_per_token " + std::to_string(c.max_groups_per_token) +
         " exceeds the model's " + std::to_string(model.expert_groups) + " expert groups");
  for (double f : c.calibration.bandwidth_fraction)
    if (!(f > 0 && f <= 1)) fail("calibration bandwidth fractions must be in (0, 1]");
  if (model.layers + c.mtp_draft_tokens >= 65536) fail("too many layers");
}

class DecodeSimulation final : public sim::EventHandler, public topology::MessageSink {
 public:
  // `full_model` is the model whose memory is reported; `model` may be it truncated to a sample
  // of its MoE layers (DecodeConfig::sampled_moe_layers).
  DecodeSimulation(const ModelSpec& model, const ModelSpec& full_model, const GpuSpec& gpu,
                   const topology::Fabric& fabric, const DecodeConfig& config)
      : model_(model),
        full_model_(full_model),
        gpu_(gpu),
        fabric_(fabric),
        config_(config),
        compute_(model, gpu, config.compute_efficiency),
        n_(config.ep_size),
        micro_batches_(config.two_micro_batch_overlap ? 2u : 1u),
        tokens_per_request_(1 + config.mtp_draft_tokens),
        total_layers_(model.layers + config.mtp_draft_tokens) {
    handler_ = engine_.add_handler(*this);
    if (config.network == NetworkKind::Flow)
      network_ = std::make_unique<topology::FlowNetwork>(engine_, fabric, *this);
    else
      network_ = std::make_unique<topology::AnalyticNetwork>(engine_, fabric, *this);
    if (config.record_timeline) network_->record_tier_activity(&tier_activity_);
    setup_domains();
    setup_routing();
    requests_.assign(micro_batches_, 0);
    requests_[0] = (config.batch_per_gpu + micro_batches_ - 1) / micro_batches_;
    if (micro_batches_ == 2) requests_[1] = config.batch_per_gpu - requests_[0];
    dispatch_token_bytes_ =
        token_bytes(model.hidden, config.dispatch_bytes_per_element, config.dispatch_scale_factors);
    combine_token_bytes_ = token_bytes(model.hidden, config.combine_bytes_per_element, false);
    gpu_busy_.assign(n_, false);
    ready_.assign(n_, {});
    running_.assign(n_, Task{});
    running_since_.assign(n_, Picoseconds{0});
  }

  DecodeMetrics run() {
    double step_seconds_sum = 0;
    for (step_ = 0; step_ < config_.steps; ++step_) {
      const Picoseconds start = engine_.now();
      start_step();
      engine_.run();
      for (std::uint32_t mb = 0; mb < micro_batches_; ++mb)
        for (std::uint32_t g = 0; g < n_; ++g)
          if (!finished_[mb * n_ + g])
            throw std::logic_error("decode: step " + std::to_string(step_) +
                                   " ended with unfinished work on GPU " + std::to_string(g) +
                                   " (dependency bug)");
      step_seconds_sum += (engine_.now() - start).seconds();
    }
    return metrics(step_seconds_sum / config_.steps);
  }

  // Mean time from one MoE layer's end (over the whole EP group) to the next one's, step 0.
  Picoseconds moe_layer_period() const {
    const auto first = std::find_if(moe_layer_ends_.begin(), moe_layer_ends_.end(),
                                    [](Picoseconds end) { return end > Picoseconds{0}; });
    const auto periods = std::distance(first, moe_layer_ends_.end()) - 1;
    if (periods < 1) return Picoseconds{0};
    return Picoseconds{(moe_layer_ends_.back() - *first).count() / periods};
  }

  void on_event(sim::Engine&, std::uint64_t payload) override {
    const auto kind = static_cast<EventKind>(payload >> 56);
    const auto mb = static_cast<std::uint32_t>((payload >> 48) & 0xff);
    const auto layer = static_cast<std::uint32_t>((payload >> 32) & 0xffff);
    const auto gpu = static_cast<std::uint32_t>(payload & 0xffffffff);
    switch (kind) {
      case EventKind::TaskDone:
        task_done(gpu);
        break;
      case EventKind::SendDispatch:
        send_dispatch(layer, mb, gpu);
        break;
      case EventKind::SendCombine:
        send_combine(layer, mb, gpu);
        break;
    }
  }

  void on_delivered(std::uint64_t tag, Picoseconds at) override {
    const MessageInfo info = messages_[tag];
    LayerRun& run = *runs_[run_index(info.layer, info.micro_batch)];
    const std::uint32_t dst = info.destination;
    switch (info.kind) {
      case MessageKind::DispatchToRelay:
        forward_dispatch(run, info);
        [[fallthrough]];
      case MessageKind::Dispatch:
        ++run.dispatch_arrived[dst];
        maybe_start_experts(run, info.layer, info.micro_batch, dst, at);
        break;
      case MessageKind::CombineToRelay:
        relay_partial_arrived(run, info.layer, info.micro_batch, dst, info.origin);
        break;
      case MessageKind::Combine:
        ++run.combine_arrived[dst];
        maybe_finish_layer(run, info.layer, info.micro_batch, dst, at);
        break;
    }
  }

 private:
  // ---------------------------------------------------------------- set-up
  void setup_domains() {
    domain_of_.resize(n_);
    local_rank_.resize(n_);
    std::vector<std::int64_t> dense_index(fabric_.domain_count(), -1);
    for (std::uint32_t g = 0; g < n_; ++g) {
      const std::uint32_t fabric_domain = fabric_.domain_of(g);
      if (dense_index[fabric_domain] < 0) {
        dense_index[fabric_domain] = static_cast<std::int64_t>(gpus_of_domain_.size());
        gpus_of_domain_.emplace_back();
      }
      domain_of_[g] = static_cast<std::uint32_t>(dense_index[fabric_domain]);
      local_rank_[g] = static_cast<std::uint32_t>(gpus_of_domain_[domain_of_[g]].size());
      gpus_of_domain_[domain_of_[g]].push_back(g);
    }
  }

  void setup_routing() {
    if (model_.moe_layer_count() == 0) return;
    const std::uint32_t experts = model_.routed_expert_count;
    std::uint32_t groups = 1, groups_per_token = 1;
    if (config_.routing == RoutingKind::GroupLimited) {
      groups = model_.expert_groups;
      groups_per_token =
          config_.max_groups_per_token > 0 ? config_.max_groups_per_token : model_.groups_per_token;
    }
    const double exponent = config_.routing == RoutingKind::Uniform ? 0.0 : config_.zipf_exponent;
    sim::RandomStream popularity_stream(config_.seed, "expert-popularity");
    if (exponent == 0) {
      std::vector<double> uniform(experts, 1.0 / experts);
      layouts_.emplace_back(n_, uniform, config_.redundant_slots_per_gpu);
      gates_.emplace_back(uniform, model_.experts_per_token_count, groups, groups_per_token);
    } else {
      for (std::uint32_t layer = 0; layer < total_layers_;
           ++layer) {  // popularity re-drawn per layer
        std::vector<double> popularity = zipf_popularity(experts, exponent, popularity_stream);
        layouts_.emplace_back(n_, popularity, config_.redundant_slots_per_gpu);
        gates_.emplace_back(std::move(popularity), model_.experts_per_token_count, groups,
                            groups_per_token);
      }
    }
  }

  const ExpertLayout& layout_of(std::uint32_t layer) const {
    return layouts_.size() == 1 ? layouts_[0] : layouts_[layer];
  }
  const Gate& gate_of(std::uint32_t layer) const {
    return gates_.size() == 1 ? gates_[0] : gates_[layer];
  }
  bool is_moe(std::uint32_t layer) const {
    return layer >= model_.layers || model_.is_moe_layer(layer);
  }
  std::size_t run_index(std::uint32_t layer, std::uint32_t mb) const {
    return std::size_t{layer} * micro_batches_ + mb;
  }
  // The model layer whose attention an MTP module uses (the last block's shape).
  std::uint32_t shape_layer(std::uint32_t layer) const {
    return std::min(layer, model_.layers - 1);
  }

  // ---------------------------------------------------------------- step
  void start_step() {
    runs_.clear();
    runs_.resize(std::size_t{total_layers_} * micro_batches_);
    messages_.clear();
    finished_.assign(std::size_t{micro_batches_} * n_, 0);
    for (std::uint32_t mb = 0; mb < micro_batches_; ++mb)
      for (std::uint32_t g = 0; g < n_; ++g) enqueue(g, attention_task(0, mb));
  }

  Task attention_task(std::uint32_t layer, std::uint32_t mb) const {
    KernelWork work = compute_.attention(shape_layer(layer), requests_[mb], tokens_per_request_,
                                         config_.context_tokens);
    double seconds = compute_.seconds(work);
    if (layer >=
        model_.layers)  // an MTP module first runs the head on the previous output + its projection
      seconds += compute_.seconds(compute_.head(tokens(mb))) +
                 compute_.seconds(
                     {2.0 * model_.hidden * model_.hidden * model_.weight_bytes_per_parameter,
                      4.0 * model_.hidden * static_cast<double>(model_.hidden) * tokens(mb), 0.0});
    return {TaskKind::Attention, layer, mb, sim::from_seconds(seconds)};
  }
  std::uint32_t tokens(std::uint32_t mb) const { return requests_[mb] * tokens_per_request_; }

  // ---------------------------------------------------------------- compute stream per GPU
  void enqueue(std::uint32_t gpu, const Task& task) {
    ready_[gpu].push_back(task);
    if (!gpu_busy_[gpu]) start_next(gpu);
  }

  void start_next(std::uint32_t gpu) {
    auto& ready = ready_[gpu];
    if (gpu_busy_[gpu] || ready.empty()) return;
    auto best = std::min_element(ready.begin(), ready.end(),
                                 [](const Task& a, const Task& b) { return a.key() < b.key(); });
    const Task task = *best;
    ready.erase(best);
    gpu_busy_[gpu] = true;
    running_[gpu] = task;
    running_since_[gpu] = engine_.now();
    engine_.schedule_after(task.duration, handler_,
                           encode(EventKind::TaskDone, task.micro_batch, task.layer, gpu));
  }

  void task_done(std::uint32_t gpu) {
    const Task task = running_[gpu];
    const Picoseconds now = engine_.now();
    gpu_busy_[gpu] = false;
    busy_seconds_ += task.duration.seconds();
    if (config_.record_timeline)
      timeline_.push_back({gpu, task_name(task.kind),
                           task.kind == TaskKind::Head ? -1 : static_cast<std::int32_t>(task.layer),
                           task.micro_batch, running_since_[gpu], now});
    switch (task.kind) {
      case TaskKind::Attention:
        attention_done(gpu, task);
        break;
      case TaskKind::DenseFfn:
        advance(gpu, task.layer, task.micro_batch);
        break;
      case TaskKind::SharedExperts:
        break;
      case TaskKind::Experts:
        experts_done(gpu, task);
        break;
      case TaskKind::Head:
        finished_[task.micro_batch * n_ + gpu] = 1;
        break;
    }
    start_next(gpu);
  }

  void attention_done(std::uint32_t gpu, const Task& task) {
    if (gpu == 0) attention_us_.push_back(task.duration.microseconds());  // equal on every GPU
    if (!is_moe(task.layer)) {
      enqueue(gpu,
              {TaskKind::DenseFfn, task.layer, task.micro_batch,
               sim::from_seconds(compute_.seconds(compute_.dense_ffn(tokens(task.micro_batch))))});
      return;
    }
    LayerRun& run = layer_run(task.layer, task.micro_batch);
    run.attention_done[gpu] = 1;
    // Shared experts (and the router) run on the GPU while the dispatch is in flight.
    enqueue(
        gpu,
        {TaskKind::SharedExperts, task.layer, task.micro_batch,
         sim::from_seconds(compute_.seconds(compute_.shared_experts(tokens(task.micro_batch))))});
    if (config_.calibration.dispatch_phase_overhead > Picoseconds{0})
      engine_.schedule_after(config_.calibration.dispatch_phase_overhead, handler_,
                             encode(EventKind::SendDispatch, task.micro_batch, task.layer, gpu));
    else
      send_dispatch(task.layer, task.micro_batch, gpu);
  }

  void experts_done(std::uint32_t gpu, const Task& task) {
    LayerRun& run = *runs_[run_index(task.layer, task.micro_batch)];
    run.experts_done[gpu] = 1;
    if (config_.calibration.combine_phase_overhead > Picoseconds{0})
      engine_.schedule_after(config_.calibration.combine_phase_overhead, handler_,
                             encode(EventKind::SendCombine, task.micro_batch, task.layer, gpu));
    else
      send_combine(task.layer, task.micro_batch, gpu);
  }

  // After layer `layer` completes on `gpu` for micro-batch mb: next layer's attention, or the head.
  void advance(std::uint32_t gpu, std::uint32_t layer, std::uint32_t mb) {
    if (layer + 1 < total_layers_)
      enqueue(gpu, attention_task(layer + 1, mb));
    else
      enqueue(gpu, {TaskKind::Head, layer + 1, mb,
                    sim::from_seconds(compute_.seconds(compute_.head(tokens(mb))))});
  }

  // ---------------------------------------------------------------- all-to-all
  LayerRun& layer_run(std::uint32_t layer, std::uint32_t mb) {
    auto& slot = runs_[run_index(layer, mb)];
    if (!slot) slot = make_layer_run(layer, mb);
    return *slot;
  }

  std::unique_ptr<LayerRun> make_layer_run(std::uint32_t layer, std::uint32_t mb) {
    auto run = std::make_unique<LayerRun>();
    const std::vector<std::uint32_t> tokens_per_gpu(n_, tokens(mb));
    std::uint64_t seed = sim::RandomStream(config_.seed, "gating")();
    seed ^= 0xD1B54A32D192ED03ULL * (std::uint64_t{step_} + 1);
    seed ^= 0xABC98388FB8FAC03ULL * (std::uint64_t{layer} + 1);
    seed ^= 0x8CB92BA72F3D8DD7ULL * (std::uint64_t{mb} + 1);
    run->traffic = route_layer(layout_of(layer), gate_of(layer), tokens_per_gpu, domain_of_,
                               static_cast<std::uint32_t>(gpus_of_domain_.size()), seed);
    const auto& t = run->traffic;
    run->dispatch_expected.assign(n_, 0);
    run->dispatch_arrived.assign(n_, 0);
    run->combine_expected.assign(n_, 0);
    run->combine_arrived.assign(n_, 0);
    run->attention_done.assign(n_, 0);
    run->experts_started.assign(n_, 0);
    run->experts_done.assign(n_, 0);
    run->layer_done.assign(n_, 0);
    run->dispatch_send.assign(n_, Picoseconds::max());
    run->dispatch_complete.assign(n_, Picoseconds{0});
    run->combine_send.assign(n_, Picoseconds::max());
    run->combine_complete.assign(n_, Picoseconds{0});
    const std::uint32_t domains = t.domain_count;
    if (config_.dispatch_mode == DispatchMode::Direct) {
      for (std::uint32_t src = 0; src < n_; ++src)
        for (std::uint32_t dst = 0; dst < n_; ++dst)
          if (src != dst && t.pairs[std::size_t{src} * n_ + dst] > 0) {
            ++run->dispatch_expected[dst];
            ++run->combine_expected[src];
          }
      return run;
    }
    run->relay_pending.assign(std::size_t{n_} * n_, 0);
    for (std::uint32_t src = 0; src < n_; ++src) {
      for (std::uint32_t dst = 0; dst < n_; ++dst) {
        const std::uint32_t distinct = t.distinct_tokens[std::size_t{src} * n_ + dst];
        if (distinct == 0) continue;
        if (domain_of_[src] == domain_of_[dst]) {
          if (src != dst) {
            ++run->dispatch_expected[dst];
            ++run->combine_expected[src];
          }
          continue;
        }
        const std::uint32_t relay = relay_gpu(src, dst, domain_of_, local_rank_, gpus_of_domain_);
        if (relay != dst) ++run->dispatch_expected[dst];  // the relay's forward
        ++run->relay_pending[std::size_t{relay} * n_ +
                             src];  // partial sum from dst (or the relay itself)
      }
      for (std::uint32_t dom = 0; dom < domains; ++dom) {
        if (dom == domain_of_[src] ||
            t.distinct_tokens_to_domain[std::size_t{src} * domains + dom] == 0)
          continue;
        const std::uint32_t relay =
            relay_gpu(src, gpus_of_domain_[dom][0], domain_of_, local_rank_, gpus_of_domain_);
        ++run->dispatch_expected[relay];  // the cross-domain copy
        ++run->combine_expected[src];     // the relay's reduced combine
      }
    }
    return run;
  }

  LinkTier tier_between(std::uint32_t a, std::uint32_t b) const {
    return domain_of_[a] == domain_of_[b] ? LinkTier::ScaleUp : LinkTier::ScaleOut;
  }

  void submit(MessageKind kind, std::uint32_t layer, std::uint32_t mb, std::uint32_t src,
              std::uint32_t dst, double bytes, std::uint32_t origin = 0) {
    const LinkTier tier = tier_between(src, dst);
    const auto t = static_cast<std::size_t>(tier);
    const auto wire_bytes =
        static_cast<std::uint64_t>(std::llround(bytes / config_.calibration.bandwidth_fraction[t]));
    const std::uint64_t tag = messages_.size();
    messages_.push_back(
        {kind, static_cast<std::uint8_t>(mb), static_cast<std::uint16_t>(layer), src, dst, origin});
    const bool dispatch = kind == MessageKind::Dispatch || kind == MessageKind::DispatchToRelay;
    (dispatch ? dispatch_bytes_ : combine_bytes_) +=
        static_cast<std::uint64_t>(std::llround(bytes));
    ++message_count_;
    network_->submit(
        {src, dst, wire_bytes, engine_.now() + config_.calibration.message_overhead[t], tag});
  }

  void send_dispatch(std::uint32_t layer, std::uint32_t mb, std::uint32_t src) {
    LayerRun& run = *runs_[run_index(layer, mb)];
    const Picoseconds now = engine_.now();
    run.dispatch_send[src] = now;
    const auto& t = run.traffic;
    if (config_.dispatch_mode == DispatchMode::Direct) {
      for (std::uint32_t dst = 0; dst < n_; ++dst) {
        const std::uint32_t pairs = t.pairs[std::size_t{src} * n_ + dst];
        if (dst != src && pairs > 0)
          submit(MessageKind::Dispatch, layer, mb, src, dst, pairs * dispatch_token_bytes_);
      }
    } else {
      for (std::uint32_t dst : gpus_of_domain_[domain_of_[src]]) {
        const std::uint32_t distinct = t.distinct_tokens[std::size_t{src} * n_ + dst];
        if (dst != src && distinct > 0)
          submit(MessageKind::Dispatch, layer, mb, src, dst, distinct * dispatch_token_bytes_);
      }
      const std::uint32_t domains = t.domain_count;
      for (std::uint32_t dom = 0; dom < domains; ++dom) {
        const std::uint32_t distinct =
            t.distinct_tokens_to_domain[std::size_t{src} * domains + dom];
        if (dom == domain_of_[src] || distinct == 0) continue;
        const std::uint32_t relay =
            relay_gpu(src, gpus_of_domain_[dom][0], domain_of_, local_rank_, gpus_of_domain_);
        submit(MessageKind::DispatchToRelay, layer, mb, src, relay,
               distinct * dispatch_token_bytes_);
      }
    }
    maybe_start_experts(run, layer, mb, src, now);
  }

  // NodeDedup: the relay forwards each token once per destination GPU of its domain.
  void forward_dispatch(LayerRun& run, const MessageInfo& info) {
    const std::uint32_t relay = info.destination, src = info.source;
    for (std::uint32_t dst : gpus_of_domain_[domain_of_[relay]]) {
      const std::uint32_t distinct = run.traffic.distinct_tokens[std::size_t{src} * n_ + dst];
      if (dst != relay && distinct > 0)
        submit(MessageKind::Dispatch, info.layer, info.micro_batch, relay, dst,
               distinct * dispatch_token_bytes_);
    }
  }

  void maybe_start_experts(LayerRun& run, std::uint32_t layer, std::uint32_t mb, std::uint32_t gpu,
                           Picoseconds now) {
    if (run.experts_started[gpu] || !run.attention_done[gpu] ||
        run.dispatch_send[gpu] == Picoseconds::max() ||
        run.dispatch_arrived[gpu] < run.dispatch_expected[gpu])
      return;
    run.experts_started[gpu] = 1;
    run.dispatch_complete[gpu] = now;
    if (config_.record_timeline)
      timeline_.push_back({n_ + gpu, "dispatch", static_cast<std::int32_t>(layer), mb,
                           run.dispatch_send[gpu], now});
    const Picoseconds duration = sim::from_seconds(
        compute_.seconds(compute_.routed_experts(run.traffic.tokens_per_expert_slot[gpu])));
    run.expert_max = std::max(run.expert_max, duration);
    enqueue(gpu, {TaskKind::Experts, layer, mb, duration});
  }

  void send_combine(std::uint32_t layer, std::uint32_t mb, std::uint32_t expert_gpu) {
    LayerRun& run = *runs_[run_index(layer, mb)];
    run.combine_send[expert_gpu] = engine_.now();
    const auto& t = run.traffic;
    if (config_.dispatch_mode == DispatchMode::Direct) {
      for (std::uint32_t src = 0; src < n_; ++src) {
        const std::uint32_t pairs = t.pairs[std::size_t{src} * n_ + expert_gpu];
        if (src != expert_gpu && pairs > 0)
          submit(MessageKind::Combine, layer, mb, expert_gpu, src, pairs * combine_token_bytes_);
      }
    } else {
      for (std::uint32_t src = 0; src < n_; ++src) {
        const std::uint32_t distinct = t.distinct_tokens[std::size_t{src} * n_ + expert_gpu];
        if (distinct == 0 || src == expert_gpu) continue;
        if (domain_of_[src] == domain_of_[expert_gpu]) {
          submit(MessageKind::Combine, layer, mb, expert_gpu, src, distinct * combine_token_bytes_);
          continue;
        }
        const std::uint32_t relay =
            relay_gpu(src, expert_gpu, domain_of_, local_rank_, gpus_of_domain_);
        if (relay == expert_gpu)
          relay_partial_arrived(run, layer, mb, relay, src);
        else
          submit(MessageKind::CombineToRelay, layer, mb, expert_gpu, relay,
                 distinct * combine_token_bytes_, src);
      }
    }
    maybe_finish_layer(run, layer, mb, expert_gpu, engine_.now());
  }

  // NodeDedup combine: once the relay holds every partial sum for `src`'s tokens from its domain,
  // it sends one reduced vector per token back over scale-out.
  void relay_partial_arrived(LayerRun& run, std::uint32_t layer, std::uint32_t mb,
                             std::uint32_t relay, std::uint32_t src) {
    auto& pending = run.relay_pending[std::size_t{relay} * n_ + src];
    if (--pending > 0) return;
    const std::uint32_t domains = run.traffic.domain_count;
    const std::uint32_t distinct =
        run.traffic.distinct_tokens_to_domain[std::size_t{src} * domains + domain_of_[relay]];
    submit(MessageKind::Combine, layer, mb, relay, src, distinct * combine_token_bytes_);
  }

  void maybe_finish_layer(LayerRun& run, std::uint32_t layer, std::uint32_t mb, std::uint32_t gpu,
                          Picoseconds now) {
    if (run.layer_done[gpu] || !run.experts_done[gpu] ||
        run.combine_send[gpu] == Picoseconds::max() ||
        run.combine_arrived[gpu] < run.combine_expected[gpu])
      return;
    run.layer_done[gpu] = 1;
    run.combine_complete[gpu] = now;
    if (config_.record_timeline)
      timeline_.push_back(
          {n_ + gpu, "combine", static_cast<std::int32_t>(layer), mb, run.combine_send[gpu], now});
    if (++run.gpus_done == n_) record_layer(run, layer);
    advance(gpu, layer, mb);
  }

  // Phase latencies of one finished (layer, micro-batch): from the earliest GPU starting the phase
  // to the last GPU completing it; and each GPU's own, from its send to its last arrival.
  void record_layer(LayerRun& run, std::uint32_t layer) {
    const Picoseconds dispatch_start =
        *std::min_element(run.dispatch_send.begin(), run.dispatch_send.end());
    const Picoseconds dispatch_end =
        *std::max_element(run.dispatch_complete.begin(), run.dispatch_complete.end());
    const Picoseconds combine_start =
        *std::min_element(run.combine_send.begin(), run.combine_send.end());
    const Picoseconds combine_end =
        *std::max_element(run.combine_complete.begin(), run.combine_complete.end());
    dispatch_us_.push_back((dispatch_end - dispatch_start).microseconds());
    combine_us_.push_back((combine_end - combine_start).microseconds());
    for (std::uint32_t gpu = 0; gpu < n_; ++gpu) {
      dispatch_gpu_us_.push_back(
          (run.dispatch_complete[gpu] - run.dispatch_send[gpu]).microseconds());
      combine_gpu_us_.push_back((run.combine_complete[gpu] - run.combine_send[gpu]).microseconds());
    }
    expert_us_.push_back(run.expert_max.microseconds());
    if (step_ == 0 && layer < model_.layers) {  // the model's own MoE layers, not MTP modules
      if (moe_layer_ends_.size() <= layer) moe_layer_ends_.resize(layer + 1, Picoseconds{0});
      moe_layer_ends_[layer] = std::max(moe_layer_ends_[layer], combine_end);  // over micro-batches
    }
    run.traffic = LayerTraffic{};  // free the matrices; the counters stay until the step ends
  }

  // ---------------------------------------------------------------- metrics
  DecodeMetrics metrics(double step_seconds) const {
    DecodeMetrics m;
    m.attention = stats_of(attention_us_);
    m.dispatch = stats_of(dispatch_us_);
    m.expert = stats_of(expert_us_);
    m.combine = stats_of(combine_us_);
    m.dispatch_per_gpu = stats_of(dispatch_gpu_us_);
    m.combine_per_gpu = stats_of(combine_gpu_us_);
    m.step_time_us = step_seconds * 1e6;
    double accepted = 0, chain = 1;
    for (std::uint32_t i = 0; i < config_.mtp_draft_tokens; ++i)
      accepted += (chain *= config_.mtp_acceptance);
    m.tokens_per_user_per_step = 1.0 + accepted;
    m.tpot_us = m.step_time_us / m.tokens_per_user_per_step;
    m.per_user_tokens_per_second = m.tokens_per_user_per_step / step_seconds;
    m.output_tokens_per_second_per_gpu = m.per_user_tokens_per_second * config_.batch_per_gpu;
    m.nodes = static_cast<std::uint32_t>(gpus_of_domain_.size());
    m.output_tokens_per_second_per_node = m.output_tokens_per_second_per_gpu * n_ / m.nodes;
    const double simulated_seconds = engine_.now().seconds();
    for (std::size_t i = 0; i < topology::kLinkTierCount; ++i) {
      const topology::TierUsage usage = network_->tier_usage(static_cast<LinkTier>(i));
      m.tiers[i].bytes = usage.bytes;
      if (usage.capacity_bytes_per_second > 0 && simulated_seconds > 0)
        m.tiers[i].utilization = static_cast<double>(usage.bytes) /
                                 (usage.capacity_bytes_per_second * simulated_seconds);
      if (usage.links > 0 && simulated_seconds > 0)
        m.tiers[i].busy_fraction =
            usage.busy_link_seconds / (static_cast<double>(usage.links) * simulated_seconds);
    }
    m.gpu_busy_fraction = simulated_seconds > 0 ? busy_seconds_ / (n_ * simulated_seconds) : 0;
    if (simulated_seconds > 0) m.busiest_links = busiest_links(simulated_seconds);
    memory(m);
    m.simulated_events = engine_.executed();
    m.messages = message_count_;
    m.dispatch_bytes = dispatch_bytes_ / config_.steps;
    m.combine_bytes = combine_bytes_ / config_.steps;
    m.timeline = timeline_;
    m.tier_activity = tier_activity_;
    return m;
  }

  std::vector<LinkReport> busiest_links(double simulated_seconds) const {
    std::vector<LinkReport> links;
    for (topology::LinkId id = 0; id < fabric_.link_count(); ++id) {
      const std::uint64_t bytes = network_->link_bytes(id);
      if (bytes == 0) continue;
      const topology::Link& link = fabric_.link(id);
      links.push_back(
          {id, "", link.tier, bytes,
           static_cast<double>(bytes) / (link.bandwidth_bytes_per_second * simulated_seconds),
           network_->link_busy_time(id).seconds() / simulated_seconds});
    }
    const std::size_t kept = std::min(links.size(), DecodeMetrics::kBusiestLinks);
    std::partial_sort(links.begin(), links.begin() + static_cast<std::ptrdiff_t>(kept), links.end(),
                      [](const LinkReport& a, const LinkReport& b) {
                        return a.utilization != b.utilization ? a.utilization > b.utilization
                                                              : a.link < b.link;
                      });
    links.resize(kept);
    for (LinkReport& report : links) {
      const topology::Link& link = fabric_.link(report.link);
      report.name = fabric_.vertex_name(link.from) + " -> " + fabric_.vertex_name(link.to);
    }
    return links;
  }

  // Weights: the replicated trunk plus this GPU's expert slots in every MoE layer (and the MTP
  // modules when drafting); KV: batch x (context x KV bytes/token + per-request state);
  // activations: the all-to-all buffers for the step's tokens, tokens x top-k x (dispatch + combine
  // token bytes).
  void memory(DecodeMetrics& m) const {
    const double slots = layouts_.empty() ? 0.0 : layouts_[0].slots_per_gpu();
    const double expert = full_model_.routed_expert_parameters_each();
    const double mtp_routed =
        static_cast<double>(full_model_.mtp_layers) * full_model_.routed_expert_count * expert;
    double trunk = full_model_.shared_trunk_parameters();
    if (full_model_.mtp_counted_in_total) trunk -= full_model_.mtp_parameters() - mtp_routed;
    double weights = trunk * full_model_.weight_bytes_per_parameter +
                     full_model_.moe_layer_count() * slots * expert *
                         full_model_.expert_weight_bytes_per_parameter;
    if (config_.mtp_draft_tokens > 0)
      weights +=
          (full_model_.mtp_parameters() - mtp_routed) * full_model_.weight_bytes_per_parameter +
          full_model_.mtp_layers * slots * expert * full_model_.expert_weight_bytes_per_parameter;
    m.weight_bytes_per_gpu = weights;
    m.kv_cache_bytes_per_gpu =
        config_.batch_per_gpu *
        (static_cast<double>(config_.context_tokens) * full_model_.kv_cache_bytes_per_token() +
         full_model_.state_bytes_per_request());
    m.activation_bytes_per_gpu = static_cast<double>(config_.batch_per_gpu) * tokens_per_request_ *
                                 full_model_.experts_per_token_count *
                                 (dispatch_token_bytes_ + combine_token_bytes_);
    m.hbm_bytes_per_gpu = gpu_.hbm_bytes;
    m.expert_slots_per_gpu = static_cast<std::uint32_t>(slots);
  }

  const ModelSpec& model_;
  const ModelSpec& full_model_;
  const GpuSpec& gpu_;
  const topology::Fabric& fabric_;
  const DecodeConfig& config_;
  ComputeModel compute_;
  sim::Engine engine_;
  std::unique_ptr<topology::NetworkModel> network_;
  std::vector<topology::TierActivity> tier_activity_;  // when record_timeline (flow network)
  sim::HandlerId handler_ = 0;
  std::uint32_t n_;
  std::uint32_t micro_batches_;
  std::uint32_t tokens_per_request_;
  std::uint32_t total_layers_;
  std::uint32_t step_ = 0;
  std::vector<std::uint32_t> requests_;
  double dispatch_token_bytes_ = 0, combine_token_bytes_ = 0;

  std::vector<std::uint32_t> domain_of_, local_rank_;
  std::vector<std::vector<std::uint32_t>> gpus_of_domain_;
  std::vector<ExpertLayout> layouts_;
  std::vector<Gate> gates_;

  std::vector<bool> gpu_busy_;
  std::vector<std::vector<Task>> ready_;
  std::vector<Task> running_;
  std::vector<Picoseconds> running_since_;
  std::vector<std::unique_ptr<LayerRun>> runs_;
  std::vector<MessageInfo> messages_;
  std::vector<std::uint8_t> finished_;

  double busy_seconds_ = 0;
  std::uint64_t message_count_ = 0, dispatch_bytes_ = 0, combine_bytes_ = 0;
  std::vector<double> attention_us_, dispatch_us_, expert_us_, combine_us_;
  std::vector<double> dispatch_gpu_us_, combine_gpu_us_;  // per (GPU, layer, micro-batch)
  std::vector<Picoseconds> moe_layer_ends_;               // step 0, by layer; 0 for dense layers
  std::vector<TimelineSpan> timeline_;
};

// Completes a sampled run (DecodeConfig::sampled_moe_layers): the unsimulated MoE layers each
// take the observed MoE-layer period, and per-step traffic scales with the number of MoE layers.
// Rates (utilization, busy fractions) are those of the sample.
void extrapolate_to_full_step(DecodeMetrics& m, Picoseconds period, std::uint32_t sampled,
                              std::uint32_t moe_layers, std::uint32_t batch_per_gpu) {
  const double scale = static_cast<double>(moe_layers) / sampled;
  m.step_time_us += (moe_layers - sampled) * period.microseconds();
  m.tpot_us = m.step_time_us / m.tokens_per_user_per_step;
  m.per_user_tokens_per_second = m.tokens_per_user_per_step / (m.step_time_us * 1e-6);
  const double per_node_over_per_gpu =
      m.output_tokens_per_second_per_gpu > 0
          ? m.output_tokens_per_second_per_node / m.output_tokens_per_second_per_gpu
          : 0;
  m.output_tokens_per_second_per_gpu = m.per_user_tokens_per_second * batch_per_gpu;
  m.output_tokens_per_second_per_node = m.output_tokens_per_second_per_gpu * per_node_over_per_gpu;
  for (TierReport& tier : m.tiers)
    tier.bytes = static_cast<std::uint64_t>(std::llround(static_cast<double>(tier.bytes) * scale));
  m.messages = static_cast<std::uint64_t>(std::llround(static_cast<double>(m.messages) * scale));
  m.dispatch_bytes =
      static_cast<std::uint64_t>(std::llround(static_cast<double>(m.dispatch_bytes) * scale));
  m.combine_bytes =
      static_cast<std::uint64_t>(std::llround(static_cast<double>(m.combine_bytes) * scale));
  m.simulated_moe_layers = sampled;
}

}  // namespace

DecodeMetrics simulate_decode(const ModelSpec& model, const GpuSpec& gpu,
                              const topology::Fabric& fabric, const DecodeConfig& config) {
  validate(model, fabric, config);
  const std::uint32_t moe_layers = model.moe_layer_count();
  const std::uint32_t sampled = config.sampled_moe_layers;
  if (sampled == 0 || sampled >= moe_layers) {
    DecodeSimulation simulation(model, model, gpu, fabric, config);
    DecodeMetrics metrics = simulation.run();
    metrics.simulated_moe_layers = moe_layers;
    return metrics;
  }
  if (sampled < 2) throw std::invalid_argument("decode: sampled_moe_layers must be 0 or >= 2");
  ModelSpec truncated = model;
  truncated.layers = model.dense_layers + sampled;
  DecodeSimulation simulation(truncated, model, gpu, fabric, config);
  DecodeMetrics metrics = simulation.run();
  extrapolate_to_full_step(metrics, simulation.moe_layer_period(), sampled, moe_layers,
                           config.batch_per_gpu);
  return metrics;
}

}  // namespace moesim::workloads
