#include "tools/moesim/claim.h"

#include "topology/config.h"

namespace moesim::cli {

using sim::Quantity;

ClaimInputs load_claim_inputs(const config::ConfigMap& claim_file) {
  ClaimInputs inputs;
  const config::ConfigMap article = claim_file.map("article");
  article.expect_only(
      {"source", "gpus", "tokens_per_gpu", "experts_per_token", "hidden_size", "bytes_per_element",
       "servers", "nvl72_aggregate_bandwidth", "h200_aggregate_bandwidth", "stated_bandwidth_ratio",
       "stated_nvl72_layer_time", "stated_h200_layer_time", "stated_ratio", "stated_tps_ratio"});
  ArticleClaim& a = inputs.article;
  a.source = article.string("source");
  a.gpus = article.number("gpus");
  a.tokens_per_gpu = article.number("tokens_per_gpu");
  a.experts_per_token = article.number("experts_per_token");
  a.hidden_size = article.number("hidden_size");
  a.bytes_per_element = article.number("bytes_per_element");
  a.servers = article.number("servers");
  a.nvl72_aggregate_bytes_per_second =
      article.quantity("nvl72_aggregate_bandwidth", Quantity::BytesPerSecond);
  a.h200_aggregate_bytes_per_second =
      article.quantity("h200_aggregate_bandwidth", Quantity::BytesPerSecond);
  a.stated_bandwidth_ratio = article.number("stated_bandwidth_ratio");
  a.stated_nvl72_layer_seconds = article.quantity("stated_nvl72_layer_time", Quantity::Seconds);
  a.stated_h200_layer_seconds = article.quantity("stated_h200_layer_time", Quantity::Seconds);
  a.stated_ratio = article.number("stated_ratio");
  const std::vector<double> tps = article.numbers("stated_tps_ratio");
  if (tps.size() != 2) article.fail("stated_tps_ratio", "expected [low, high]");
  a.stated_tps_ratio_low = tps[0];
  a.stated_tps_ratio_high = tps[1];

  const config::ConfigMap deepseek = claim_file.map("deepseek");
  deepseek.expect_only({"source", "bytes_per_element", "tokens", "experts_per_token", "hidden_size",
                        "infiniband_bandwidth", "nvlink_bandwidth", "stated_infiniband_time",
                        "stated_nvlink_time", "stated_ratio"});
  DeepSeekArithmetic& d = inputs.deepseek;
  d.source = deepseek.string("source");
  d.bytes_per_element = deepseek.number("bytes_per_element");
  d.tokens = deepseek.number("tokens");
  d.experts_per_token = deepseek.number("experts_per_token");
  d.hidden_size = deepseek.number("hidden_size");
  d.infiniband_bytes_per_second =
      deepseek.quantity("infiniband_bandwidth", Quantity::BytesPerSecond);
  d.nvlink_bytes_per_second = deepseek.quantity("nvlink_bandwidth", Quantity::BytesPerSecond);
  d.stated_infiniband_seconds = deepseek.quantity("stated_infiniband_time", Quantity::Seconds);
  d.stated_nvlink_seconds = deepseek.quantity("stated_nvlink_time", Quantity::Seconds);
  d.stated_ratio = deepseek.number("stated_ratio");

  const config::ConfigMap links = claim_file.map("per_gpu");
  links.expect_only({"nvl72_nvlink_bandwidth", "h200_nic_bandwidth", "h200_gpus_per_server",
                     "routed_experts_per_token"});
  PerGpuLinks& l = inputs.links;
  l.nvl72_nvlink_bytes_per_second =
      links.quantity("nvl72_nvlink_bandwidth", Quantity::BytesPerSecond);
  l.h200_nic_bytes_per_second = links.quantity("h200_nic_bandwidth", Quantity::BytesPerSecond);
  l.h200_gpus_per_server = links.number("h200_gpus_per_server");
  l.routed_experts_per_token = links.number("routed_experts_per_token");
  return inputs;
}

ClaimArithmetic reproduce_claim(const ClaimInputs& inputs) {
  const ArticleClaim& a = inputs.article;
  ClaimArithmetic r;
  r.total_bytes =
      a.gpus * a.tokens_per_gpu * a.experts_per_token * a.hidden_size * a.bytes_per_element;
  r.nvl72_seconds = r.total_bytes / a.nvl72_aggregate_bytes_per_second;
  const double per_server = a.h200_aggregate_bytes_per_second / a.servers;
  r.h200_seconds = r.total_bytes / per_server;
  r.ratio = r.h200_seconds / r.nvl72_seconds;
  r.bandwidth_ratio = a.nvl72_aggregate_bytes_per_second / a.h200_aggregate_bytes_per_second;
  r.per_server_bytes_per_second_for_stated_h200 = r.total_bytes / a.stated_h200_layer_seconds;
  r.aggregate_bytes_per_second_for_stated_h200 =
      r.per_server_bytes_per_second_for_stated_h200 * a.servers;
  r.h200_seconds_with_stated_bandwidth_ratio =
      r.total_bytes / (a.nvl72_aggregate_bytes_per_second / a.stated_bandwidth_ratio / a.servers);

  const DeepSeekArithmetic& d = inputs.deepseek;
  r.deepseek_bytes = d.bytes_per_element * d.tokens * d.experts_per_token * d.hidden_size;
  r.deepseek_infiniband_seconds = r.deepseek_bytes / d.infiniband_bytes_per_second;
  r.deepseek_nvlink_seconds = r.deepseek_bytes / d.nvlink_bytes_per_second;
  r.deepseek_ratio = r.deepseek_infiniband_seconds / r.deepseek_nvlink_seconds;

  // Each GPU sends its own tokens' copies for the routed experts and receives as many back
  // (combine); a link direction carries one GPU's share, so dividing by the per-direction bandwidth
  // of that GPU's port gives the bandwidth-only time. Uniform routing: a destination is remote with
  // probability (GPUs outside my GPU or server) / GPUs.
  const PerGpuLinks& l = inputs.links;
  r.per_gpu_routed_bytes =
      a.tokens_per_gpu * l.routed_experts_per_token * a.hidden_size * a.bytes_per_element;
  r.nvl72_remote_fraction = (a.gpus - 1) / a.gpus;
  r.h200_remote_fraction = (a.gpus - l.h200_gpus_per_server) / a.gpus;
  // Dispatch (1 B/element) and combine (2 B/element) use opposite directions of the same port at
  // different times, so the time is the sum of both phases' bytes over one direction's bandwidth.
  r.nvl72_per_gpu_seconds =
      r.per_gpu_routed_bytes * r.nvl72_remote_fraction / l.nvl72_nvlink_bytes_per_second;
  r.h200_per_gpu_seconds =
      r.per_gpu_routed_bytes * r.h200_remote_fraction / l.h200_nic_bytes_per_second;
  r.per_gpu_ratio = r.h200_per_gpu_seconds / r.nvl72_per_gpu_seconds;
  return r;
}

}  // namespace moesim::cli
