#include "workloads/decode_work.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <string>

#include "workloads/gating.h"

namespace moesim::workloads {

namespace {

// Measured on full DeepSeek-V3 steps (EP72 to EP256, analytic and flow networks): 20 to 40 bytes
// of peak memory per message of a step (its entry in the step's message table, its flow or slot
// in the network model while in flight, and their growth slack).
constexpr double kBytesPerMessage = 40;
// An in-flight message's flow, route and event.
constexpr double kBytesPerInFlightMessage = 256;
// A timeline span in memory plus its line of Perfetto JSON.
constexpr double kBytesPerSpan = 256;
// A link-activity sample (flow network with a timeline) in memory plus its JSON.
constexpr double kBytesPerActivitySample = 104;

// "7,424", "12.3 million", "7.4 billion".
std::string amount(double value) {
  char text[48];
  if (value >= 1e12)
    std::snprintf(text, sizeof text, "%.3g trillion", value / 1e12);
  else if (value >= 1e9)
    std::snprintf(text, sizeof text, "%.3g billion", value / 1e9);
  else if (value >= 1e6)
    std::snprintf(text, sizeof text, "%.3g million", value / 1e6);
  else
    std::snprintf(text, sizeof text, "%.0f", value);
  // Thousands separators below a million: "41,472".
  std::string digits = text;
  if (value < 1e6)
    for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3)
      digits = digits.substr(0, static_cast<std::size_t>(i)) + "," +
               digits.substr(static_cast<std::size_t>(i));
  return digits;
}

// "0.4 MB", "186.6 GB", "19.2 TB".
std::string gigabytes(double bytes) {
  const char* units[] = {"MB", "GB", "TB", "PB", "EB"};
  double value = bytes / 1e6;
  std::size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(units)) {
    value /= 1000;
    ++unit;
  }
  char text[48];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

std::string seconds_text(double seconds) {
  char text[48];
  std::snprintf(text, sizeof text, "%.3g s", seconds);
  return text;
}

[[noreturn]] void refuse(const std::string& key, const std::string& message) {
  throw InvalidDecodeConfig(key, message);
}

struct MemoryParts {
  double messages = 0, traffic = 0, records = 0, timeline = 0;
  double total() const { return messages + traffic + records + timeline; }
};

MemoryParts memory_parts(const ModelSpec& model, const DecodeConfig& c, const DecodeWork& w) {
  const double n = c.ep_size;
  const double mb = c.two_micro_batch_overlap ? 2 : 1;
  const double tokens = std::ceil(c.batch_per_gpu / mb) * (1.0 + c.mtp_draft_tokens);
  const double per_phase = w.messages_per_step / 2.0 / std::max(1u, w.moe_runs_per_step);
  MemoryParts parts;
  parts.messages =
      w.messages_per_step * kBytesPerMessage + 2.0 * mb * per_phase * kBytesPerInFlightMessage;
  // A run's traffic matrices (pairs, distinct tokens, tokens to domains: 12 bytes per GPU pair),
  // its expert slots and per-GPU bookkeeping; a few runs are in flight at once (and up to 4 more
  // gated ahead on the prefetching thread, TrafficSource::kLookahead). The expert layout
  // and gate: one, or one per layer when popularity is skewed.
  const double experts = model.routed_expert_count;
  const double slots = n * (std::ceil(experts / std::max(1.0, n)) + c.redundant_slots_per_gpu);
  const double runs_alive = std::min<double>(w.moe_runs_per_step, 8);
  const bool skewed = c.gating == GatingKind::Zipf || c.zipf_exponent > 0;
  const double gating_tables = (skewed ? w.layers_per_step : 1.0) * (48.0 * experts + 8.0 * slots);
  parts.traffic =
      runs_alive * (12.0 * n * n + 4.0 * slots + 128.0 * n) + gating_tables + n * tokens * 16.0;
  // Per (MoE layer, micro-batch): each GPU's dispatch and combine time; per layer: attention.
  parts.records = static_cast<double>(c.steps) *
                  (w.moe_runs_per_step * (16.0 * n + 32.0) + w.layers_per_step * mb * 8.0);
  if (c.record_timeline)
    parts.timeline =
        w.timeline_spans * kBytesPerSpan +
        (c.network == NetworkKind::Flow ? 2.0 * w.messages * kBytesPerActivitySample : 0.0);
  return parts;
}

}  // namespace

