#pragma once
// The MoE decode step: per layer attention -> dispatch (all-to-all through a network model) ->
// expert compute -> combine -> next layer, with per-GPU dependencies, simulated on sim::Engine.
// How it is built: workloads/decode/README.md; semantics, defaults and metric definitions:
// docs/workloads.md "Decode step".
#include "topology/fabric.h"
#include "workloads/decode_config.h"
#include "workloads/decode_metrics.h"
#include "workloads/hardware.h"
#include "workloads/model.h"

namespace moesim::workloads {

// Validates `config` (validate_decode_config: throws InvalidDecodeConfig), then simulates
// config.steps decode steps of `model` on the first config.ep_size GPUs of `fabric`.
DecodeMetrics simulate_decode(const ModelSpec& model, const GpuSpec& gpu,
                              const topology::Fabric& fabric, const DecodeConfig& config);

}  // namespace moesim::workloads
