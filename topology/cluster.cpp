#include "topology/cluster.h"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace moesim::topology {

namespace {

[[noreturn]] void fail(const std::string& field, const std::string& message) {
  throw std::invalid_argument(field + ": " + message);
}

void check(const ClusterDescription& c) {
  if (c.servers == 0) fail("servers", "must be >= 1");
  if (c.gpus_per_server == 0) fail("gpus_per_server", "must be >= 1");
  const bool several_domains = c.servers > 1 || (!c.scale_up && c.gpus_per_server > 1);
  if (several_domains && !c.scale_out)
    fail("scale_out", "more than one scale-up domain needs a scale-out network");
  if (c.scale_up && !(c.scale_up->bandwidth_bytes_per_second > 0))
    fail("scale_up.bandwidth", "must be > 0");
  if (!c.scale_out) return;
  const ScaleOutDescription& s = *c.scale_out;
  if (!(s.nic_bandwidth_bytes_per_second > 0)) fail("scale_out.nic_bandwidth", "must be > 0");
  if (s.rails == 0 || c.gpus_per_server % s.rails != 0)
    fail("scale_out.rails",
         "must divide the GPUs per domain (" + std::to_string(c.gpus_per_server) + ")");
  if (s.spines == 0) fail("scale_out.spines", "must be >= 1");
  if (!(s.oversubscription >= 1) || !std::isfinite(s.oversubscription))
    fail("scale_out.oversubscription", "must be a ratio >= 1 (downlink : uplink bandwidth)");
}

void check_size(const ClusterDescription& c) {
  const std::string problem = fabric_size_problem(cluster_size(c));
  if (problem.empty()) return;
  const bool switch_links_dominate =
      c.scale_out && std::uint64_t{c.scale_out->rails} * c.scale_out->spines >
                         std::uint64_t{c.servers} * c.gpus_per_server;
  fail(switch_links_dominate ? "scale_out.spines" : "servers", problem);
}

std::string numbered(std::string_view prefix, std::uint32_t number) {
  std::string name(prefix);
  name += std::to_string(number);
  return name;
}

}  // namespace

FabricSize cluster_size(const ClusterDescription& c) {
  FabricSize size;
  size.gpus = std::uint64_t{c.servers} * c.gpus_per_server;
  size.vertices = size.gpus;
  if (c.scale_up) {
    size.vertices += c.servers;
    size.links += 2 * size.gpus;
  }
  if (c.scale_out) {
    size.vertices += size.gpus + c.scale_out->rails + c.scale_out->spines;
    size.links += 4 * size.gpus + 2 * std::uint64_t{c.scale_out->rails} * c.scale_out->spines;
  }
  return size;
}

Fabric build_cluster(const ClusterDescription& c) {
  check(c);
  check_size(c);
  FabricBuilder builder(c.name);
  const std::uint32_t gpus = c.servers * c.gpus_per_server;
  for (std::uint32_t gpu = 0; gpu < gpus; ++gpu)
    builder.add_gpu(numbered("gpu", gpu), c.scale_up ? gpu / c.gpus_per_server : gpu);
  if (c.scale_up) {
    for (std::uint32_t server = 0; server < c.servers; ++server) {
      const VertexId nvswitch =
          builder.add_vertex(VertexKind::ScaleUpSwitch, numbered("nvswitch", server));
      for (std::uint32_t local = 0; local < c.gpus_per_server; ++local)
        builder.add_duplex_link(server * c.gpus_per_server + local, nvswitch,
                                c.scale_up->bandwidth_bytes_per_second, c.scale_up->link_latency,
                                LinkTier::ScaleUp);
    }
  }
  if (c.scale_out) {
    const ScaleOutDescription& s = *c.scale_out;
    std::vector<VertexId> nics(gpus);
    for (std::uint32_t gpu = 0; gpu < gpus; ++gpu)
      nics[gpu] = builder.add_vertex(VertexKind::Nic, numbered("nic", gpu));
    std::vector<VertexId> leaves(s.rails);
    for (std::uint32_t rail = 0; rail < s.rails; ++rail)
      leaves[rail] = builder.add_vertex(VertexKind::LeafSwitch, numbered("leaf", rail));
    std::vector<VertexId> spines(s.spines);
    for (std::uint32_t spine = 0; spine < s.spines; ++spine)
      spines[spine] = builder.add_vertex(VertexKind::SpineSwitch, numbered("spine", spine));
    for (std::uint32_t gpu = 0; gpu < gpus; ++gpu) {
      builder.add_duplex_link(gpu, nics[gpu], s.nic_bandwidth_bytes_per_second, s.gpu_nic_latency,
                              LinkTier::ScaleOut);
      builder.add_duplex_link(nics[gpu], leaves[(gpu % c.gpus_per_server) % s.rails],
                              s.nic_bandwidth_bytes_per_second, s.nic_leaf_latency,
                              LinkTier::ScaleOut);
    }
    // Each leaf serves gpus / rails NICs; its uplinks carry that bandwidth / oversubscription,
    // split over the spines.
    const double leaf_down = static_cast<double>(gpus / s.rails) * s.nic_bandwidth_bytes_per_second;
    const double leaf_spine = leaf_down / s.oversubscription / s.spines;
    for (VertexId leaf : leaves)
      for (VertexId spine : spines)
        builder.add_duplex_link(leaf, spine, leaf_spine, s.leaf_spine_latency, LinkTier::Core);
  }
  for (LinkTier tier : kLinkTiers)
    builder.set_message_overhead(tier, c.message_overhead[static_cast<std::size_t>(tier)]);
  builder.set_pxn(c.pxn);
  return builder.build();
}

}  // namespace moesim::topology
