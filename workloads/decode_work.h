#pragma once
// What simulating a decode configuration will cost, estimated before anything is built:
// validate_decode_config refuses a configuration that cannot fit (memory), would not finish
// (messages, gated token copies) or would leave simulated time's range, with a message that says
// how much it would take and which key drives it (docs/scenarios.md "Errors and limits").
//
// Every figure is an upper bound or a conservative estimate from the layout alone:
//   messages per phase  <= N x min(N, T x k)   (direct: one message per GPU pair that shares a
//                          token; node-dedup at most twice that, relays included)
//   token copies        =  N x T x k per (layer, micro-batch); T tokens per GPU and micro-batch
//                          (requests x (1 + MTP drafts)), k experts per token
//   network time        <= bytes moved / the slowest link's bandwidth + every phase's overheads
//                          and route latencies (max-min sharing keeps some link saturated while
//                          any transfer is under way, so transfers never take longer than that)
#include <cstdint>
#include <string>

#include "topology/fabric.h"
#include "workloads/decode_config.h"
#include "workloads/model.h"

namespace moesim::workloads {

struct DecodeWork {
  std::uint32_t layers_per_step = 0;    // simulated: dense + MoE (sampled) + MTP modules
  std::uint32_t moe_runs_per_step = 0;  // (MoE layer, micro-batch) all-to-alls per step
  double copies_per_run = 0;            // (token, expert) pairs of one run, over the EP group
  double messages_per_step = 0;
  double messages = 0;         // whole run
  double token_copies = 0;     // (token, expert) pairs gated, whole run
  double memory_bytes = 0;     // peak, without the fabric (built and counted before)
  double network_seconds = 0;  // simulated time bound of every phase's communication, whole run
  double timeline_spans = 0;   // with record_timeline
  // What DecodeConfig::progress counts to: steps x layers_per_step x micro-batches.
  std::uint64_t progress_units = 0;
};

// The limits (why these numbers: docs/scenarios.md "Errors and limits").
inline constexpr double kMaxCopiesPerRun = 2147483647.0;  // the gating's 32-bit counters
inline constexpr double kMaxMessages = 2e8;
inline constexpr double kMaxTokenCopies = 1e10;
inline constexpr double kMaxMemoryBytes = 4.0 * 1024 * 1024 * 1024;
inline constexpr double kMaxNetworkSeconds = 1e6;

DecodeWork estimate_decode_work(const ModelSpec& model, const topology::Fabric& fabric,
                                const DecodeConfig& config);

// Throws InvalidDecodeConfig naming the key that drives the first limit exceeded: ep_size (the
// messages and memory grow with its square), batch_per_gpu, steps (when one step fits), "fabric"
// (a slowest link too slow for the bytes moved).
void check_decode_work(const ModelSpec& model, const topology::Fabric& fabric,
                       const DecodeConfig& config);

}  // namespace moesim::workloads
