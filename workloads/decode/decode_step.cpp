#include "workloads/decode/decode_step.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "network/analytic_network.h"
#include "network/fast_network.h"
#include "network/flow_network.h"

namespace moesim::workloads::decode {

using sim::Picoseconds;

namespace {

std::unique_ptr<network::NetworkModel> make_network(const DecodeConfig& config, sim::Engine& engine,
                                                    const topology::Fabric& fabric,
                                                    network::MessageSink& sink,
                                                    std::uint32_t domains) {
  if (config.network == NetworkKind::Flow)
    return std::make_unique<network::FlowNetwork>(engine, fabric, sink);
  if (config.network == NetworkKind::Fast)
    return std::make_unique<network::FastNetwork>(
        engine, fabric, sink,
        network::FastNetworkOptions{fast_epoch_fraction_for(config, domains)});
  return std::make_unique<network::AnalyticNetwork>(engine, fabric, sink);
}

}  // namespace

DecodeStep::DecodeStep(const ModelSpec& model, const GpuSpec& gpu, const topology::Fabric& fabric,
                       const DecodeConfig& config)
    : model_(model),
      fabric_(fabric),
      config_(config),
      compute_(model, gpu, config.compute_efficiency,
               config.compute == ComputeKind::Calibrated ? &config.compute_costs : nullptr),
      gpus_(config.ep_size),
      micro_batches_(config.two_micro_batch_overlap ? 2u : 1u),
      tokens_per_request_(1 + config.mtp_draft_tokens),
      total_layers_(model.layers + config.mtp_draft_tokens),
      requests_(micro_batches_, 0),
      handler_(engine_.add_handler(*this)),
      recorder_(gpus_, model.layers, total_layers_ * micro_batches_, config.record_timeline),
      domains_(fabric, gpus_),
      traffic_(model, config, domains_, total_layers_),
      streams_(engine_, handler_, gpus_),
      all_to_all_(engine_, config, domains_, traffic_,
                  token_bytes(model.hidden, config.dispatch_bytes_per_element,
                              config.dispatch_scale_factors),
                  token_bytes(model.hidden, config.combine_bytes_per_element, false), *this,
                  recorder_),
      network_(make_network(config, engine_, fabric, all_to_all_, domains_.count())) {
  all_to_all_.set_network(*network_);
  if (config.record_timeline) network_->record_tier_activity(&tier_activity_);
  // Two micro-batches split the batch, the first taking the odd request.
  requests_[0] = (config.batch_per_gpu + micro_batches_ - 1) / micro_batches_;
  if (micro_batches_ == 2) requests_[1] = config.batch_per_gpu - requests_[0];
  if (config.prefetch_gating && model.moe_layer_count() > 0) {
    std::vector<bool> moe_layer(total_layers_);
    std::vector<std::uint32_t> tokens_per_micro_batch(micro_batches_);
    for (std::uint32_t layer = 0; layer < total_layers_; ++layer) moe_layer[layer] = is_moe(layer);
    for (std::uint32_t mb = 0; mb < micro_batches_; ++mb) tokens_per_micro_batch[mb] = tokens(mb);
    traffic_.prefetch(config.steps, moe_layer, tokens_per_micro_batch);
  }
}

DecodeStep::~DecodeStep() = default;

DecodeMetrics DecodeStep::run() {
  double step_seconds_sum = 0;
  for (std::uint32_t step = 0; step < config_.steps; ++step) {
    const Picoseconds start = engine_.now();
    recorder_.begin_step(step);
    all_to_all_.begin_step(step, std::size_t{total_layers_} * micro_batches_);
    start_step();
    engine_.run();
    if (std::find(finished_.begin(), finished_.end(), 0) != finished_.end())
      throw std::logic_error("decode: step " + std::to_string(step) +
                             " ended with unfinished work (dependency bug)");
    // The serving loop's gap between steps (StepCosts::between_steps) idles every GPU.
    step_seconds_sum +=
        (engine_.now() - start).seconds() + config_.step_costs.between_steps.seconds();
  }
  StepRecorder::RunTotals totals;
  totals.mean_step_seconds = step_seconds_sum / config_.steps;
  totals.simulated_seconds = engine_.now().seconds();
  totals.gpu_busy_seconds = streams_.busy_seconds();
  totals.steps = config_.steps;
  totals.nodes = domains_.count();
  totals.events = engine_.executed();
  DecodeMetrics metrics = recorder_.metrics(config_, totals, *network_, fabric_);
  metrics.tier_activity = tier_activity_;
  return metrics;
}

void DecodeStep::start_step() {
  finished_.assign(std::size_t{micro_batches_} * gpus_, 0);
  for (std::uint32_t mb = 0; mb < micro_batches_; ++mb)
    for (std::uint32_t g = 0; g < gpus_; ++g) streams_.enqueue(g, attention_task(0, mb));
}

Picoseconds DecodeStep::kernel_time(const KernelWork& work) const {
  return sim::from_seconds(compute_.seconds(work));
}

Task DecodeStep::attention_task(std::uint32_t layer, std::uint32_t mb) const {
  // An MTP module uses the last block's attention shape.
  const std::uint32_t shape_layer = std::min(layer, model_.layers - 1);
  double seconds = compute_.seconds(
      compute_.attention(shape_layer, requests_[mb], tokens_per_request_, config_.context_tokens));
  // An MTP module first runs the head on the previous output, then its projection.
  if (layer >= model_.layers)
    seconds += compute_.seconds(compute_.head(tokens(mb))) +
               compute_.seconds(compute_.mtp_projection(tokens(mb)));
  // Kernels no measured table covers (norms, residual adds, top-k): StepCosts::per_layer.
  return {TaskKind::Attention, layer, mb,
          sim::from_seconds(seconds) + config_.step_costs.per_layer};
}

void DecodeStep::on_event(sim::Engine&, std::uint64_t gpu) {
  task_done(static_cast<std::uint32_t>(gpu));
}

void DecodeStep::task_done(std::uint32_t gpu) {
  const auto [task, started] = streams_.finish(gpu);
  recorder_.span({gpu, task_name(task.kind),
                  task.kind == TaskKind::Head ? -1 : static_cast<std::int32_t>(task.layer),
                  task.micro_batch, started, engine_.now()});
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
      all_to_all_.start_combine(task.layer, task.micro_batch, gpu);
      break;
    case TaskKind::Head:
      finished_[task.micro_batch * gpus_ + gpu] = 1;
      break;
  }
  streams_.start_next(gpu);
}

