#pragma once
// Section (c) of the 260x claim: the claim's two scenarios (configs/scenarios/claim-260x.yaml,
// `scenarios:`), each in both dispatch modes, simulated as ideal fluids and with the fitted kernel
// costs of `calibrations:` (workloads/calibration.h). Kept apart from claim.h, which is the
// article's arithmetic only.
#include <string>
#include <vector>

#include "cli/report.h"
#include "scenario/scenario.h"

namespace moesim::input {
class Mapping;
}

namespace moesim::cli {

struct ClaimCase {
  std::string label;  // e.g. "H200, node-dedup"
  Scenario scenario;
  RunResult result;
  // Dispatch + combine p50 including a calibrated kernel's fixed costs (all_to_all_p50_us).
  double all_to_all_us() const;
  double dispatch_us() const;  // dispatch p50 + the fixed dispatch cost
  double combine_us() const;   // combine p50 + the fixed combine cost
  double fixed_us() const;     // fixed dispatch + combine cost (0 for the ideal fluid)
};

// The fitted kernel applied to one side (`calibrations.nvl72` / `calibrations.h200`).
struct SideCalibration {
  std::string kernel, system;
  std::string basis;  // why this kernel stands for this side (printed with the result)
};
struct ClaimCalibrations {
  std::string file;  // the fitted-parameter file, resolved relative to the claim file
  SideCalibration nvl72, h200;
};
ClaimCalibrations load_claim_calibrations(const input::Mapping& claim_file);

// Eight cases, all simulated in parallel: ideal fluid 0..3 = NVL72 direct, NVL72 node-dedup, H200
// direct, H200 node-dedup; calibrated 4..7 in the same order. `extra` overrides apply to all.
std::vector<ClaimCase> simulate_claim_cases(const input::Mapping& claim_file,
                                            const ClaimCalibrations& calibrations,
                                            const std::vector<ScenarioOverride>& extra);

}  // namespace moesim::cli
