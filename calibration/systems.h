#pragma once
// The systems the measurements ran on (configs/validation/systems.yaml), built as fabrics by
// topology's cluster builder (topology/cluster.h).
#include <cstdint>
#include <map>
#include <string>

#include "topology/cluster.h"
#include "topology/fabric.h"

namespace moesim::calibration {

class SystemCatalogue {
 public:
  // Reads and checks every system (throws input::InputError with file:line: key).
  explicit SystemCatalogue(std::string systems_file);
  // The fabric of `gpus` GPUs of `system`; rdma_only: no scale-up links, every copy goes through
  // the NICs (DeepEP's pure-RDMA mode).
  topology::Fabric fabric(const std::string& system, bool rdma_only, std::uint32_t gpus) const;
  const std::string& file() const { return file_; }

 private:
  struct System {
    std::string where;  // for errors
    std::uint32_t gpus_per_domain = 1;
    topology::ScaleUpDescription scale_up;
    double nic_bandwidth_bytes_per_second = 0;  // 0: no scale-out network
    sim::Picoseconds scale_out_hop_latency{}, core_hop_latency{};
  };
  std::string file_;
  std::map<std::string, System, std::less<>> systems_;
};

}  // namespace moesim::calibration
