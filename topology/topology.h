#pragma once
// Public API of moesim's fabrics library (target `moesim_topology`). Depends on sim/ only.
//   Fabric, FabricBuilder, Link, LinkTier, VertexKind — the fabric graph and its routes
//   (topology/fabric.h) NetworkModel, FlowNetwork, AnalyticNetwork, Message, MessageSink, TierUsage
//   — network models
//                                                         (topology/network.h)
//   summarize, write_summary, write_dot — what `moesim topo` prints (topology/summary.h)
// Loader-side headers, not included here because they pull in yaml-cpp:
//   topology/builders.h (load_fabric_file, load_fabric), topology/config.h (ConfigMap,
//   ConfigError), topology/export.h (flow export for the SimGrid cross-check).
#include "topology/fabric.h"
#include "topology/network.h"
#include "topology/summary.h"
