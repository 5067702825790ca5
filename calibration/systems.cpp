#include "calibration/systems.h"

#include <algorithm>

#include "input/mapping.h"
#include "topology/cluster.h"

namespace moesim::calibration {

SystemCatalogue::SystemCatalogue(std::string systems_file) : file_(std::move(systems_file)) {
  const input::Mapping root = input::Mapping::load_file(file_);
  root.expect_only({"source", "notes", "systems"});
  root.string("source");
  const input::Mapping systems = root.map("systems");
  for (const std::string& name : systems.keys()) {
    const input::Mapping spec = systems.map(name);
    spec.expect_only({"gpus_per_domain", "scale_up_bandwidth", "scale_up_hop_latency",
                      "nic_bandwidth", "scale_out_hop_latency", "core_hop_latency"});
    System system;
    system.where = spec.location("gpus_per_domain") + ": system '" + name + "'";
    const std::int64_t per_domain = spec.integer("gpus_per_domain");
    if (per_domain < 1 || per_domain > 1024) spec.fail("gpus_per_domain", "must be from 1 to 1024");
    system.gpus_per_domain = static_cast<std::uint32_t>(per_domain);
    system.scale_up = topology::ScaleUpDescription{
        spec.quantity("scale_up_bandwidth", sim::Quantity::BytesPerSecond),
        spec.duration("scale_up_hop_latency")};
    if (!(system.scale_up.bandwidth_bytes_per_second > 0))
      spec.fail("scale_up_bandwidth", "must be > 0");
    if (spec.has("nic_bandwidth")) {
      system.nic_bandwidth_bytes_per_second =
          spec.quantity("nic_bandwidth", sim::Quantity::BytesPerSecond);
      if (!(system.nic_bandwidth_bytes_per_second > 0)) spec.fail("nic_bandwidth", "must be > 0");
      system.scale_out_hop_latency = spec.duration("scale_out_hop_latency");
      system.core_hop_latency = spec.duration("core_hop_latency");
    }
    systems_.emplace(name, system);
  }
}

// A cluster of ceil(gpus / per domain) domains (one, partly filled, when gpus fits in one). The
// scale-out tree has a leaf per rail and one spine whose link to each leaf carries all of that
// leaf's NICs: non-blocking and free of ECMP hash collisions (InfiniBand's subnet manager routes
// per destination). Latencies sit in the links; per-message overheads are zero.
topology::Fabric SystemCatalogue::fabric(const std::string& name, bool rdma_only,
                                         std::uint32_t gpus) const {
  const auto found = systems_.find(name);
  if (found == systems_.end()) throw input::InputError(file_ + ": unknown system '" + name + "'");
  const System& system = found->second;
  const bool scale_out = system.nic_bandwidth_bytes_per_second > 0;
  topology::ClusterDescription cluster;
  cluster.name = name + (rdma_only ? "-rdma-only-" : "-") + std::to_string(gpus);
  cluster.gpus_per_server = std::min(gpus, system.gpus_per_domain);
  cluster.servers = (gpus + cluster.gpus_per_server - 1) / cluster.gpus_per_server;
  if (cluster.servers * cluster.gpus_per_server != gpus)
    throw input::InputError(system.where + ": " + std::to_string(gpus) +
                            " GPUs do not fill whole domains of " +
                            std::to_string(system.gpus_per_domain));
  if ((cluster.servers > 1 || rdma_only) && !scale_out)
    throw input::InputError(system.where + ": " + std::to_string(gpus) + " GPUs" +
                            (rdma_only ? " in rdma-only mode" : "") + " need nic_bandwidth");
  if (!rdma_only) cluster.scale_up = system.scale_up;
  if (scale_out && (cluster.servers > 1 || rdma_only)) {
    topology::ScaleOutDescription out;
    out.nic_bandwidth_bytes_per_second = system.nic_bandwidth_bytes_per_second;
    out.rails = cluster.gpus_per_server;
    out.spines = 1;
    out.gpu_nic_latency = system.scale_out_hop_latency;
    out.nic_leaf_latency = system.scale_out_hop_latency;
    out.leaf_spine_latency = system.core_hop_latency;
    cluster.scale_out = out;
  }
  return topology::build_cluster(cluster);
}

}  // namespace moesim::calibration