void DecodeStep::attention_done(std::uint32_t gpu, const Task& task) {
  if (gpu == 0) recorder_.attention(task.duration);  // equal on every GPU
  const std::uint32_t mb = task.micro_batch;
  if (!is_moe(task.layer)) {
    streams_.enqueue(
        gpu, {TaskKind::DenseFfn, task.layer, mb, kernel_time(compute_.dense_ffn(tokens(mb)))});
    return;
  }
  // Shared experts (and the router) run on the GPU while the dispatch is in flight.
  streams_.enqueue(gpu, {TaskKind::SharedExperts, task.layer, mb,
                         kernel_time(compute_.shared_experts(tokens(mb)))});
  all_to_all_.start_dispatch(task.layer, mb, gpu, tokens(mb));
}

void DecodeStep::dispatch_complete(std::uint32_t layer, std::uint32_t mb, std::uint32_t gpu,
                                   const LayerTraffic& traffic) {
  const Picoseconds duration =
      kernel_time(compute_.routed_experts(traffic.tokens_per_expert_slot[gpu]));
  recorder_.expert(std::size_t{layer} * micro_batches_ + mb, duration);
  streams_.enqueue(gpu, {TaskKind::Experts, layer, mb, duration});
}

void DecodeStep::combine_complete(std::uint32_t layer, std::uint32_t mb, std::uint32_t gpu) {
  advance(gpu, layer, mb);
}

// After `layer` completes on `gpu` for micro-batch mb: the next layer's attention, or the head.
void DecodeStep::advance(std::uint32_t gpu, std::uint32_t layer, std::uint32_t mb) {
  if (gpu == 0 && config_.progress) config_.progress->fetch_add(1, std::memory_order_relaxed);
  if (layer + 1 < total_layers_)
    streams_.enqueue(gpu, attention_task(layer + 1, mb));
  else
    streams_.enqueue(gpu, {TaskKind::Head, layer + 1, mb,
                           kernel_time(compute_.head(tokens(mb))) + config_.step_costs.sampling});
}

}  // namespace moesim::workloads::decode
