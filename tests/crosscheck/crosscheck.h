#pragma once
// Shared by the cross-check test and benchmark: run messages through moesim's FlowNetwork and
// through the SimGrid oracle program (tests/crosscheck/simgrid_oracle.cpp, a separate process:
// SimGrid allows one engine per process).
#include <cstdint>
#include <string>
#include <vector>

#include "network/network.h"
#include "topology/fabric.h"

namespace moesim::crosscheck {

struct SimulationRun {
  std::vector<double> completion_seconds;  // per message, in submission order
  double wall_seconds = 0;  // the simulation proper (SimGrid: engine.run(); moesim: submit + run)
  double setup_wall_seconds = 0;  // SimGrid: reading the export and building the platform
};

// The cross-check fabrics, through the YAML builders (topology/builders.h) users go through:
// GB200 NVL72 (72 GPUs, 900 GB/s per direction) and `servers` HGX H200 servers (450 GB/s NVLink per
// direction, one 50 GB/s NIC per GPU, rail-optimized non-blocking fat tree with 8 spines).
// Latencies and per-message overheads are non-zero so that the timing rule (overhead, then latency,
// then bandwidth) is exercised.
topology::Fabric gb200_nvl72();
topology::Fabric hgx_h200_servers(std::uint32_t servers);

// moesim's flow model; messages' tags are replaced by their index (the export uses the same tags).
SimulationRun run_flow_network(const topology::Fabric& fabric,
                               std::vector<network::Message> messages,
                               network::FlowSolver solver = network::FlowSolver::BottleneckGroups);

// Exports (fabric, messages) to `work_file`.export, runs the oracle, reads `work_file`.out.
SimulationRun run_simgrid_oracle(const std::string& oracle_program, const std::string& work_file,
                                 const topology::Fabric& fabric,
                                 std::vector<network::Message> messages);

// Uniform all-to-all among GPUs [0, gpus): one message of `bytes` per ordered pair, released at 0.
std::vector<network::Message> uniform_all_to_all(std::uint32_t gpus, std::uint64_t bytes);

// A decode layer's direct dispatch: every GPU gates `tokens_per_gpu` tokens to `experts_per_token`
// distinct experts out of `experts` (uniform, seeded), expert e lives on GPU e mod gpus; one
// message per (source, destination) pair carrying its token copies x `bytes_per_copy`. Message
// sizes differ, so completions are spread out.
std::vector<network::Message> random_dispatch(std::uint32_t gpus, std::uint32_t tokens_per_gpu,
                                              std::uint32_t experts_per_token,
                                              std::uint32_t experts, std::uint64_t bytes_per_copy,
                                              std::uint64_t seed);

// The same gating with node-deduplicated dispatch (DeepEP normal kernels): a token crosses to
// another scale-up domain once, to the GPU with the source's local rank there (released at 0),
// which forwards it to each destination GPU of that domain over scale-up (released at
// `forward_release`); inside its own domain a token goes once per destination GPU (released at 0).
// Aggregated per (source, destination, release).
std::vector<network::Message> node_dedup_dispatch(
    const topology::Fabric& fabric, std::uint32_t gpus, std::uint32_t tokens_per_gpu,
    std::uint32_t experts_per_token, std::uint32_t experts, std::uint64_t bytes_per_copy,
    sim::Picoseconds forward_release, std::uint64_t seed);

}  // namespace moesim::crosscheck
