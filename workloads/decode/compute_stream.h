#pragma once
// Each GPU's compute stream: the decode step's kernels run one at a time per GPU (communication
// kernels are assumed not to slow compute down, docs/workloads.md). Internal to moesim_workloads.
#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/engine.h"
#include "sim/time.h"

namespace moesim::workloads::decode {

enum class TaskKind : std::uint8_t { Attention, DenseFfn, SharedExperts, Experts, Head };
// "attention", "dense-ffn", "shared-expert", "experts", "head" (static strings, for timelines).
std::string_view task_name(TaskKind kind);

struct Task {
  TaskKind kind;
  std::uint32_t layer;
  std::uint32_t micro_batch;
  sim::Picoseconds duration;
  // When several tasks are ready (two-micro-batch overlap), the lowest key runs first: earlier
  // layer, then attention before the FFN/shared experts before the routed experts before the head,
  // then the lower micro-batch.
  std::uint64_t key() const;
};

class ComputeStreams {
 public:
  // A task's end is an engine event for `done_handler` whose payload is the GPU index.
  ComputeStreams(sim::Engine& engine, sim::HandlerId done_handler, std::uint32_t gpus);

  // Queues the task; it starts now if the GPU is idle.
  void enqueue(std::uint32_t gpu, const Task& task);
  // The running task of `gpu` has ended (its event ran): frees the GPU and returns the task and
  // when it started. Call start_next() once the task's consequences are queued.
  struct Finished {
    Task task;
    sim::Picoseconds started;
  };
  Finished finish(std::uint32_t gpu);
  void start_next(std::uint32_t gpu);

  double busy_seconds() const { return busy_seconds_; }

 private:
  sim::Engine& engine_;
  sim::HandlerId done_handler_;
  std::vector<std::uint8_t> busy_;
  std::vector<std::vector<Task>> ready_;
  std::vector<Task> running_;
  std::vector<sim::Picoseconds> running_since_;
  double busy_seconds_ = 0;
};

}  // namespace moesim::workloads::decode
