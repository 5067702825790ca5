#include "topology/summary.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>
#include <iomanip>
#include <ostream>

namespace moesim::topology {

namespace {

using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<
        boost::edge_capacity_t, double,
        boost::property<boost::edge_residual_capacity_t, double,
                        boost::property<boost::edge_reverse_t, Traits::edge_descriptor>>>>;

// Max flow (bytes/s) from the GPUs in `sources` to those in `sinks` over the links accepted by
// `use_link`: a super source feeds every source GPU and every sink GPU drains into a super sink
// with unbounded capacity.
template <class UseLink>
double max_flow(const Fabric& fabric, const std::vector<GpuIndex>& sources,
                const std::vector<GpuIndex>& sinks, UseLink use_link) {
  const std::size_t vertices = fabric.vertex_count();
  FlowGraph graph(vertices + 2);
  const auto super_source = static_cast<FlowGraph::vertex_descriptor>(vertices);
  const auto super_sink = static_cast<FlowGraph::vertex_descriptor>(vertices + 1);
  auto capacity = boost::get(boost::edge_capacity, graph);
  auto reverse = boost::get(boost::edge_reverse, graph);
  auto add = [&](std::size_t from, std::size_t to, double bandwidth) {
    const auto forward = boost::add_edge(from, to, graph).first;
    const auto backward = boost::add_edge(to, from, graph).first;
    capacity[forward] = bandwidth;
    capacity[backward] = 0;
    reverse[forward] = backward;
    reverse[backward] = forward;
  };
  double unbounded = 0;
  for (LinkId id = 0; id < fabric.link_count(); ++id)
    unbounded += fabric.link(id).bandwidth_bytes_per_second;
  for (LinkId id = 0; id < fabric.link_count(); ++id) {
    const Link& link = fabric.link(id);
    if (use_link(link)) add(link.from, link.to, link.bandwidth_bytes_per_second);
  }
  for (GpuIndex gpu : sources) add(super_source, gpu, unbounded);
  for (GpuIndex gpu : sinks) add(gpu, super_sink, unbounded);
  return boost::push_relabel_max_flow(graph, super_source, super_sink);
}

}  // namespace

FabricSummary summarize(const Fabric& fabric) {
  FabricSummary summary;
  summary.name = fabric.name();
  summary.gpus = fabric.gpu_count();
  summary.domains = fabric.domain_count();
  summary.vertices = fabric.vertex_count();
  summary.directed_links = fabric.link_count();
  summary.pxn = fabric.pxn();
  for (LinkTier tier : kLinkTiers)
    summary.message_overhead_ps[static_cast<std::size_t>(tier)] =
        fabric.message_overhead(tier).count();
  for (VertexId v = 0; v < fabric.vertex_count(); ++v) {
    switch (fabric.vertex_kind(v)) {
      case VertexKind::Gpu:
        break;
      case VertexKind::Nic:
        ++summary.nics;
        break;
      case VertexKind::ScaleUpSwitch:
        ++summary.scale_up_switches;
        break;
      case VertexKind::LeafSwitch:
        ++summary.leaf_switches;
        break;
      case VertexKind::SpineSwitch:
        ++summary.spine_switches;
        break;
    }
  }

  auto& aggregate = summary.aggregate_bytes_per_second_per_direction;
  for (GpuIndex gpu = 0; gpu < fabric.gpu_count(); ++gpu) {
    double scale_up = 0;
    for (LinkId id : fabric.out_links(gpu))
      if (fabric.link(id).tier == LinkTier::ScaleUp)
        scale_up += fabric.link(id).bandwidth_bytes_per_second;
    double scale_out = 0;
    for (VertexId nic : fabric.nics_of(gpu))
      for (LinkId id : fabric.out_links(nic)) {
        const Link& link = fabric.link(id);
        if (fabric.vertex_kind(link.to) != VertexKind::Gpu)
          scale_out += link.bandwidth_bytes_per_second;
      }
    summary.per_gpu_scale_up_bytes_per_second =
        std::max(summary.per_gpu_scale_up_bytes_per_second, scale_up);
    summary.per_gpu_scale_out_bytes_per_second =
        std::max(summary.per_gpu_scale_out_bytes_per_second, scale_out);
    aggregate[static_cast<std::size_t>(LinkTier::ScaleUp)] += scale_up;
  }
  for (LinkId id = 0; id < fabric.link_count(); ++id) {
    const Link& link = fabric.link(id);
    const VertexKind from = fabric.vertex_kind(link.from);
    const VertexKind to = fabric.vertex_kind(link.to);
    if (from == VertexKind::Nic && to != VertexKind::Gpu)
      aggregate[static_cast<std::size_t>(LinkTier::ScaleOut)] += link.bandwidth_bytes_per_second;
    if (link.tier == LinkTier::Core && from == VertexKind::LeafSwitch)
      aggregate[static_cast<std::size_t>(LinkTier::Core)] += link.bandwidth_bytes_per_second;
  }

  // Bisections: see FabricSummary.
  std::vector<GpuIndex> domain0;
  for (GpuIndex gpu = 0; gpu < fabric.gpu_count(); ++gpu)
    if (fabric.domain_of(gpu) == 0) domain0.push_back(gpu);
  if (domain0.size() >= 2) {
    const std::vector<GpuIndex> first(domain0.begin(), domain0.begin() + domain0.size() / 2);
    const std::vector<GpuIndex> second(domain0.begin() + domain0.size() / 2, domain0.end());
    summary.scale_up_bisection_bytes_per_second = max_flow(
        fabric, first, second, [](const Link& link) { return link.tier == LinkTier::ScaleUp; });
  }
  if (fabric.domain_count() >= 2) {
    std::vector<GpuIndex> first, second;
    const std::uint32_t half = static_cast<std::uint32_t>(fabric.domain_count() / 2);
    for (GpuIndex gpu = 0; gpu < fabric.gpu_count(); ++gpu)
      (fabric.domain_of(gpu) < half ? first : second).push_back(gpu);
    summary.scale_out_bisection_bytes_per_second =
        max_flow(fabric, first, second, [](const Link&) { return true; });
  }

  summary.diameter_hops = fabric.max_route_hops();
  return summary;
}

void write_summary(const FabricSummary& s, std::ostream& out) {
  const auto flags = out.flags();
  const auto precision = out.precision();
  out << std::fixed << std::setprecision(1);
  auto gbps = [](double bytes_per_second) { return bytes_per_second / 1e9; };
  auto tbps = [](double bytes_per_second) { return bytes_per_second / 1e12; };
  out << "fabric " << s.name << "\n";
  out << "  GPUs " << s.gpus << " in " << s.domains << " scale-up domain(s); NICs " << s.nics
      << "; switches: " << s.scale_up_switches << " scale-up, " << s.leaf_switches << " leaf, "
      << s.spine_switches << " spine\n";
  out << "  vertices " << s.vertices << ", directed links " << s.directed_links << ", diameter "
      << s.diameter_hops << " hops, PXN " << (s.pxn ? "on" : "off") << "\n";
  out << "  per GPU (per direction): scale-up " << gbps(s.per_gpu_scale_up_bytes_per_second)
      << " GB/s, scale-out " << gbps(s.per_gpu_scale_out_bytes_per_second) << " GB/s\n";
  out << std::setprecision(2);
  for (LinkTier tier : kLinkTiers) {
    const double per_direction =
        s.aggregate_bytes_per_second_per_direction[static_cast<std::size_t>(tier)];
    out << "  aggregate " << to_string(tier) << ": " << tbps(per_direction)
        << " TB/s per direction, " << tbps(2 * per_direction) << " TB/s bidirectional\n";
  }
  out << "  bisection (per direction): scale-up (within a domain) "
      << tbps(s.scale_up_bisection_bytes_per_second) << " TB/s, across domains "
      << tbps(s.scale_out_bisection_bytes_per_second) << " TB/s\n";
  out << "  per-message overhead: ";
  for (LinkTier tier : kLinkTiers)
    out << to_string(tier) << " "
        << static_cast<double>(s.message_overhead_ps[static_cast<std::size_t>(tier)]) * 1e-6
        << " us" << (tier == LinkTier::Core ? "\n" : ", ");
  out.flags(flags);
  out.precision(precision);
}

void write_dot(const Fabric& fabric, std::ostream& out) {
  auto shape = [](VertexKind kind) {
    switch (kind) {
      case VertexKind::Gpu:
        return "box";
      case VertexKind::Nic:
        return "ellipse";
      case VertexKind::ScaleUpSwitch:
        return "hexagon";
      case VertexKind::LeafSwitch:
        return "diamond";
      case VertexKind::SpineSwitch:
        return "doubleoctagon";
    }
    return "box";
  };
  out << "digraph \"" << fabric.name() << "\" {\n";
  for (VertexId v = 0; v < fabric.vertex_count(); ++v)
    out << "  \"" << fabric.vertex_name(v) << "\" [shape=" << shape(fabric.vertex_kind(v))
        << "];\n";
  for (LinkId id = 0; id < fabric.link_count(); ++id) {
    const Link& link = fabric.link(id);
    // A duplex pair (the reverse link with the same bandwidth) is drawn once, with arrows at both
    // ends.
    bool has_reverse = false;
    for (LinkId back : fabric.out_links(link.to)) {
      const Link& other = fabric.link(back);
      if (other.to == link.from &&
          other.bandwidth_bytes_per_second == link.bandwidth_bytes_per_second) {
        has_reverse = true;
        break;
      }
    }
    if (has_reverse && link.from > link.to) continue;
    out << "  \"" << fabric.vertex_name(link.from) << "\" -> \"" << fabric.vertex_name(link.to)
        << "\" [label=\"" << link.bandwidth_bytes_per_second / 1e9 << " GB/s\""
        << (has_reverse ? ", dir=both" : "") << "];\n";
  }
  out << "}\n";
}

}  // namespace moesim::topology
