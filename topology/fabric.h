#pragma once
// The fabric: GPUs, switches and NICs joined by directed links, with precomputed routes.
// Immutable once built and cheap to copy (the data, including the Boost.Graph used to compute the
// routes, lives behind a shared pimpl). Builders from YAML are in topology/builders.h;
// FabricBuilder below builds fabrics in code (tests, the generic loader). Design and sources:
// docs/fabrics.md.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"

namespace moesim::topology {

using GpuIndex = std::uint32_t;  // dense 0 .. gpu_count()-1
// every vertex: GPUs first (vertex id == GpuIndex for GPUs), then the rest
using VertexId = std::uint32_t;
using LinkId = std::uint32_t;  // dense 0 .. link_count()-1, one per *directed* link

enum class VertexKind : std::uint8_t { Gpu, ScaleUpSwitch, Nic, LeafSwitch, SpineSwitch };
enum class LinkTier : std::uint8_t { ScaleUp = 0, ScaleOut = 1, Core = 2 };
// ScaleUp = NVLink / NVSwitch (and any GPU<->GPU scale-up fabric), ScaleOut = GPU<->NIC and
// NIC<->leaf, Core = leaf<->spine (InfiniBand core).
inline constexpr std::size_t kLinkTierCount = 3;
inline constexpr std::array<LinkTier, kLinkTierCount> kLinkTiers = {
    LinkTier::ScaleUp, LinkTier::ScaleOut, LinkTier::Core};
std::string_view to_string(LinkTier tier);  // "scale-up", "scale-out", "core"
// "gpu", "scale-up-switch", "nic", "leaf-switch", "spine-switch"
std::string_view to_string(VertexKind kind);

struct Link {
  VertexId from;
  VertexId to;
  double bandwidth_bytes_per_second;  // per direction
  sim::Picoseconds latency;
  LinkTier tier;
};

// What building a fabric costs, known before it is built: the loaders count GPUs, vertices and
// directed links from a file's counts before creating any of them, and FabricBuilder checks the
// same limits as it goes, so no file can make moesim exhaust memory or build for hours.
struct FabricSize {
  std::uint64_t gpus = 0;
  std::uint64_t vertices = 0;  // GPUs included
  std::uint64_t links = 0;     // directed
  // The hop-distance table (2 bytes per GPU x vertex) and the breadth-first searches that fill it
  // (one per GPU over every vertex and link).
  double routing_table_bytes() const {
    return 2.0 * static_cast<double>(gpus) * static_cast<double>(vertices);
  }
  double route_search_steps() const {
    return static_cast<double>(gpus) * static_cast<double>(vertices + links);
  }
};
// The limits (docs/scenarios.md "Errors and limits"): about 1 GB of memory and a few seconds of
// route building at most (about 11,000 GPUs on HGX servers or NVL72 racks); the largest shipped
// fabrics are a few hundred GPUs.
struct FabricLimits {
  std::uint64_t vertices = 1'000'000;
  std::uint64_t links = 4'000'000;
  double routing_table_bytes = 512.0 * 1024 * 1024;
  double route_search_steps = 2e9;
};
// The limits in force: FabricLimits{} unless lowered by set_fabric_limits, which the fuzz target
// does so that every input stays fast. Not thread-safe: set it before building any fabric.
const FabricLimits& fabric_limits();
void set_fabric_limits(const FabricLimits& limits);
// Link latencies and per-message overheads, at most (GPU fabrics' are nanoseconds to
// microseconds); with at most 65,534 hops a route's latency stays far inside simulated time.
inline constexpr sim::Picoseconds kMaxLinkLatency{1'000'000'000'000};  // 1 s
// Empty if a fabric of this size can be built, else a sentence saying what it would take and the
// limit it exceeds ("it would have 72,000,000 GPUs ... routing tables of 20.7 PB; the limit is
// ...").
std::string fabric_size_problem(const FabricSize& size);

struct FabricData;  // defined in fabric.cpp

class Fabric {
 public:
  const std::string& name() const;
  std::size_t gpu_count() const;
  std::size_t domain_count() const;  // scale-up domains (an HGX server, an NVL72 rack, a supernode)
  std::uint32_t domain_of(GpuIndex gpu) const;  // 0 .. domain_count()-1
  std::size_t vertex_count() const;
  VertexKind vertex_kind(VertexId v) const;
  // e.g. "gpu17", "nvswitch2", "nic17", "leaf3", "spine0"
  const std::string& vertex_name(VertexId v) const;
  std::size_t link_count() const;
  const Link& link(LinkId id) const;
  // Directed links leaving / entering a vertex, in the order they were added.
  std::span<const LinkId> out_links(VertexId v) const;
  std::span<const LinkId> in_links(VertexId v) const;
  // The NIC vertices directly attached to a GPU (empty for a GPU without scale-out).
  std::span<const VertexId> nics_of(GpuIndex gpu) const;

