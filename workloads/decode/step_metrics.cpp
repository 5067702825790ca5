#include "workloads/decode/step_metrics.h"

#include <algorithm>
#include <cmath>

namespace moesim::workloads::decode {

namespace {

using sim::Picoseconds;
using topology::LinkTier;

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

std::vector<LinkReport> busiest_links(const network::NetworkModel& network,
                                      const topology::Fabric& fabric, double simulated_seconds) {
  std::vector<LinkReport> links;
  for (topology::LinkId id = 0; id < fabric.link_count(); ++id) {
    const std::uint64_t bytes = network.link_bytes(id);
    if (bytes == 0) continue;
    const topology::Link& link = fabric.link(id);
    links.push_back(
        {id, "", link.tier, bytes,
         static_cast<double>(bytes) / (link.bandwidth_bytes_per_second * simulated_seconds),
         network.link_busy_time(id).seconds() / simulated_seconds});
  }
  const std::size_t kept = std::min(links.size(), DecodeMetrics::kBusiestLinks);
  std::partial_sort(links.begin(), links.begin() + static_cast<std::ptrdiff_t>(kept), links.end(),
                    [](const LinkReport& a, const LinkReport& b) {
                      return a.utilization != b.utilization ? a.utilization > b.utilization
                                                            : a.link < b.link;
                    });
  links.resize(kept);
  for (LinkReport& report : links) {
    const topology::Link& link = fabric.link(report.link);
    report.name = fabric.vertex_name(link.from) + " -> " + fabric.vertex_name(link.to);
  }
  return links;
}

std::uint64_t scaled(std::uint64_t value, double scale) {
  return static_cast<std::uint64_t>(std::llround(static_cast<double>(value) * scale));
}

}  // namespace

StepRecorder::StepRecorder(std::uint32_t gpus, std::uint32_t model_layers,
                           std::uint32_t runs_per_step, bool record_timeline)
    : gpus_(gpus),
      model_layers_(model_layers),
      record_timeline_(record_timeline),
      expert_max_(runs_per_step) {}

void StepRecorder::begin_step(std::uint32_t step) {
  step_ = step;
  std::fill(expert_max_.begin(), expert_max_.end(), Picoseconds{0});
}

void StepRecorder::expert(std::size_t run, Picoseconds duration) {
  expert_max_[run] = std::max(expert_max_[run], duration);
}

void StepRecorder::message(bool dispatch, double bytes) {
  (dispatch ? dispatch_bytes_ : combine_bytes_) += static_cast<std::uint64_t>(std::llround(bytes));
  ++messages_;
}

// Phase latencies of one finished (layer, micro-batch): from the earliest GPU starting the phase
// to the last GPU completing it; and each GPU's own, from its send to its last arrival.
void StepRecorder::layer_complete(std::uint32_t layer, std::size_t run, const PhaseTimes& t) {
  const Picoseconds dispatch_start =
      *std::min_element(t.dispatch_send.begin(), t.dispatch_send.end());
  const Picoseconds dispatch_end =
      *std::max_element(t.dispatch_complete.begin(), t.dispatch_complete.end());
  const Picoseconds combine_start = *std::min_element(t.combine_send.begin(), t.combine_send.end());
  const Picoseconds combine_end =
      *std::max_element(t.combine_complete.begin(), t.combine_complete.end());
  dispatch_us_.push_back((dispatch_end - dispatch_start).microseconds());
  combine_us_.push_back((combine_end - combine_start).microseconds());
  for (std::uint32_t gpu = 0; gpu < gpus_; ++gpu) {
    dispatch_gpu_us_.push_back((t.dispatch_complete[gpu] - t.dispatch_send[gpu]).microseconds());
    combine_gpu_us_.push_back((t.combine_complete[gpu] - t.combine_send[gpu]).microseconds());
  }
  expert_us_.push_back(expert_max_[run].microseconds());
  if (step_ == 0 && layer < model_layers_) {  // the model's own MoE layers, not MTP modules
    if (moe_layer_ends_.size() <= layer) moe_layer_ends_.resize(layer + 1, Picoseconds{0});
    moe_layer_ends_[layer] = std::max(moe_layer_ends_[layer], combine_end);  // over micro-batches
  }
}

Picoseconds StepRecorder::moe_layer_period() const {
  const auto first = std::find_if(moe_layer_ends_.begin(), moe_layer_ends_.end(),
                                  [](Picoseconds end) { return end > Picoseconds{0}; });
  const auto periods = std::distance(first, moe_layer_ends_.end()) - 1;
  if (periods < 1) return Picoseconds{0};
  return Picoseconds{(moe_layer_ends_.back() - *first).count() / periods};
}

DecodeMetrics StepRecorder::metrics(const DecodeConfig& config, const RunTotals& totals,
                                    const network::NetworkModel& network,
                                    const topology::Fabric& fabric) const {
  DecodeMetrics m;
  m.attention = stats_of(attention_us_);
  m.dispatch = stats_of(dispatch_us_);
  m.expert = stats_of(expert_us_);
  m.combine = stats_of(combine_us_);
  m.dispatch_per_gpu = stats_of(dispatch_gpu_us_);
  m.combine_per_gpu = stats_of(combine_gpu_us_);
  m.step_time_us = totals.mean_step_seconds * 1e6;
  double accepted = 0, chain = 1;
  for (std::uint32_t i = 0; i < config.mtp_draft_tokens; ++i)
    accepted += (chain *= config.mtp_acceptance);
  m.tokens_per_user_per_step = 1.0 + accepted;
  m.tpot_us = m.step_time_us / m.tokens_per_user_per_step;
  m.per_user_tokens_per_second = m.tokens_per_user_per_step / totals.mean_step_seconds;
  m.output_tokens_per_second_per_gpu = m.per_user_tokens_per_second * config.batch_per_gpu;
  m.nodes = totals.nodes;
  m.output_tokens_per_second_per_node = m.output_tokens_per_second_per_gpu * gpus_ / m.nodes;
  const double seconds = totals.simulated_seconds;
  for (std::size_t i = 0; i < topology::kLinkTierCount; ++i) {
    const network::TierUsage usage = network.tier_usage(static_cast<LinkTier>(i));
    m.tiers[i].bytes = usage.bytes;
    if (usage.capacity_bytes_per_second > 0 && seconds > 0)
      m.tiers[i].utilization =
          static_cast<double>(usage.bytes) / (usage.capacity_bytes_per_second * seconds);
    if (usage.links > 0 && seconds > 0)
      m.tiers[i].busy_fraction =
          usage.busy_link_seconds / (static_cast<double>(usage.links) * seconds);
  }
  m.gpu_busy_fraction = seconds > 0 ? totals.gpu_busy_seconds / (gpus_ * seconds) : 0;
  if (seconds > 0) m.busiest_links = busiest_links(network, fabric, seconds);
  m.simulated_events = totals.events;
  m.messages = messages_;
  m.dispatch_bytes = dispatch_bytes_ / totals.steps;
  m.combine_bytes = combine_bytes_ / totals.steps;
  m.timeline = timeline_;
  return m;
}

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
  for (TierReport& tier : m.tiers) tier.bytes = scaled(tier.bytes, scale);
  m.messages = scaled(m.messages, scale);
  m.dispatch_bytes = scaled(m.dispatch_bytes, scale);
  m.combine_bytes = scaled(m.combine_bytes, scale);
  m.simulated_moe_layers = sampled;
}

}  // namespace moesim::workloads::decode
