#include "cli/report.h"

#include <fmt/format.h>

#include <algorithm>

#include "cli/text.h"
#include "input/mapping.h"

namespace moesim::cli {

namespace {

constexpr std::string_view kTierNames[] = {"scale_up", "scale_out", "core"};

std::string number(double value) {
  return exact_number(value);
}
std::string number(std::uint64_t value) {
  return fmt::format("{}", value);
}

// The ordered (name, value) list; `values` == nullptr only asks for the names. `inputs_only` stops
// after the settings (scenario .. seed), which read nothing of the result but its node count.
void visit_values(const Scenario* scenario, const RunResult* result, bool include_host_timing,
                  NamedValues& out, bool inputs_only = false) {
  auto put = [&](std::string name, auto value_of) {
    out.emplace_back(std::move(name), scenario ? value_of() : std::string());
  };
  const workloads::DecodeMetrics* m = result ? &result->metrics : nullptr;
  const workloads::DecodeConfig* d = scenario ? &scenario->decode : nullptr;
  put("scenario", [&] { return scenario->name; });
  put("model", [&] { return scenario->model.name; });
  put("gpu", [&] { return scenario->gpu.name; });
  put("fabric", [&] { return scenario->fabric->name(); });
  put("ep_size", [&] { return number(std::uint64_t{d->ep_size}); });
  put("nodes", [&] { return number(std::uint64_t{m->nodes}); });
  put("batch_per_gpu", [&] { return number(std::uint64_t{d->batch_per_gpu}); });
  put("context_tokens", [&] { return number(d->context_tokens); });
  put("gating", [&] { return std::string(to_string(d->gating)); });
  put("dispatch_mode", [&] { return std::string(to_string(d->dispatch_mode)); });
  put("network", [&] { return std::string(to_string(d->network)); });
  // The fast network's epoch fraction as this scenario resolves it (`auto` picks it by the step's
  // class, docs/fast-network.md); reported whatever the network, like the other settings.
  put("fast_epoch_fraction",
      [&] { return number(workloads::fast_epoch_fraction_for(*d, m->nodes)); });
  // The kernel calibration applied ("none" = the ideal fluid) and its costs (fixed per phase and
  // GPU; achieved fraction of link bandwidth per class; 1 when not calibrated).
  put("calibration", [&] { return calibration_label(scenario->calibration); });
  put("calibration_dispatch_fixed_us",
      [&] { return number(d->calibration.dispatch_phase_overhead.microseconds()); });
  put("calibration_combine_fixed_us",
      [&] { return number(d->calibration.combine_phase_overhead.microseconds()); });
  put("calibration_scale_up_fraction", [&] {
    return number(
        d->calibration.bandwidth_fraction[static_cast<std::size_t>(topology::LinkTier::ScaleUp)]);
  });
  put("calibration_scale_out_fraction", [&] {
    return number(
        d->calibration.bandwidth_fraction[static_cast<std::size_t>(topology::LinkTier::ScaleOut)]);
  });
  // The compute model: "roofline" (at compute_efficiency) or "calibrated@<generation>".
  put("compute", [&] {
    return scenario->compute ? "calibrated@" + scenario->compute->generation
                             : std::string("roofline");
  });
  put("two_micro_batch_overlap",
      [&] { return std::string(d->two_micro_batch_overlap ? "true" : "false"); });
  put("mtp_draft_tokens", [&] { return number(std::uint64_t{d->mtp_draft_tokens}); });
  put("steps", [&] { return number(std::uint64_t{d->steps}); });
  put("seed", [&] { return number(d->seed); });
  if (inputs_only) return;
  const std::pair<std::string_view, const workloads::LatencyStats workloads::DecodeMetrics::*>
      phases[] = {{"attention", &workloads::DecodeMetrics::attention},
                  {"dispatch", &workloads::DecodeMetrics::dispatch},
                  {"expert", &workloads::DecodeMetrics::expert},
                  {"combine", &workloads::DecodeMetrics::combine},
                  {"dispatch_per_gpu", &workloads::DecodeMetrics::dispatch_per_gpu},
                  {"combine_per_gpu", &workloads::DecodeMetrics::combine_per_gpu}};
  for (const auto& [phase, field] : phases) {
    // A copy: C++20 lambdas may not capture a structured binding (clang rejects it).
    const auto member = field;
    put(fmt::format("{}_mean_us", phase), [&] { return number((m->*member).mean_us); });
    put(fmt::format("{}_p50_us", phase), [&] { return number((m->*member).p50_us); });
    put(fmt::format("{}_p99_us", phase), [&] { return number((m->*member).p99_us); });
    put(fmt::format("{}_max_us", phase), [&] { return number((m->*member).max_us); });
  }
  put("all_to_all_p50_us", [&] { return number(all_to_all_p50_us(*d, *m)); });
  put("step_time_us", [&] { return number(m->step_time_us); });
  put("tokens_per_user_per_step", [&] { return number(m->tokens_per_user_per_step); });
  put("tpot_us", [&] { return number(m->tpot_us); });
  put("per_user_tokens_per_second", [&] { return number(m->per_user_tokens_per_second); });
  put("tokens_per_second_per_gpu", [&] { return number(m->output_tokens_per_second_per_gpu); });
  put("tokens_per_second_per_node", [&] { return number(m->output_tokens_per_second_per_node); });
  put("gpu_busy_fraction", [&] { return number(m->gpu_busy_fraction); });
  for (std::size_t tier = 0; tier < topology::kLinkTierCount; ++tier) {
    put(fmt::format("{}_bytes", kTierNames[tier]), [&] { return number(m->tiers[tier].bytes); });
    put(fmt::format("{}_utilization", kTierNames[tier]),
        [&] { return number(m->tiers[tier].utilization); });
    put(fmt::format("{}_busy_fraction", kTierNames[tier]),
        [&] { return number(m->tiers[tier].busy_fraction); });
  }
  // The busiest link (the table shows the top few); "" and 0 when nothing crossed the fabric.
  const workloads::LinkReport no_link;
  auto busiest = [&]() -> const workloads::LinkReport& {
    return m->busiest_links.empty() ? no_link : m->busiest_links.front();
  };
  put("busiest_link", [&] { return busiest().name; });
  put("busiest_link_utilization", [&] { return number(busiest().utilization); });
  put("busiest_link_busy_fraction", [&] { return number(busiest().busy_fraction); });
  put("dispatch_bytes_per_step", [&] { return number(m->dispatch_bytes); });
  put("combine_bytes_per_step", [&] { return number(m->combine_bytes); });
  put("weight_bytes_per_gpu", [&] { return number(m->memory.weight_bytes); });
  put("kv_cache_bytes_per_gpu", [&] { return number(m->memory.kv_cache_bytes); });
  put("activation_bytes_per_gpu", [&] { return number(m->memory.activation_bytes); });
  put("reserved_bytes_per_gpu", [&] { return number(m->memory.reserved_bytes); });
  put("hbm_bytes_per_gpu", [&] { return number(m->memory.capacity_bytes); });
  put("headroom_bytes_per_gpu", [&] { return number(m->memory.headroom_bytes()); });
  put("expert_slots_per_gpu", [&] { return number(std::uint64_t{m->memory.expert_slots}); });
  put("simulated_moe_layers", [&] { return number(std::uint64_t{m->simulated_moe_layers}); });
  put("messages", [&] { return number(m->messages); });
  put("simulated_events", [&] { return number(m->simulated_events); });
  if (include_host_timing) {
    put("wall_seconds", [&] { return number(result->wall_seconds); });
    put("events_per_second", [&] {
      return number(static_cast<double>(m->simulated_events) /
                    std::max(result->wall_seconds, 1e-9));
    });
  }
}

// "fast" alone does not say how often it re-solves: the fraction, and whether `auto` chose it.
std::string fast_network_detail(const workloads::DecodeConfig& decode, std::uint32_t domains) {
  if (decode.network != workloads::NetworkKind::Fast) return {};
  return fmt::format(" (epoch fraction {}{})",
                     exact_number(workloads::fast_epoch_fraction_for(decode, domains)),
                     decode.fast_epoch_fraction ? "" : ", auto");
}

std::string us(double value) {
  return value >= 1000 ? with_commas(value, 1) : fmt::format("{:.2f}", value);
}
std::string gb(double bytes) {
  return fmt::format("{:.1f} GB", bytes / 1e9);
}

}  // namespace

double all_to_all_p50_us(const workloads::DecodeConfig& decode,
                         const workloads::DecodeMetrics& metrics) {
  return metrics.dispatch.p50_us + metrics.combine.p50_us +
         decode.calibration.dispatch_phase_overhead.microseconds() +
         decode.calibration.combine_phase_overhead.microseconds();
}

NamedValues named_values(const Scenario& scenario, const RunResult& result,
                         bool include_host_timing) {
  NamedValues values;
  visit_values(&scenario, &result, include_host_timing, values);
  return values;
}

NamedValues input_values(const Scenario& scenario) {
  RunResult result;
  result.metrics.nodes = workloads::spanned_domains(*scenario.fabric, scenario.decode.ep_size);
  NamedValues values;
  visit_values(&scenario, &result, false, values, true);
  return values;
}

std::vector<std::string> value_names() {
  NamedValues values;
  visit_values(nullptr, nullptr, false, values);
  std::vector<std::string> names;
  for (auto& [name, value] : values) names.push_back(std::move(name));
  return names;
}

bool is_text_value(const std::string& name) {
  static constexpr std::string_view kText[] = {
      "scenario",      "model",   "gpu",         "fabric",       "gating",
      "dispatch_mode", "network", "calibration", "busiest_link", "compute"};
  return std::find(std::begin(kText), std::end(kText), name) != std::end(kText);
}

std::string render_table(const Scenario& scenario, const RunResult& result) {
  const workloads::DecodeMetrics& m = result.metrics;
  const workloads::DecodeConfig& d = scenario.decode;
  std::string out = fmt::format("scenario  {} ({})\n", scenario.name, scenario.file);
  out += fmt::format(
      "model     {}: {:.1f}B parameters, {:.1f}B active, trunk fraction d = {:.2f} %  ({})\n",
      scenario.model.name, scenario.model.total_parameters() / 1e9,
      scenario.model.active_parameters() / 1e9, 100 * scenario.model.shared_trunk_fraction(),
      scenario.model_origin);
  out += fmt::format("gpu       {}: {:.0f} GB HBM at {:.1f} TB/s  ({})\n", scenario.gpu.name,
                     scenario.gpu.hbm_bytes / 1e9,
                     scenario.gpu.hbm_bandwidth_bytes_per_second / 1e12, scenario.gpu_origin);
  out += fmt::format("fabric    {}: {} GPUs in {} scale-up domains  ({})\n",
                     scenario.fabric->name(), scenario.fabric->gpu_count(),
                     scenario.fabric->domain_count(), scenario.fabric_origin);
  out += fmt::format(
      "decode    EP{} over {} domain(s), batch {} per GPU, context {} tokens, routing {}, dispatch "
      "{}, network {}{}{}{}, "
      "{} step(s), seed {}\n",
      d.ep_size, m.nodes, d.batch_per_gpu, with_commas(static_cast<double>(d.context_tokens)),
      to_string(d.gating), to_string(d.dispatch_mode), to_string(d.network),
      fast_network_detail(d, m.nodes), d.two_micro_batch_overlap ? ", two-micro-batch overlap" : "",
      d.mtp_draft_tokens ? fmt::format(", MTP {} draft(s) at {:.0f} % acceptance",
                                       d.mtp_draft_tokens, 100 * d.mtp_acceptance)
                         : std::string(),
      d.steps, d.seed);
  if (scenario.calibration) {
    const auto fraction = [&](topology::LinkTier tier) {
      return d.calibration.bandwidth_fraction[static_cast<std::size_t>(tier)];
    };
    const auto up = static_cast<std::size_t>(topology::LinkTier::ScaleUp);
    std::string systems;
    for (const std::string& system : scenario.calibration->measured_systems)
      systems += (systems.empty() ? "" : ", ") + system;
    out += fmt::format(
        "kernels   calibrated: {} set '{}' (measured on {}; {}): +{:.2f} us per dispatch, +{:.2f} "
        "us per combine,\n          bandwidth x {:.3f} / {:.3f} scale-up (dispatch / combine), x "
        "{:.3f} scale-out, +{:.2f} us per scale-out message\n",
        scenario.calibration->kernel, scenario.calibration->system,
        systems.empty() ? std::string("-") : systems, scenario.calibration->file,
        d.calibration.dispatch_phase_overhead.microseconds(),
        d.calibration.combine_phase_overhead.microseconds(), d.calibration.bandwidth_fraction[up],
        d.calibration.combine_bandwidth_fraction[up], fraction(topology::LinkTier::ScaleOut),
        d.calibration.message_overhead[static_cast<std::size_t>(topology::LinkTier::ScaleOut)]
            .microseconds());
  } else {
    out +=
        "kernels   ideal fluid (no kernel calibration: full link bandwidth, no fixed phase "
        "cost)\n";
  }
  if (scenario.compute)
    out += fmt::format("compute   calibrated: {} set ({}){}\n", scenario.compute->generation,
                       scenario.compute->file,
                       scenario.compute->notice.empty() ? "" : "; " + scenario.compute->notice);
  else
    out += fmt::format("compute   roofline at {:.0f} % efficiency (an assumption)\n",
                       100 * d.compute_efficiency);
  if (d.step_costs.per_layer.count() > 0 || d.step_costs.sampling.count() > 0 ||
      d.step_costs.between_steps.count() > 0)
    out += fmt::format(
        "outside   +{:.1f} us per layer (kernels no table covers), +{:.1f} us sampling per "
        "micro-batch, +{:.1f} us between steps\n",
        d.step_costs.per_layer.microseconds(), d.step_costs.sampling.microseconds(),
        d.step_costs.between_steps.microseconds());
  out += "\n";

  Table phases({"per layer (us)", "mean", "p50", "p99", "max"});
  const std::pair<std::string, const workloads::LatencyStats*> rows[] = {
      {"attention", &m.attention},
      {"dispatch", &m.dispatch},
      {"expert compute", &m.expert},
      {"combine", &m.combine},
      {"dispatch, per GPU", &m.dispatch_per_gpu},
      {"combine, per GPU", &m.combine_per_gpu}};
  for (const auto& [name, stats] : rows)
    phases.add_row(
        {name, us(stats->mean_us), us(stats->p50_us), us(stats->p99_us), us(stats->max_us)});
  out += phases.render("  ");
  out +=
      "  (dispatch, combine: from the first GPU's send to the last GPU's last arrival, so they\n"
      "  hold the skew between GPUs; per GPU: each GPU's own send to its last arrival, as a\n"
      "  kernel timed on one rank)\n";
  if (scenario.calibration)
    out +=
        fmt::format("  (with the kernel's fixed costs one layer's all-to-all takes {} us, p50)\n",
                    us(all_to_all_p50_us(d, m)));
  out += "\n";

  Table step({"decode step", "value"});
  step.add_row({"step time", fmt::format("{} us", us(m.step_time_us))});
  if (m.simulated_moe_layers < scenario.model.moe_layer_count())
    step.add_row(
        {"MoE layers simulated", fmt::format("{} of {} (rest extrapolated)", m.simulated_moe_layers,
                                             scenario.model.moe_layer_count())});
  step.add_row({"tokens per user per step", fmt::format("{:.3f}", m.tokens_per_user_per_step)});
  step.add_row({"TPOT", fmt::format("{} us", us(m.tpot_us))});
  step.add_row({"per-user tokens/s", fmt::format("{:.1f}", m.per_user_tokens_per_second)});
  step.add_row({"output tokens/s per GPU", with_commas(m.output_tokens_per_second_per_gpu, 0)});
  step.add_row({"output tokens/s per node", with_commas(m.output_tokens_per_second_per_node, 0)});
  step.add_row({"GPU busy (compute)", fmt::format("{:.1f} %", 100 * m.gpu_busy_fraction)});
  step.add_row(
      {"dispatch + combine bytes per step",
       fmt::format("{} + {} MB", with_commas(static_cast<double>(m.dispatch_bytes) / 1e6, 1),
                   with_commas(static_cast<double>(m.combine_bytes) / 1e6, 1))});
  out += step.render("  ") + "\n";

  Table tiers({"link tier", "bytes", "utilization", "busy"});
  for (std::size_t tier = 0; tier < topology::kLinkTierCount; ++tier) {
    if (m.tiers[tier].bytes == 0) continue;
    tiers.add_row(
        {std::string(topology::to_string(static_cast<topology::LinkTier>(tier))),
         fmt::format("{} MB", with_commas(static_cast<double>(m.tiers[tier].bytes) / 1e6, 1)),
         fmt::format("{:.1f} %", 100 * m.tiers[tier].utilization),
         fmt::format("{:.1f} %", 100 * m.tiers[tier].busy_fraction)});
  }
  out += tiers.render("  ") + "\n";
  if (!m.busiest_links.empty()) {
    Table links({"busiest links", "tier", "bytes", "utilization", "busy"});
    for (const workloads::LinkReport& link : m.busiest_links)
      links.add_row({link.name, std::string(topology::to_string(link.tier)),
                     fmt::format("{} MB", with_commas(static_cast<double>(link.bytes) / 1e6, 1)),
                     fmt::format("{:.1f} %", 100 * link.utilization),
                     fmt::format("{:.1f} %", 100 * link.busy_fraction)});
    out += links.render("  ") + "\n";
  }

  Table memory({"memory per GPU", "bytes"});
  memory.add_row({"weights", gb(m.memory.weight_bytes)});
  memory.add_row({fmt::format("KV cache ({} x {} tokens)", d.batch_per_gpu, d.context_tokens),
                  gb(m.memory.kv_cache_bytes)});
  memory.add_row({"activations", gb(m.memory.activation_bytes)});
  memory.add_row({"reserve", gb(m.memory.reserved_bytes)});
  memory.add_row({"HBM", gb(m.memory.capacity_bytes)});
  memory.add_row({"headroom", gb(m.memory.headroom_bytes())});
  out += memory.render("  ") + "\n";
  out += fmt::format(
      "simulated {} events, {} messages in {:.3f} s ({} events/s)\n",
      with_commas(static_cast<double>(m.simulated_events)),
      with_commas(static_cast<double>(m.messages)), result.wall_seconds,
      with_commas(static_cast<double>(m.simulated_events) / std::max(result.wall_seconds, 1e-9)));
  return out;
}

std::string render_json(const Scenario& scenario, const RunResult& result) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : named_values(scenario, result, true)) {
    out += fmt::format("{}\"{}\":", first ? "" : ",", name);
    out += is_text_value(name) ? fmt::format("\"{}\"", json_escape(value)) : value;
    first = false;
  }
  return out + "}\n";
}