  // The directed links from GPU src to GPU dst (src != dst), appended to `out` (which is cleared
  // first). Shortest path in hops that never passes through a third GPU; among equal-cost next hops
  // the choice is a deterministic hash of (flow_id, vertex) (ECMP). With PXN enabled, a message to
  // another domain first crosses scale-up to the GPU of its own domain that is fewest hops from dst
  // (the peer on dst's rail) and leaves through that GPU's NIC. No allocation beyond growing `out`.
  void route(GpuIndex src, GpuIndex dst, std::uint64_t flow_id, std::vector<LinkId>& out) const;
  // Hops of the shortest path from src to dst without PXN forwarding (0 for src == dst).
  std::uint32_t hop_distance(GpuIndex src, GpuIndex dst) const;
  // Hops of route(src, dst, ...) (PXN forwarding included), without walking it.
  std::uint32_t route_hops(GpuIndex src, GpuIndex dst) const;
  // The longest route between two GPUs in hops (route_hops over every pair) and the longest link
  // latency: with the overheads they bound a message's time before its transfer.
  std::uint32_t max_route_hops() const;
  sim::Picoseconds max_link_latency() const;
  double min_link_bandwidth() const;  // bytes per second
  bool pxn() const;

  // Fixed per-message software/hardware overhead (kernel launch, NIC doorbell) for a message whose
  // path's highest tier is `tier`; configured per tier in the fabric YAML.
  sim::Picoseconds message_overhead(LinkTier highest_tier) const;

 private:
  friend class FabricBuilder;
  explicit Fabric(std::shared_ptr<const FabricData> data) : data_(std::move(data)) {}
  std::shared_ptr<const FabricData> data_;
};

// Assembles a fabric vertex by vertex and link by link, then computes the routing tables
// (Boost.Graph breadth-first search from every GPU). GPUs must be added before any other vertex so
// that their vertex ids equal their GPU indices; domains must be numbered densely from 0.
class FabricBuilder {
 public:
  explicit FabricBuilder(std::string name);
  ~FabricBuilder();
  FabricBuilder(FabricBuilder&&) noexcept;
  FabricBuilder& operator=(FabricBuilder&&) noexcept;

  // Every add throws std::invalid_argument beyond fabric_limits()' vertices / links.
  VertexId add_gpu(std::string name, std::uint32_t domain);
  VertexId add_vertex(VertexKind kind, std::string name);  // any kind but Gpu
  // Bandwidth finite and > 0, latency in [0, kMaxLinkLatency] (std::invalid_argument otherwise).
  LinkId add_link(VertexId from, VertexId to, double bandwidth_bytes_per_second,
                  sim::Picoseconds latency, LinkTier tier);
  // Two directed links, a->b then b->a, with the same bandwidth (per direction) and latency.
  void add_duplex_link(VertexId a, VertexId b, double bandwidth_bytes_per_second,
                       sim::Picoseconds latency, LinkTier tier);
  void set_message_overhead(LinkTier tier, sim::Picoseconds overhead);  // in [0, kMaxLinkLatency]
  void set_pxn(bool enabled);
  std::size_t vertex_count() const;

  // Throws std::invalid_argument if some GPU cannot reach another one, the domains are not dense or
  // the routing tables would exceed the limits above (fabric_size_problem).
  Fabric build();

 private:
  std::unique_ptr<FabricData> data_;
};

}  // namespace moesim::topology
