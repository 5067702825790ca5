#pragma once
// Public API of moesim's fabrics library (target `moesim_topology`). Depends on sim/ only.
//   Fabric, FabricBuilder, Link, LinkTier, VertexKind  — the fabric graph and its routes (fabric.h)
//   NetworkModel, FlowNetwork (FlowSolver), AnalyticNetwork,
//   Message, MessageSink, TierUsage                    — network models (network.h)
// Internal to the flow model, exposed for benchmarks and tests: rate_solver.h (RateSolver),
//   bottleneck_solver.h (the default solver), max_min.h (the reference solver).
//   summarize, write_summary, write_dot                — what `moesim topo` prints (summary.h)
// Loader-side headers, not included here because they pull in yaml-cpp:
//   builders.h (load_fabric_file, load_fabric), config.h (Mapping, InputError),
//   export.h (flow export for the SimGrid cross-check).
#include "network/network.h"
#include "topology/fabric.h"
#include "topology/summary.h"
