#pragma once
// What `moesim topo FILE` prints about a fabric, and its Graphviz rendering.
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "topology/fabric.h"

namespace moesim::topology {

struct FabricSummary {
  std::string name;
  std::size_t gpus = 0;
  std::size_t domains = 0;
  std::size_t nics = 0;
  std::size_t scale_up_switches = 0;
  std::size_t leaf_switches = 0;
  std::size_t spine_switches = 0;
  std::size_t vertices = 0;
  std::size_t directed_links = 0;
  // Per GPU, per direction: the sum of the GPU's outgoing scale-up links / of its NICs' uplinks
  // (NIC -> switch), the largest over GPUs.
  double per_gpu_scale_up_bytes_per_second = 0;
  double per_gpu_scale_out_bytes_per_second = 0;
  // Aggregate injection bandwidth per tier, per direction (bidirectional = 2x), indexed by
  // LinkTier:
  //   scale-up: sum over GPUs of their scale-up links toward a switch or GPU;
  //   scale-out: sum over NICs of their uplinks (NIC -> leaf);  core: sum of leaf -> spine links.
  std::array<double, kLinkTierCount> aggregate_bytes_per_second_per_direction{};
  // Bisection bandwidth per direction (max flow, Boost push-relabel, over directed link
  // capacities):
  //   scale-up: within domain 0, its first half of GPUs -> its second half, scale-up links only;
  //   scale-out: the first floor(domains/2) domains' GPUs -> the others' GPUs, all links (0 with
  //   one domain).
  double scale_up_bisection_bytes_per_second = 0;
  double scale_out_bisection_bytes_per_second = 0;
  // The longest GPU-to-GPU route in hops (as routed, including PXN forwarding when enabled).
  std::uint32_t diameter_hops = 0;
  bool pxn = false;
  std::array<std::int64_t, kLinkTierCount> message_overhead_ps{};
};

FabricSummary summarize(const Fabric& fabric);
// Human-readable multi-line rendering of a summary (units: GB/s, TB/s, us).
void write_summary(const FabricSummary& summary, std::ostream& out);
// Graphviz DOT: one node per vertex (shape by kind), one edge per duplex pair (dir=both) or
// directed link, labelled with its bandwidth per direction.
void write_dot(const Fabric& fabric, std::ostream& out);

}  // namespace moesim::topology