std::string render_csv(const Scenario& scenario, const RunResult& result) {
  std::string header, row;
  bool first = true;
  for (const auto& [name, value] : named_values(scenario, result, true)) {
    header += fmt::format("{}{}", first ? "" : ",", csv_field(name));
    row += fmt::format("{}{}", first ? "" : ",", csv_field(value));
    first = false;
  }
  return header + "\n" + row + "\n";
}

std::string render_trace(const Scenario& scenario, const workloads::DecodeMetrics& metrics) {
  const std::uint32_t gpus = scenario.decode.ep_size;
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  out +=
      "{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":\"GPU compute\"}},\n";
  out +=
      "{\"ph\":\"M\",\"pid\":2,\"name\":\"process_name\",\"args\":{\"name\":\"GPU communication "
      "(dispatch/combine)\"}},\n";
  for (std::uint32_t gpu = 0; gpu < gpus; ++gpu) {
    const std::string gpu_name = json_escape(scenario.fabric->vertex_name(gpu));
    out += fmt::format(
        "{{\"ph\":\"M\",\"pid\":1,\"tid\":{},\"name\":\"thread_name\",\"args\":{{\"name\":\"{}\"}}}"
        "},\n",
        gpu, gpu_name);
    out += fmt::format(
        "{{\"ph\":\"M\",\"pid\":2,\"tid\":{},\"name\":\"thread_name\",\"args\":{{\"name\":\"{} "
        "domain {}\"}}}},\n",
        gpu, gpu_name, scenario.fabric->domain_of(gpu));
  }
  for (const workloads::TimelineSpan& span : metrics.timeline) {
    const bool communication = span.track >= gpus;
    const std::uint32_t gpu = communication ? span.track - gpus : span.track;
    out += fmt::format(
        "{{\"ph\":\"X\",\"pid\":{},\"tid\":{},\"name\":\"{}\",\"cat\":\"{}\",\"ts\":{:.6f},\"dur\":"
        "{:.6f},"
        "\"args\":{{\"layer\":{},\"micro_batch\":{}}}}},\n",
        communication ? 2 : 1, gpu, json_escape(span.name),
        communication ? "communication" : "compute", span.start.microseconds(),
        (span.end - span.start).microseconds(), span.layer, span.micro_batch);
  }
  // Link activity: one counter track per tier, the share of its directed links that carry a flow.
  if (!metrics.tier_activity.empty())
    out +=
        "{\"ph\":\"M\",\"pid\":3,\"name\":\"process_name\",\"args\":{\"name\":\"Fabric "
        "(links busy per tier)\"}},\n";
  for (const network::TierActivity& sample : metrics.tier_activity)
    out += fmt::format(
        "{{\"ph\":\"C\",\"pid\":3,\"name\":\"{} links busy\",\"ts\":{:.6f},\"args\":{{\"%\":{:."
        "3f}}}}},\n",
        topology::to_string(sample.tier), sample.at.microseconds(),
        100.0 * sample.busy_links / sample.links);
  out += fmt::format(
      "{{\"ph\":\"M\",\"pid\":1,\"name\":\"process_labels\",\"args\":{{\"labels\":\"{}\"}}}}\n]}}"
      "\n",
      json_escape(scenario.name));
  return out;
}

}  // namespace moesim::cli
