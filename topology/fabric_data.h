#pragma once
// Internal: the immutable data behind Fabric (flat arrays; no Boost types). Only topology/*.cpp
// include it.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "topology/fabric.h"

namespace moesim::topology {

struct FabricData {
  static constexpr std::uint16_t kUnreachable = 0xFFFF;

  std::string name;
  std::size_t gpu_count = 0;
  std::size_t domain_count = 0;
  std::vector<std::uint32_t> domain_of_gpu;
  std::vector<VertexKind> kinds;
  std::vector<std::string> names;
  std::vector<Link> links;
  // Compressed adjacency: the links leaving (entering) vertex v are out_ids[out_offsets[v] ..
  // out_offsets[v+1]).
  std::vector<std::uint32_t> out_offsets, in_offsets;
  std::vector<LinkId> out_ids, in_ids;
  std::vector<std::uint32_t> nic_offsets;
  std::vector<VertexId> nic_ids;
  // distances[target * vertex_count + v]: hops from v to GPU `target` without transiting another
  // GPU.
  std::vector<std::uint16_t> distances;
  // The usable next hops towards GPU `target` from vertex v (links that decrease the hop distance
  // by one and do not enter a third GPU), in out-link order, one entry per (v, target),
  // vertex-major so that the routes of a GPU's burst to every other GPU read consecutive entries:
  // next_hop_entries[v * gpu_count + target] is, for a single next hop (most of them),
  // kDirectHop | its link (its head is links[link].to, a small table that stays in cache: one
  // table load per hop); otherwise an index h into next_hops, next_hops[h].link counting the
  // candidates at next_hops[h + 1 ..]. Precomputed so that a route costs one lookup per hop, not a
  // scan of the vertex's links.
  static constexpr std::uint32_t kDirectHop = 0x80000000u;
  struct NextHop {
    LinkId link;
    VertexId to;  // the link's head, kept beside it so a walk makes one load per hop
  };
  std::vector<std::uint32_t> next_hop_entries;
  std::vector<NextHop> next_hops;
  // pxn_peer[domain * gpu_count + dst]: the GPU of `domain` fewest hops from dst.
  std::vector<GpuIndex> pxn_peer;
  std::array<sim::Picoseconds, kLinkTierCount> overhead{};
  bool pxn = false;
  std::uint32_t max_route_hops = 0;
  sim::Picoseconds max_link_latency{};
  double min_link_bandwidth = 0;

  std::uint16_t distance(GpuIndex target, VertexId v) const {
    return distances[static_cast<std::size_t>(target) * kinds.size() + v];
  }
  void walk(VertexId v, GpuIndex target, std::uint64_t flow_id, std::vector<LinkId>& out) const;
};

}  // namespace moesim::topology
