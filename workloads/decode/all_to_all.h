#pragma once
// The expert-parallel all-to-all protocol of one decode step: which messages each GPU sends for
// the dispatch and the combine of a (layer, micro-batch), in direct or node-dedup mode
// (workloads/gating.h, LayerTraffic), how the kernel calibration shapes them, and when each GPU
// has everything it waits for. Internal to moesim_workloads.
//
// Direct: a GPU sends one message per peer that serves any of its (token, expert) pairs (all
// pairs to that peer in one message); combine mirrors it. NodeDedup: inside its own domain a GPU
// sends each token once per destination GPU; to another domain once, to the relay GPU of its own
// local rank there, which forwards it to the destination GPUs of its domain; combine sends
// partial sums to the relay, which reduces them and sends one vector per token back.
#include <cstdint>
#include <memory>
#include <vector>

#include "network/network_model.h"
#include "sim/engine.h"
#include "workloads/decode/step_metrics.h"
#include "workloads/decode/tagged_records.h"
#include "workloads/decode/traffic_source.h"
#include "workloads/decode_config.h"

namespace moesim::workloads::decode {

// What the step does when a GPU's phase completes.
class AllToAllListener {
 public:
  // `gpu` holds every token copy it serves for (layer, micro-batch): its experts can start.
  virtual void dispatch_complete(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t gpu,
                                 const LayerTraffic& traffic) = 0;
  // `gpu` holds every expert output for its own tokens: the layer is done on it.
  virtual void combine_complete(std::uint32_t layer, std::uint32_t micro_batch,
                                std::uint32_t gpu) = 0;

 protected:
  ~AllToAllListener() = default;
};

class AllToAll final : public sim::EventHandler, public network::MessageSink {
 public:
  AllToAll(sim::Engine& engine, const DecodeConfig& config, const EpDomains& domains,
           TrafficSource& traffic, double dispatch_token_bytes, double combine_token_bytes,
           AllToAllListener& listener, StepRecorder& recorder);
  ~AllToAll();
  AllToAll(const AllToAll&) = delete;
  AllToAll& operator=(const AllToAll&) = delete;

  // The network carries the messages; set before the first phase.
  void set_network(network::NetworkModel& network) { network_ = &network; }
  // Forgets the previous step's phases; runs = layers x micro-batches.
  void begin_step(std::uint32_t step, std::size_t runs);
  // `gpu` finished the kernel before the phase (attention; its experts): after the calibrated
  // per-phase fixed cost it sends its part of the phase.
  void start_dispatch(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t gpu,
                      std::uint32_t tokens_per_gpu);
  void start_combine(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t gpu);

  void on_event(sim::Engine& engine, std::uint64_t payload) override;
  void on_delivered(std::uint64_t tag, sim::Picoseconds at) override;
  void will_deliver(std::uint64_t tag) override;

 private:
  struct Run;
  enum class MessageKind : std::uint8_t {
    Dispatch,         // final delivery of token copies
    DispatchToRelay,  // NodeDedup: token crosses to the relay GPU of the destination domain
    Combine,          // final delivery of expert outputs
    CombineToRelay    // NodeDedup: partial sums to the relay GPU of the expert's domain
  };
  struct MessageInfo {
    MessageKind kind;
    std::uint8_t micro_batch;
    std::uint16_t layer;
    std::uint32_t source;
    std::uint32_t destination;
    // the GPU whose tokens these are (differs from source for relayed combines)
    std::uint32_t origin;
  };

  Run& run(std::uint32_t layer, std::uint32_t micro_batch);
  Run& make_run(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t tokens_per_gpu);
  void count_expected_messages(Run& run) const;
  void send_dispatch(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t source);
  void send_combine(std::uint32_t layer, std::uint32_t micro_batch, std::uint32_t expert_gpu);
  void forward_dispatch(Run& run, const MessageInfo& info);
  void relay_partial_arrived(Run& run, std::uint32_t layer, std::uint32_t micro_batch,
                             std::uint32_t relay, std::uint32_t source);
  void maybe_dispatch_complete(Run& run, std::uint32_t layer, std::uint32_t micro_batch,
                               std::uint32_t gpu, sim::Picoseconds now);
  void maybe_combine_complete(Run& run, std::uint32_t layer, std::uint32_t micro_batch,
                              std::uint32_t gpu, sim::Picoseconds now);
  void submit(MessageKind kind, std::uint32_t layer, std::uint32_t micro_batch,
              std::uint32_t source, std::uint32_t destination, double bytes,
              std::uint32_t origin = 0);
  std::size_t run_index(std::uint32_t layer, std::uint32_t micro_batch) const {
    return std::size_t{layer} * micro_batches_ + micro_batch;
  }

  sim::Engine& engine_;
  const DecodeConfig& config_;
  const EpDomains& domains_;
  TrafficSource& traffic_;
  AllToAllListener& listener_;
  StepRecorder& recorder_;
  network::NetworkModel* network_ = nullptr;
  sim::HandlerId handler_;
  std::uint32_t gpus_;
  std::uint32_t micro_batches_;
  double dispatch_token_bytes_, combine_token_bytes_;
  std::uint32_t step_ = 0;
  std::vector<std::unique_ptr<Run>> runs_;
  TaggedRecords<MessageInfo> messages_;  // by tag, this step, until delivered
};

}  // namespace moesim::workloads::decode
