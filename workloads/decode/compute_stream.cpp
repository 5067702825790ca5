#include "workloads/decode/compute_stream.h"

#include <algorithm>

namespace moesim::workloads::decode {

std::string_view task_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::Attention:
      return "attention";
    case TaskKind::DenseFfn:
      return "dense-ffn";
    case TaskKind::SharedExperts:
      return "shared-expert";
    case TaskKind::Experts:
      return "experts";
    case TaskKind::Head:
      return "head";
  }
  return "";
}

std::uint64_t Task::key() const {
  const auto order = [](TaskKind k) -> std::uint64_t {
    switch (k) {
      case TaskKind::Attention:
        return 0;
      case TaskKind::DenseFfn:
      case TaskKind::SharedExperts:
        return 1;
      case TaskKind::Experts:
        return 2;
      case TaskKind::Head:
        return 3;
    }
    return 0;
  };
  return (std::uint64_t{layer} << 16) | (order(kind) << 8) | micro_batch;
}

ComputeStreams::ComputeStreams(sim::Engine& engine, sim::HandlerId done_handler, std::uint32_t gpus)
    : engine_(engine),
      done_handler_(done_handler),
      busy_(gpus, 0),
      ready_(gpus),
      running_(gpus),
      running_since_(gpus) {}

void ComputeStreams::enqueue(std::uint32_t gpu, const Task& task) {
  ready_[gpu].push_back(task);
  if (!busy_[gpu]) start_next(gpu);
}

ComputeStreams::Finished ComputeStreams::finish(std::uint32_t gpu) {
  busy_[gpu] = 0;
  busy_seconds_ += running_[gpu].duration.seconds();
  return {running_[gpu], running_since_[gpu]};
}

void ComputeStreams::start_next(std::uint32_t gpu) {
  auto& ready = ready_[gpu];
  if (busy_[gpu] || ready.empty()) return;
  const auto best = std::min_element(
      ready.begin(), ready.end(), [](const Task& a, const Task& b) { return a.key() < b.key(); });
  running_[gpu] = *best;
  ready.erase(best);
  busy_[gpu] = 1;
  running_since_[gpu] = engine_.now();
  engine_.schedule_after(running_[gpu].duration, done_handler_, gpu);
}

}  // namespace moesim::workloads::decode
