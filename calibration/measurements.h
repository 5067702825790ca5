#pragma once
// Published all-to-all measurements (configs/validation/measurements/*.yaml, schema in
// docs/validation.md) expanded into calibration points: one point per measured phase time.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace moesim::calibration {

enum class CommPhase : std::uint8_t { Dispatch = 0, Combine = 1, AllToAll = 2 };
inline constexpr std::size_t kCommPhaseCount = 3;
std::string_view to_string(CommPhase phase);  // "dispatch", "combine", "alltoall"

enum class TrafficPattern : std::uint8_t {
  DirectTokens,  // every (token, expert) copy goes point to point; copies spread evenly over the EP
                 // ranks
  EvenAllToAll,  // nccl-tests alltoall: every rank sends an equal chunk to every other rank
};

struct CalibrationPoint {
  std::string data_id;  // reference id of the measurement table
  std::string label;    // e.g. "EP16 nvlink-allowed dispatch"
  std::string kernel;
  std::string system;
  bool rdma_only = false;  // intra-server copies also go through the NIC (DeepEP's pure-RDMA mode)
  TrafficPattern pattern = TrafficPattern::DirectTokens;
  CommPhase phase = CommPhase::Dispatch;
  std::uint32_t gpus = 0;               // EP size / ranks
  std::uint32_t tokens_per_gpu = 0;     // DirectTokens
  std::uint32_t experts_per_token = 0;  // DirectTokens
  // DirectTokens: per token copy; EvenAllToAll: per (rank, peer) chunk
  std::uint64_t bytes_per_copy = 0;
  double measured_seconds = 0;
  bool excluded = false;  // shown, but not fitted nor counted in the targets
  std::string exclusion_reason;
};

// Every measurement file expanded into points (schema: docs/validation.md). Tables marked
// `evaluated: false` are listed with their reason instead.
struct CalibrationData {
  std::vector<CalibrationPoint> points;
  std::vector<std::pair<std::string, std::string>> unevaluated_tables;  // (id, why)
};
CalibrationData load_calibration_data(std::span<const std::string> measurement_files);
// <configs_dir>/validation/measurements/*.yaml, sorted by name.
std::vector<std::string> default_measurement_files(const std::string& configs_dir);

}  // namespace moesim::calibration
