#include "tests/crosscheck/crosscheck.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "network/export.h"
#include "sim/engine.h"
#include "sim/rng.h"
#include "topology/builders.h"

namespace moesim::crosscheck {

namespace {

class Recorder final : public network::MessageSink {
 public:
  explicit Recorder(std::size_t messages) : delivered_(messages, -1.0) {}
  void on_delivered(std::uint64_t tag, sim::Picoseconds delivered_at) override {
    delivered_[tag] = delivered_at.seconds();
  }
  std::vector<double> take() { return std::move(delivered_); }

 private:
  std::vector<double> delivered_;
};

void tag_by_index(std::vector<network::Message>& messages) {
  for (std::size_t i = 0; i < messages.size(); ++i) messages[i].tag = i;
}

// Gating shared by both dispatch patterns: experts of token t of GPU s, k distinct out of
// `experts`.
std::vector<std::uint32_t> draw_experts(sim::RandomStream& stream, std::uint32_t experts_per_token,
                                        std::uint32_t experts) {
  std::vector<std::uint32_t> chosen;
  while (chosen.size() < experts_per_token) {
    const auto expert = static_cast<std::uint32_t>(stream.below(experts));
    if (std::find(chosen.begin(), chosen.end(), expert) == chosen.end()) chosen.push_back(expert);
  }
  return chosen;
}

}  // namespace

topology::Fabric gb200_nvl72() {
  return topology::load_fabric(input::Mapping::load_string(R"(
name: gb200-nvl72-crosscheck
kind: nvl72
racks: 1
scale_up: {bandwidth: "900 GB/s", link_latency: "0.25 us"}  # hw.gb200 nvlink_uni_GBps 900; latency: test value
overheads: {scale_up: "1 us", scale_out: "2 us", core: "2 us"}  # test values
)",
                                                           "crosscheck-nvl72"));
}

topology::Fabric hgx_h200_servers(std::uint32_t servers) {
  // hw.h200_sxm nvlink_uni_GBps 450, CX7 400 Gb/s = 50 GB/s (cx7.ib_bw); hop latencies split
  // latency.ib_same_leaf_us 2.8 us over 4 hops and (latency.ib_cross_leaf_us 3.7 - 2.8) over 2
  // (arXiv:2505.09343v2 Table 5).
  return topology::load_fabric(input::Mapping::load_string(
      "name: hgx-h200-x" + std::to_string(servers) +
          "-crosscheck\nkind: hgx\nservers: " + std::to_string(servers) +
          R"(
scale_up: {bandwidth: "450 GB/s", link_latency: "0.25 us"}
scale_out: {nic_bandwidth: "50 GB/s", spines: 8, gpu_nic_latency: "0.7 us", nic_leaf_latency: "0.7 us",
            leaf_spine_latency: "0.45 us"}
overheads: {scale_up: "1 us", scale_out: "2 us", core: "2.5 us"}  # test values, distinct per tier
)",
      "crosscheck-hgx"));
}

SimulationRun run_flow_network(const topology::Fabric& fabric,
                               std::vector<network::Message> messages, network::FlowSolver solver) {
  tag_by_index(messages);
  sim::Engine engine;
  Recorder recorder(messages.size());
  network::FlowNetwork network(engine, fabric, recorder, solver);
  const auto begin = std::chrono::steady_clock::now();
  for (const network::Message& message : messages) network.submit(message);
  engine.run();
  SimulationRun run;
  run.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  run.completion_seconds = recorder.take();
  return run;
}

SimulationRun run_simgrid_oracle(const std::string& oracle_program, const std::string& work_file,
                                 const topology::Fabric& fabric,
                                 std::vector<network::Message> messages) {
  tag_by_index(messages);
  const std::string export_file = work_file + ".export";
  const std::string output_file = work_file + ".out";
  network::write_flow_export_file(export_file, fabric, network::route_messages(fabric, messages));
  const std::string command =
      "'" + oracle_program + "' '" + export_file + "' '" + output_file + "'";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("oracle failed: " + command);
  std::ifstream in(output_file);
  SimulationRun run;
  run.completion_seconds.assign(messages.size(), -1.0);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (line.rfind("# wall", 0) == 0) {
      std::string hash, word;
      fields >> hash >> word >> run.setup_wall_seconds >> run.wall_seconds;
      continue;
    }
    std::uint64_t tag = 0;
    double seconds = 0;
    if (!(fields >> tag >> seconds) || tag >= messages.size())
      throw std::runtime_error("bad oracle line: " + line);
    run.completion_seconds[tag] = seconds;
  }
  // The files are large (EP144: ~1 MB each) and rebuilt on every run.
  in.close();
  std::filesystem::remove(export_file);
  std::filesystem::remove(output_file);
  return run;
}

