#include "topology/fabric.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "topology/fabric_data.h"

namespace moesim::topology {

std::string_view to_string(LinkTier tier) {
  switch (tier) {
    case LinkTier::ScaleUp:
      return "scale-up";
    case LinkTier::ScaleOut:
      return "scale-out";
    case LinkTier::Core:
      return "core";
  }
  return "?";
}

std::string_view to_string(VertexKind kind) {
  switch (kind) {
    case VertexKind::Gpu:
      return "gpu";
    case VertexKind::ScaleUpSwitch:
      return "scale-up-switch";
    case VertexKind::Nic:
      return "nic";
    case VertexKind::LeafSwitch:
      return "leaf-switch";
    case VertexKind::SpineSwitch:
      return "spine-switch";
  }
  return "?";
}

// ---- Fabric queries
// ---------------------------------------------------------------------------------------

const std::string& Fabric::name() const {
  return data_->name;
}
std::size_t Fabric::gpu_count() const {
  return data_->gpu_count;
}
std::size_t Fabric::domain_count() const {
  return data_->domain_count;
}
std::uint32_t Fabric::domain_of(GpuIndex gpu) const {
  return data_->domain_of_gpu.at(gpu);
}
std::size_t Fabric::vertex_count() const {
  return data_->kinds.size();
}
VertexKind Fabric::vertex_kind(VertexId v) const {
  return data_->kinds.at(v);
}
const std::string& Fabric::vertex_name(VertexId v) const {
  return data_->names.at(v);
}
std::size_t Fabric::link_count() const {
  return data_->links.size();
}
const Link& Fabric::link(LinkId id) const {
  return data_->links[id];
}
bool Fabric::pxn() const {
  return data_->pxn;
}

std::span<const LinkId> Fabric::out_links(VertexId v) const {
  const auto& d = *data_;
  return {d.out_ids.data() + d.out_offsets[v], d.out_offsets[v + 1] - d.out_offsets[v]};
}
std::span<const LinkId> Fabric::in_links(VertexId v) const {
  const auto& d = *data_;
  return {d.in_ids.data() + d.in_offsets[v], d.in_offsets[v + 1] - d.in_offsets[v]};
}
std::span<const VertexId> Fabric::nics_of(GpuIndex gpu) const {
  const auto& d = *data_;
  return {d.nic_ids.data() + d.nic_offsets[gpu], d.nic_offsets[gpu + 1] - d.nic_offsets[gpu]};
}

sim::Picoseconds Fabric::message_overhead(LinkTier highest_tier) const {
  return data_->overhead[static_cast<std::size_t>(highest_tier)];
}

std::uint32_t Fabric::hop_distance(GpuIndex src, GpuIndex dst) const {
  return data_->distance(dst, src);
}

std::uint32_t Fabric::route_hops(GpuIndex src, GpuIndex dst) const {
  const FabricData& d = *data_;
  if (src == dst) return 0;
  if (d.pxn && d.domain_of_gpu[src] != d.domain_of_gpu[dst]) {
    const GpuIndex peer =
        d.pxn_peer[static_cast<std::size_t>(d.domain_of_gpu[src]) * d.gpu_count + dst];
    if (d.distance(dst, peer) < d.distance(dst, src))
      return std::uint32_t{d.distance(peer, src)} + d.distance(dst, peer);
  }
  return d.distance(dst, src);
}

std::uint32_t Fabric::max_route_hops() const {
  return data_->max_route_hops;
}
sim::Picoseconds Fabric::max_link_latency() const {
  return data_->max_link_latency;
}
double Fabric::min_link_bandwidth() const {
  return data_->min_link_bandwidth;
}

namespace {

std::string with_commas(double value) {
  const std::string digits = std::to_string(static_cast<unsigned long long>(value));
  std::string text;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) text += ',';
    text += digits[i];
  }
  return text;
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  std::size_t unit = 0;
  while (bytes >= 1000 && unit + 1 < std::size(units)) {
    bytes /= 1000;
    ++unit;
  }
  char text[48];
  std::snprintf(text, sizeof text, bytes >= 1000 ? "%.3g %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

}  // namespace

namespace {
FabricLimits limits_in_force;
}  // namespace

const FabricLimits& fabric_limits() {
  return limits_in_force;
}

void set_fabric_limits(const FabricLimits& limits) {
  limits_in_force = limits;
}

std::string fabric_size_problem(const FabricSize& size) {
  const FabricLimits& limits = fabric_limits();
  const std::string what = "it would have " + with_commas(static_cast<double>(size.gpus)) +
                           " GPUs, " + with_commas(static_cast<double>(size.vertices)) +
                           " vertices and " + with_commas(static_cast<double>(size.links)) +
                           " directed links";
  if (size.vertices > limits.vertices)
    return what + "; moesim builds fabrics of at most " +
           with_commas(static_cast<double>(limits.vertices)) + " vertices";
  if (size.links > limits.links)
    return what + "; moesim builds fabrics of at most " +
           with_commas(static_cast<double>(limits.links)) + " directed links";
  if (size.routing_table_bytes() > limits.routing_table_bytes)
    return what + ", and its routing tables (2 bytes per GPU x vertex) would take " +
           bytes_text(size.routing_table_bytes()) + "; the limit is " +
           bytes_text(limits.routing_table_bytes) +
           " (about 11,000 GPUs on HGX servers or NVL72 racks)";
  if (size.route_search_steps() > limits.route_search_steps)
    return what +
           ", and computing its routes (a search over every vertex and link from each GPU) "
           "would take " +
           with_commas(size.route_search_steps()) + " steps; the limit is " +
           with_commas(limits.route_search_steps);
  return {};
}

namespace {
// splitmix64 finalizer: a well-mixed, platform-independent hash for the ECMP choice.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

// Walks from v to GPU `target` along the precomputed next hops; among several, the choice is a hash
// of (flow_id, vertex) (ECMP).
void FabricData::walk(VertexId v, GpuIndex target, std::uint64_t flow_id,
                      std::vector<LinkId>& out) const {
  while (v != target) {
    const std::uint32_t entry = next_hop_entries[static_cast<std::size_t>(v) * gpu_count + target];
    if (entry & kDirectHop) {
      const LinkId link = entry & ~kDirectHop;
      out.push_back(link);
      v = links[link].to;
      continue;
    }
    const std::uint32_t candidates = next_hops[entry].link;
    const std::uint32_t pick =
        candidates <= 1
            ? 0
            : static_cast<std::uint32_t>(mix(flow_id ^ (std::uint64_t{v} << 40)) % candidates);
    const NextHop& hop = next_hops[entry + 1 + pick];
    out.push_back(hop.link);
    v = hop.to;
  }
}

void Fabric::route(GpuIndex src, GpuIndex dst, std::uint64_t flow_id,
                   std::vector<LinkId>& out) const {
  out.clear();
  const FabricData& d = *data_;
  if (src == dst) return;
  VertexId from = src;
  if (d.pxn && d.domain_of_gpu[src] != d.domain_of_gpu[dst]) {
    const GpuIndex peer =
        d.pxn_peer[static_cast<std::size_t>(d.domain_of_gpu[src]) * d.gpu_count + dst];
    if (d.distance(dst, peer) < d.distance(dst, src)) {
      d.walk(src, peer, flow_id, out);
      from = peer;
    }
  }
  d.walk(from, dst, flow_id, out);
}

// ---- FabricBuilder
// --------------------------------------------------------------------------------------

FabricBuilder::FabricBuilder(std::string name) : data_(std::make_unique<FabricData>()) {
  data_->name = std::move(name);
}
FabricBuilder::~FabricBuilder() = default;
FabricBuilder::FabricBuilder(FabricBuilder&&) noexcept = default;
FabricBuilder& FabricBuilder::operator=(FabricBuilder&&) noexcept = default;

namespace {

void check_vertex_count(std::size_t vertices) {
  if (vertices >= fabric_limits().vertices)
    throw std::invalid_argument("FabricBuilder: more than " +
                                with_commas(static_cast<double>(fabric_limits().vertices)) +
                                " vertices");
}

void check_duration(sim::Picoseconds value, const char* what) {
  if (value < sim::Picoseconds::zero() || value > kMaxLinkLatency)
    throw std::invalid_argument(std::string("FabricBuilder: ") + what + " must be in [0, 1 s]");
}

}  // namespace

VertexId FabricBuilder::add_gpu(std::string name, std::uint32_t domain) {
  check_vertex_count(data_->kinds.size());
  if (data_->kinds.size() != data_->gpu_count)
    throw std::invalid_argument("FabricBuilder: GPUs must be added before any other vertex");
  data_->kinds.push_back(VertexKind::Gpu);
  data_->names.push_back(std::move(name));
  data_->domain_of_gpu.push_back(domain);
  return static_cast<VertexId>(data_->gpu_count++);
}

VertexId FabricBuilder::add_vertex(VertexKind kind, std::string name) {
  if (kind == VertexKind::Gpu) throw std::invalid_argument("FabricBuilder: use add_gpu for GPUs");
  check_vertex_count(data_->kinds.size());
  data_->kinds.push_back(kind);
  data_->names.push_back(std::move(name));
  return static_cast<VertexId>(data_->kinds.size() - 1);
}

LinkId FabricBuilder::add_link(VertexId from, VertexId to, double bandwidth_bytes_per_second,
                               sim::Picoseconds latency, LinkTier tier) {
  const std::size_t vertices = data_->kinds.size();
  if (from >= vertices || to >= vertices || from == to)
    throw std::invalid_argument(
        "FabricBuilder: link endpoints must be two existing, distinct vertices");
  if (!(bandwidth_bytes_per_second > 0) || !std::isfinite(bandwidth_bytes_per_second))
    throw std::invalid_argument("FabricBuilder: link bandwidth must be finite and > 0");
  check_duration(latency, "link latency");
  if (data_->links.size() >= fabric_limits().links)
    throw std::invalid_argument("FabricBuilder: more than " +
                                with_commas(static_cast<double>(fabric_limits().links)) +
                                " directed links");
  data_->links.push_back(Link{from, to, bandwidth_bytes_per_second, latency, tier});
  return static_cast<LinkId>(data_->links.size() - 1);
}

void FabricBuilder::add_duplex_link(VertexId a, VertexId b, double bandwidth_bytes_per_second,
                                    sim::Picoseconds latency, LinkTier tier) {
  add_link(a, b, bandwidth_bytes_per_second, latency, tier);
  add_link(b, a, bandwidth_bytes_per_second, latency, tier);
}

void FabricBuilder::set_message_overhead(LinkTier tier, sim::Picoseconds overhead) {
  check_duration(overhead, "message overhead");
  data_->overhead[static_cast<std::size_t>(tier)] = overhead;
}

void FabricBuilder::set_pxn(bool enabled) {
  data_->pxn = enabled;
}
std::size_t FabricBuilder::vertex_count() const {
  return data_->kinds.size();
}

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
using ReverseGraph = boost::reverse_graph<Graph>;

// For a breadth-first search toward GPU `target` over the reversed graph: the original link x -> y
// may be used only if y is not a GPU (GPUs are endpoints, never transit) or y is the target itself.
struct NoTransitThroughGpus {
  const ReverseGraph* graph = nullptr;
  const std::vector<VertexKind>* kinds = nullptr;
  VertexId target = 0;
  template <class Edge>
  bool operator()(const Edge& reversed) const {
    const auto y = static_cast<VertexId>(boost::source(reversed, *graph));
    return (*kinds)[y] != VertexKind::Gpu || y == target;
  }
};

void build_adjacency(FabricData& d) {
  const std::size_t vertices = d.kinds.size();
  auto fill = [&](std::vector<std::uint32_t>& offsets, std::vector<LinkId>& ids, bool outgoing) {
    offsets.assign(vertices + 1, 0);
    for (const Link& link : d.links) ++offsets[(outgoing ? link.from : link.to) + 1];
    for (std::size_t v = 0; v < vertices; ++v) offsets[v + 1] += offsets[v];
    ids.assign(d.links.size(), 0);
    std::vector<std::uint32_t> cursor(offsets.begin(), offsets.end() - 1);
    for (LinkId id = 0; id < d.links.size(); ++id)
      ids[cursor[outgoing ? d.links[id].from : d.links[id].to]++] = id;
  };
  fill(d.out_offsets, d.out_ids, true);
  fill(d.in_offsets, d.in_ids, false);

  d.nic_offsets.assign(d.gpu_count + 1, 0);
  d.nic_ids.clear();
  for (GpuIndex g = 0; g < d.gpu_count; ++g) {
    for (std::uint32_t i = d.out_offsets[g]; i < d.out_offsets[g + 1]; ++i) {
      const VertexId to = d.links[d.out_ids[i]].to;
      if (d.kinds[to] == VertexKind::Nic) d.nic_ids.push_back(to);
    }
    d.nic_offsets[g + 1] = static_cast<std::uint32_t>(d.nic_ids.size());
  }
}

// Hop distances from every vertex to every GPU (Boost.Graph BFS on the reversed graph, one per
// GPU).
void compute_distances(FabricData& d) {
  const std::size_t vertices = d.kinds.size();
  Graph graph(vertices);
  for (const Link& link : d.links) boost::add_edge(link.from, link.to, graph);
  const ReverseGraph reversed(graph);
  d.distances.assign(d.gpu_count * vertices, FabricData::kUnreachable);
  std::vector<std::uint32_t> hops(vertices);
  for (GpuIndex target = 0; target < d.gpu_count; ++target) {
    NoTransitThroughGpus filter{&reversed, &d.kinds, target};
    boost::filtered_graph<ReverseGraph, NoTransitThroughGpus> allowed(reversed, filter);
    std::fill(hops.begin(), hops.end(), std::numeric_limits<std::uint32_t>::max());
    hops[target] = 0;
    boost::breadth_first_search(allowed, target,
                                boost::visitor(boost::make_bfs_visitor(
                                    boost::record_distances(hops.data(), boost::on_tree_edge()))));
    for (std::size_t v = 0; v < vertices; ++v) {
      if (hops[v] >= FabricData::kUnreachable) continue;
      d.distances[target * vertices + v] = static_cast<std::uint16_t>(hops[v]);
    }
  }
}

void check_and_index_domains(FabricData& d) {
  if (d.gpu_count == 0) throw std::invalid_argument("fabric '" + d.name + "' has no GPUs");
  std::uint32_t domains = 0;
  for (std::uint32_t domain : d.domain_of_gpu) domains = std::max(domains, domain + 1);
  std::vector<std::uint32_t> members(domains, 0);
  for (std::uint32_t domain : d.domain_of_gpu) ++members[domain];
  for (std::uint32_t domain = 0; domain < domains; ++domain)
    if (members[domain] == 0)
      throw std::invalid_argument("fabric '" + d.name + "': domain " + std::to_string(domain) +
                                  " has no GPU");
  d.domain_count = domains;
}

void check_reachability(const FabricData& d) {
  for (GpuIndex dst = 0; dst < d.gpu_count; ++dst)
    for (GpuIndex src = 0; src < d.gpu_count; ++src)
      if (src != dst && d.distance(dst, src) == FabricData::kUnreachable)
        throw std::invalid_argument("fabric '" + d.name + "': no path from " + d.names[src] +
                                    " to " + d.names[dst]);
}

// The bounds Fabric reports (max_route_hops, max_link_latency, min_link_bandwidth); after
// compute_pxn_peers.
void compute_bounds(FabricData& d, const Fabric& fabric) {
  d.max_link_latency = sim::Picoseconds::zero();
  d.min_link_bandwidth = d.links.empty() ? 0 : d.links.front().bandwidth_bytes_per_second;
  for (const Link& link : d.links) {
    d.max_link_latency = std::max(d.max_link_latency, link.latency);
    d.min_link_bandwidth = std::min(d.min_link_bandwidth, link.bandwidth_bytes_per_second);
  }
  d.max_route_hops = 0;
  for (GpuIndex src = 0; src < d.gpu_count; ++src)
    for (GpuIndex dst = 0; dst < d.gpu_count; ++dst)
      d.max_route_hops = std::max(d.max_route_hops, fabric.route_hops(src, dst));
}

// For PXN: per (source domain, destination GPU), the domain's GPU fewest hops from the destination
// (lowest index on ties).
// For every (vertex, target GPU): the links that decrease the hop distance to the target by one and
// do not enter a third GPU, in out-link order (FabricData::next_hops).
void compute_next_hops(FabricData& d) {
  const std::size_t vertices = d.kinds.size();
  d.next_hop_entries.assign(vertices * d.gpu_count, 0);
  d.next_hops.clear();
  std::vector<FabricData::NextHop> candidates;
  for (std::size_t v = 0; v < vertices; ++v) {
    for (std::size_t target = 0; target < d.gpu_count; ++target) {
      const std::uint16_t* dist = d.distances.data() + target * vertices;
      candidates.clear();
      if (v != target && dist[v] != FabricData::kUnreachable) {
        for (std::uint32_t i = d.out_offsets[v]; i < d.out_offsets[v + 1]; ++i) {
          const LinkId id = d.out_ids[i];
          const VertexId w = d.links[id].to;
          if (dist[w] + 1 == dist[v] && (d.kinds[w] != VertexKind::Gpu || w == target))
            candidates.push_back({id, w});
        }
      }
      std::uint32_t& entry = d.next_hop_entries[v * d.gpu_count + target];
      if (candidates.size() == 1) {
        entry = FabricData::kDirectHop | candidates[0].link;
        continue;
      }
      // None (v is the target or cannot reach it: no walk asks) or several: a counted list.
      entry = static_cast<std::uint32_t>(d.next_hops.size());
      d.next_hops.push_back({static_cast<LinkId>(candidates.size()), 0});
      d.next_hops.insert(d.next_hops.end(), candidates.begin(), candidates.end());
    }
  }
  d.next_hops.push_back({0, 0});  // a walk that asks anyway reads this, as it read a neighbour
}

void compute_pxn_peers(FabricData& d) {
  d.pxn_peer.assign(d.domain_count * d.gpu_count, 0);
  std::vector<bool> seen(d.domain_count * d.gpu_count, false);
  for (GpuIndex dst = 0; dst < d.gpu_count; ++dst) {
    for (GpuIndex g = 0; g < d.gpu_count; ++g) {
      const std::size_t slot = static_cast<std::size_t>(d.domain_of_gpu[g]) * d.gpu_count + dst;
      if (g == dst) continue;
      if (!seen[slot] || d.distance(dst, g) < d.distance(dst, d.pxn_peer[slot])) {
        d.pxn_peer[slot] = g;
        seen[slot] = true;
      }
    }
  }
}

}  // namespace

Fabric FabricBuilder::build() {
  FabricData& d = *data_;
  check_and_index_domains(d);
  const std::string too_large = fabric_size_problem({d.gpu_count, d.kinds.size(), d.links.size()});
  if (!too_large.empty())
    throw std::invalid_argument("fabric '" + d.name + "' is too large: " + too_large);
  build_adjacency(d);
  compute_distances(d);
  check_reachability(d);
  compute_next_hops(d);
  compute_pxn_peers(d);
  auto built = std::shared_ptr<FabricData>(std::move(data_));
  data_ = std::make_unique<FabricData>();
  Fabric fabric(built);
  compute_bounds(*built, fabric);
  return fabric;
}

}  // namespace moesim::topology