DecodeWork estimate_decode_work(const ModelSpec& model, const topology::Fabric& fabric,
                                const DecodeConfig& c) {
  DecodeWork w;
  const double n = c.ep_size;
  const std::uint32_t mb = c.two_micro_batch_overlap ? 2 : 1;
  const std::uint32_t moe = model.moe_layer_count();
  const std::uint32_t sampled =
      c.sampled_moe_layers >= 2 && c.sampled_moe_layers < moe ? c.sampled_moe_layers : moe;
  w.layers_per_step = model.dense_layers + sampled + c.mtp_draft_tokens;
  w.moe_runs_per_step = (sampled + c.mtp_draft_tokens) * mb;
  const double tokens =
      std::ceil(static_cast<double>(c.batch_per_gpu) / mb) * (1.0 + c.mtp_draft_tokens);
  const double k = model.experts_per_token_count;
  const double dedup = c.dispatch_mode == DispatchMode::NodeDedup ? 2.0 : 1.0;
  const double steps = c.steps;
  w.copies_per_run = n * tokens * k;
  const double per_phase = dedup * n * std::min(n, tokens * k);
  w.messages_per_step = 2.0 * w.moe_runs_per_step * per_phase;
  w.messages = w.messages_per_step * steps;
  w.token_copies = w.copies_per_run * w.moe_runs_per_step * steps;
  w.progress_units = std::uint64_t{c.steps} * w.layers_per_step * mb;
  if (c.record_timeline) w.timeline_spans = steps * mb * n * (5.0 * w.layers_per_step + 1.0);
  w.memory_bytes = memory_parts(model, c, w).total();

  // Communication's simulated time: every byte over the slowest link, plus each phase's fixed
  // costs, overheads and route latencies in sequence.
  double fraction = 1;
  for (const auto* fractions :
       {&c.calibration.bandwidth_fraction, &c.calibration.combine_bandwidth_fraction})
    for (double f : *fractions) fraction = std::min(fraction, f);
  const double token_bytes_both =
      token_bytes(model.hidden, c.dispatch_bytes_per_element, c.dispatch_scale_factors) +
      token_bytes(model.hidden, c.combine_bytes_per_element, false);
  const double bytes_per_step =
      dedup * w.copies_per_run * token_bytes_both / fraction * w.moe_runs_per_step;
  double overhead = 0;
  for (topology::LinkTier tier : topology::kLinkTiers)
    overhead = std::max(
        overhead, fabric.message_overhead(tier).seconds() +
                      c.calibration.message_overhead[static_cast<std::size_t>(tier)].seconds());
  const double message_latency =
      fabric.max_route_hops() * fabric.max_link_latency().seconds() + overhead;
  const double run_latency = 2.0 * dedup * message_latency +
                             c.calibration.dispatch_phase_overhead.seconds() +
                             c.calibration.combine_phase_overhead.seconds();
  const double min_bandwidth = fabric.min_link_bandwidth();
  w.network_seconds = steps * (bytes_per_step / (min_bandwidth > 0 ? min_bandwidth : 1.0) +
                               w.moe_runs_per_step * run_latency);
  return w;
}

void check_decode_work(const ModelSpec& model, const topology::Fabric& fabric,
                       const DecodeConfig& config) {
  const DecodeWork w = estimate_decode_work(model, fabric, config);
  const bool several_steps = config.steps > 1;
  DecodeConfig one_step = config;
  one_step.steps = 1;
  const DecodeWork step = several_steps ? estimate_decode_work(model, fabric, one_step) : w;

  if (!(w.copies_per_run <= kMaxCopiesPerRun))
    refuse("batch_per_gpu",
           "one MoE layer would gate " + amount(w.copies_per_run) +
               " (token, expert) copies across the EP group (EP size x tokens per GPU x " +
               std::to_string(model.experts_per_token_count) +
               " experts per token); the limit is 2^31 - 1 (" + amount(kMaxCopiesPerRun) + ")");

  const MemoryParts memory = memory_parts(model, config, w);
  if (!(memory.total() <= kMaxMemoryBytes)) {
    std::string parts = "messages and flows " + gigabytes(memory.messages) +
                        ", traffic matrices and expert layouts " + gigabytes(memory.traffic) +
                        ", per-layer records " + gigabytes(memory.records);
    if (config.record_timeline) parts += ", the trace's timeline " + gigabytes(memory.timeline);
    const bool steps_drive = several_steps && step.memory_bytes <= kMaxMemoryBytes;
    refuse(steps_drive ? "steps" : "ep_size",
           "simulating it would need about " + gigabytes(memory.total()) + " of memory (" + parts +
               "); the limit is " + gigabytes(kMaxMemoryBytes) +
               (steps_drive ? ": lower steps"
                            : ": lower ep_size or batch_per_gpu, or set "
                              "sampled_moe_layers"));
  }

  if (!(w.messages <= kMaxMessages)) {
    const bool steps_drive = several_steps && step.messages <= kMaxMessages;
    refuse(steps_drive ? "steps" : "ep_size",
           "it would simulate about " + amount(w.messages) + " messages (" +
               amount(w.messages_per_step) + " per step x " + std::to_string(config.steps) +
               " steps); moesim refuses more than " + amount(kMaxMessages) +
               " (hours of simulation)" +
               (steps_drive ? ": lower steps" : ": lower ep_size, or set sampled_moe_layers"));
  }

  if (!(w.token_copies <= kMaxTokenCopies)) {
    const bool steps_drive = several_steps && step.token_copies <= kMaxTokenCopies;
    refuse(steps_drive ? "steps" : "batch_per_gpu",
           "it would gate about " + amount(w.token_copies) +
               " (token, expert) copies; moesim refuses more than " + amount(kMaxTokenCopies) +
               " (hours of simulation)" + (steps_drive ? ": lower steps" : ""));
  }

  if (!(w.network_seconds <= kMaxNetworkSeconds)) {
    const bool steps_drive = several_steps && step.network_seconds <= kMaxNetworkSeconds;
    char slowest[64];
    std::snprintf(slowest, sizeof slowest, "%g B/s", fabric.min_link_bandwidth());
    refuse(steps_drive ? "steps" : "fabric",
           "its communication could last up to " + seconds_text(w.network_seconds) +
               " of simulated time (every byte over the slowest link of fabric '" + fabric.name() +
               "', " + slowest + ", plus overheads and latencies); moesim simulates at most " +
               seconds_text(kMaxNetworkSeconds));
  }
}

}  // namespace moesim::workloads