std::vector<network::Message> uniform_all_to_all(std::uint32_t gpus, std::uint64_t bytes) {
  std::vector<network::Message> messages;
  messages.reserve(std::size_t{gpus} * gpus);
  for (std::uint32_t source = 0; source < gpus; ++source)
    for (std::uint32_t destination = 0; destination < gpus; ++destination)
      if (source != destination)
        messages.push_back({source, destination, bytes, sim::Picoseconds{0}, 0});
  return messages;
}

std::vector<network::Message> random_dispatch(std::uint32_t gpus, std::uint32_t tokens_per_gpu,
                                              std::uint32_t experts_per_token,
                                              std::uint32_t experts, std::uint64_t bytes_per_copy,
                                              std::uint64_t seed) {
  std::vector<std::uint64_t> copies(std::size_t{gpus} * gpus, 0);
  for (std::uint32_t source = 0; source < gpus; ++source) {
    sim::RandomStream stream(seed + source, "crosscheck-gate");
    for (std::uint32_t token = 0; token < tokens_per_gpu; ++token)
      for (std::uint32_t expert : draw_experts(stream, experts_per_token, experts))
        ++copies[std::size_t{source} * gpus + expert % gpus];
  }
  std::vector<network::Message> messages;
  for (std::uint32_t source = 0; source < gpus; ++source)
    for (std::uint32_t destination = 0; destination < gpus; ++destination) {
      const std::uint64_t count = copies[std::size_t{source} * gpus + destination];
      if (source != destination && count > 0)
        messages.push_back({source, destination, count * bytes_per_copy, sim::Picoseconds{0}, 0});
    }
  return messages;
}

std::vector<network::Message> node_dedup_dispatch(
    const topology::Fabric& fabric, std::uint32_t gpus, std::uint32_t tokens_per_gpu,
    std::uint32_t experts_per_token, std::uint32_t experts, std::uint64_t bytes_per_copy,
    sim::Picoseconds forward_release, std::uint64_t seed) {
  // GPUs of each domain in index order: a GPU's local rank is its position there.
  std::map<std::uint32_t, std::vector<std::uint32_t>> domain_gpus;
  for (std::uint32_t gpu = 0; gpu < gpus; ++gpu) domain_gpus[fabric.domain_of(gpu)].push_back(gpu);
  auto local_rank = [&](std::uint32_t gpu) {
    const auto& members = domain_gpus[fabric.domain_of(gpu)];
    return static_cast<std::uint32_t>(std::find(members.begin(), members.end(), gpu) -
                                      members.begin());
  };
  // (src, dst, forwarded)
  std::map<std::tuple<std::uint32_t, std::uint32_t, bool>, std::uint64_t> copies;
  for (std::uint32_t source = 0; source < gpus; ++source) {
    sim::RandomStream stream(seed + source, "crosscheck-gate");
    for (std::uint32_t token = 0; token < tokens_per_gpu; ++token) {
      std::set<std::uint32_t> destinations;
      for (std::uint32_t expert : draw_experts(stream, experts_per_token, experts))
        destinations.insert(expert % gpus);
      std::map<std::uint32_t, std::set<std::uint32_t>> by_domain;
      for (std::uint32_t destination : destinations)
        by_domain[fabric.domain_of(destination)].insert(destination);
      for (const auto& [domain, members] : by_domain) {
        if (domain == fabric.domain_of(source)) {
          for (std::uint32_t destination : members)
            if (destination != source) ++copies[{source, destination, false}];
          continue;
        }
        const auto& there = domain_gpus[domain];
        const std::uint32_t relay = there[local_rank(source) % there.size()];
        ++copies[{source, relay, false}];
        for (std::uint32_t destination : members)
          if (destination != relay) ++copies[{relay, destination, true}];
      }
    }
  }
  std::vector<network::Message> messages;
  for (const auto& [key, count] : copies) {
    const auto& [source, destination, forwarded] = key;
    messages.push_back({source, destination, count * bytes_per_copy,
                        forwarded ? forward_release : sim::Picoseconds{0}, 0});
  }
  return messages;
}

}  // namespace moesim::crosscheck
