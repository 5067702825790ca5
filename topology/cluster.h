#pragma once
// A cluster described in code: servers (scale-up domains) of GPUs joined by one non-blocking
// scale-up switch each (NVSwitch, or an NVL72's NVLink switch trays as one crossbar), and a NIC per
// GPU on a rail-optimized two-tier fat tree (a leaf per rail, every leaf linked to every spine).
// The `nvl72` and `hgx` fabric files (topology/builders.h) and the calibration systems
// (calibration/systems.h) are built from this one description.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "sim/time.h"
#include "topology/fabric.h"

namespace moesim::topology {

struct ScaleUpDescription {
  double bandwidth_bytes_per_second = 0;  // per GPU port, per direction
  sim::Picoseconds link_latency{};        // GPU <-> switch
};

struct ScaleOutDescription {
  double nic_bandwidth_bytes_per_second = 0;  // per NIC, per direction
  std::uint32_t rails = 1;                    // leaves; GPU g is on rail (local rank of g) % rails
  std::uint32_t spines = 1;
  double oversubscription = 1;  // a leaf's downlink : uplink bandwidth, >= 1
  sim::Picoseconds gpu_nic_latency{}, nic_leaf_latency{}, leaf_spine_latency{};
};

struct ClusterDescription {
  std::string name;
  std::uint32_t servers = 1;
  std::uint32_t gpus_per_server = 1;
  // Absent: the GPUs have no scale-up links and each one is a scale-up domain of its own, so every
  // copy goes through the NICs (DeepEP's pure-RDMA mode on an HGX server).
  std::optional<ScaleUpDescription> scale_up;
  std::optional<ScaleOutDescription> scale_out;  // needed when there is more than one domain
  std::array<sim::Picoseconds, kLinkTierCount> message_overhead{};
  bool pxn = false;
};

// What build_cluster would build (counted in 64 bits, before building anything).
FabricSize cluster_size(const ClusterDescription& cluster);

// Throws std::invalid_argument naming the field at fault (counts of 0, rails that do not divide the
// GPUs per server, several domains without scale-out, non-positive bandwidths, a cluster larger
// than fabric_size_problem allows: "servers: ...").
Fabric build_cluster(const ClusterDescription& cluster);

}  // namespace moesim::topology
