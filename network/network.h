#pragma once
// Public API of moesim's network models (library target `moesim_network`). Depends on sim/ and
// topology/. Messages between GPUs of a Fabric become deliveries at simulated times.
//   Message, MessageSink, NetworkModel, TierUsage,
//   TierActivity, RouteTiming, route_timing      — what every model shares (network_model.h)
//   FlowNetwork (FlowSolver, FlowNetworkStats)   — exact max-min flow model (flow_network.h)
//   AnalyticNetwork                              — closed form, no contention (analytic_network.h)
//   FastNetwork (FastNetworkOptions, FastNetworkStats) — max-min re-solved at epochs, fast
//                                                  (fast_network.h, docs/fast-network.md)
// Internal to the flow model, exposed for benchmarks and tests: rate_solver.h (RateSolver),
//   bottleneck_solver.h (the default solver), max_min.h (the reference solver).
// Export for the SimGrid cross-check: export.h.
#include "network/analytic_network.h"
#include "network/fast_network.h"
#include "network/flow_network.h"
#include "network/network_model.h"
