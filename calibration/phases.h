#pragma once
// The ideal (flow-model) timing of each calibration point's phase: the messages of the phase, and
// when each one would be delivered by the exact max-min model at full link bandwidth.
#include <span>
#include <vector>

#include "calibration/measurements.h"
#include "calibration/systems.h"
#include "network/network_model.h"
#include "topology/fabric.h"

namespace moesim::calibration {

// One message of a phase in the ideal flow model, relative to the phase start.
struct MessageTiming {
  double offset_seconds = 0;    // overhead + route latency (no bandwidth used)
  double transfer_seconds = 0;  // delivery - offset, at full link bandwidth with max-min sharing
  bool scale_out = false;       // the route leaves the scale-up domain
};

// Runs `messages` (all released at their own release times, phase start = 0) through a FlowNetwork
// on `fabric`.
std::vector<MessageTiming> simulate_phase(const topology::Fabric& fabric,
                                          std::span<const network::Message> messages);

// The messages of a point's phase (dispatch: token copies to their ranks; combine: the same copies
// back).
std::vector<network::Message> phase_messages(const CalibrationPoint& point);

// Ideal flow timings for every point (cached by identical simulation inputs).
std::vector<std::vector<MessageTiming>> simulate_points(const SystemCatalogue& systems,
                                                        std::span<const CalibrationPoint> points);

}  // namespace moesim::calibration
