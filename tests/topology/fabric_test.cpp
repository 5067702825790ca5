// Builders, routing, ECMP, PXN, summaries and config errors, against numbers worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "topology/builders.h"
#include "topology/summary.h"

namespace moesim::topology {
namespace {

std::string fabric_path(const std::string& file) {
  return std::string(MOESIM_SOURCE_DIR) + "/configs/fabrics/" + file;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t count_kind(const Fabric& fabric, VertexKind kind) {
  std::size_t count = 0;
  for (VertexId v = 0; v < fabric.vertex_count(); ++v)
    count += fabric.vertex_kind(v) == kind ? 1 : 0;
  return count;
}

TEST(Builders, NineHgxH200ServersHaveTheExpectedGraph) {
  const Fabric fabric = load_fabric_file(fabric_path("hgx-h200x9.yaml"));
  EXPECT_EQ(fabric.gpu_count(), 72u);
  EXPECT_EQ(fabric.domain_count(), 9u);
  // 72 GPUs + 9 NVSwitch + 72 NICs + 8 leaves (one per rail) + 8 spines.
  EXPECT_EQ(fabric.vertex_count(), 72u + 9 + 72 + 8 + 8);
  EXPECT_EQ(count_kind(fabric, VertexKind::LeafSwitch), 8u);
  // Duplex links: 72 NVLink + 72 GPU-NIC + 72 NIC-leaf + 8 x 8 leaf-spine, two directed links each.
  EXPECT_EQ(fabric.link_count(), 2u * (72 + 72 + 72 + 64));
  EXPECT_EQ(fabric.domain_of(17), 2u);
  ASSERT_EQ(fabric.nics_of(17).size(), 1u);
  EXPECT_EQ(fabric.vertex_name(fabric.nics_of(17)[0]), "nic17");
}

TEST(Builders, NineHgxServersAggregateTo3Point6TBsScaleOut) {
  const FabricSummary summary = summarize(load_fabric_file(fabric_path("hgx-h200x9.yaml")));
  // 9 servers x 8 GPUs x 50 GB/s (400 Gb/s) = 3.6 TB/s per direction.
  EXPECT_DOUBLE_EQ(summary.aggregate_bytes_per_second_per_direction[1], 9 * 8 * 50e9);
  EXPECT_DOUBLE_EQ(summary.per_gpu_scale_out_bytes_per_second, 50e9);
  EXPECT_DOUBLE_EQ(summary.per_gpu_scale_up_bytes_per_second, 450e9);
  // Scale-up: 72 x 450 GB/s per direction.
  EXPECT_DOUBLE_EQ(summary.aggregate_bytes_per_second_per_direction[0], 72 * 450e9);
  // Core: 8 leaves x 8 spines x (9 x 50 GB/s / 8) = 3.6 TB/s (non-blocking).
  EXPECT_NEAR(summary.aggregate_bytes_per_second_per_direction[2], 3.6e12, 1);
  // Bisection across domains: servers 0-3 -> 4-8, limited by the 32 NICs of the smaller side: 32 x
  // 50 GB/s.
  EXPECT_NEAR(summary.scale_out_bisection_bytes_per_second, 32 * 50e9, 1e3);
  // Within a server: 4 GPUs -> 4 GPUs over NVLink, 4 x 450 GB/s.
  EXPECT_NEAR(summary.scale_up_bisection_bytes_per_second, 4 * 450e9, 1e3);
  EXPECT_EQ(summary.diameter_hops, 6u);  // GPU-NIC-leaf-spine-leaf-NIC-GPU
  EXPECT_EQ(summary.nics, 72u);
  EXPECT_EQ(summary.spine_switches, 8u);
}

TEST(Builders, Nvl72AggregatesTo130TBsBidirectional) {
  const Fabric fabric = load_fabric_file(fabric_path("gb200-nvl72.yaml"));
  EXPECT_EQ(fabric.gpu_count(), 72u);
  EXPECT_EQ(fabric.domain_count(), 1u);
  // 72 GPUs + 1 NVLink crossbar + 72 NICs + 4 rails + 8 spines.
  EXPECT_EQ(fabric.vertex_count(), 72u + 1 + 72 + 4 + 8);
  EXPECT_EQ(fabric.link_count(), 2u * (72 + 72 + 72 + 4 * 8));
  const FabricSummary summary = summarize(fabric);
  // 72 x 900 GB/s = 64.8 TB/s per direction; x 2 = 129.6 TB/s bidirectional (the quoted ~130 TB/s).
  EXPECT_DOUBLE_EQ(summary.aggregate_bytes_per_second_per_direction[0], 64.8e12);
  EXPECT_DOUBLE_EQ(2 * summary.aggregate_bytes_per_second_per_direction[0], 129.6e12);
  EXPECT_NEAR(summary.scale_up_bisection_bytes_per_second, 36 * 900e9, 1e3);
  EXPECT_EQ(summary.scale_out_bisection_bytes_per_second, 0.0);         // one domain
  EXPECT_EQ(summary.diameter_hops, 2u);                                 // GPU-switch-GPU
  EXPECT_DOUBLE_EQ(summary.per_gpu_scale_out_bytes_per_second, 100e9);  // CX8 800 Gb/s
}

TEST(Builders, EveryShippedFabricLoads) {
  for (const char* file :
       {"gb200-nvl72.yaml", "gb200-nvl72x2.yaml", "gb300-nvl72.yaml", "hgx-h200x9.yaml",
        "hgx-h200x18.yaml", "hgx-h100x4.yaml", "hgx-b200x4.yaml", "hgx-h800x32.yaml",
        "tiny-2x2.yaml", "cloudmatrix384.yaml"}) {
    SCOPED_TRACE(file);
    const Fabric fabric = load_fabric_file(fabric_path(file));
    EXPECT_GT(fabric.gpu_count(), 0u);
  }
  EXPECT_EQ(load_fabric_file(fabric_path("hgx-h200x18.yaml")).gpu_count(), 144u);
  EXPECT_EQ(load_fabric_file(fabric_path("gb200-nvl72x2.yaml")).domain_count(), 2u);
  const Fabric cloudmatrix = load_fabric_file(fabric_path("cloudmatrix384.yaml"));
  EXPECT_EQ(cloudmatrix.gpu_count(), 384u);
  EXPECT_EQ(cloudmatrix.domain_count(), 1u);
  EXPECT_EQ(cloudmatrix.vertex_count(), 384u + 1 + 384 + 1);
  EXPECT_EQ(summarize(cloudmatrix).aggregate_bytes_per_second_per_direction[0], 384 * 392e9);
}

TEST(Routing, HopCountsFollowTheTiers) {
  const Fabric fabric = load_fabric_file(fabric_path("hgx-h200x9.yaml"));
  std::vector<LinkId> path;
  fabric.route(0, 5, 1, path);  // same server: GPU -> NVSwitch -> GPU
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(fabric.link(path[0]).tier, LinkTier::ScaleUp);
  EXPECT_EQ(fabric.vertex_name(fabric.link(path[0]).to), "nvswitch0");
  fabric.route(3, 8 * 4 + 3, 1, path);  // same rail, other server: GPU-NIC-leaf-NIC-GPU
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(fabric.vertex_name(fabric.link(path[1]).to), "leaf3");
  fabric.route(3, 8 * 4 + 6, 1, path);  // other rail: through a spine
  ASSERT_EQ(path.size(), 6u);
  EXPECT_EQ(fabric.link(path[2]).tier, LinkTier::Core);
  EXPECT_EQ(fabric.vertex_kind(fabric.link(path[2]).to), VertexKind::SpineSwitch);
  // Paths are connected and end at the destination.
  for (std::size_t i = 1; i < path.size(); ++i)
    EXPECT_EQ(fabric.link(path[i - 1]).to, fabric.link(path[i]).from);
  EXPECT_EQ(fabric.link(path.back()).to, 8u * 4 + 6);
  EXPECT_EQ(fabric.hop_distance(3, 8 * 4 + 6), 6u);
}

TEST(Routing, EcmpIsDeterministicAndSpreadsOverSpines) {
  const Fabric fabric = load_fabric_file(fabric_path("hgx-h200x9.yaml"));
  const Fabric again = load_fabric_file(fabric_path("hgx-h200x9.yaml"));
  std::vector<LinkId> first, second;
  std::set<VertexId> spines;
  for (std::uint64_t flow = 0; flow < 200; ++flow) {
    fabric.route(0, 9, flow, first);
    again.route(0, 9, flow, second);
    EXPECT_EQ(first, second);  // same flow id, same path, every time
    spines.insert(fabric.link(first[2]).to);
  }
  EXPECT_EQ(spines.size(), 8u);  // 200 flow ids reach all 8 spines
}

TEST(Routing, PxnForwardsThroughThePeerOnTheDestinationRail) {
  std::string text = read_text(fabric_path("hgx-h200x9.yaml"));
  text.replace(text.find("pxn: false"), 10, "pxn: true ");
  const Fabric fabric = load_fabric(input::Mapping::load_string(text, "pxn.yaml"));
  ASSERT_TRUE(fabric.pxn());
  std::vector<LinkId> path;
  fabric.route(3, 8 * 4 + 6, 7, path);  // GPU 3 (rail 3) -> GPU 38 (rail 6): via GPU 6 of server 0
  ASSERT_EQ(path.size(), 6u);
  EXPECT_EQ(fabric.link(path[0]).tier, LinkTier::ScaleUp);
  EXPECT_EQ(fabric.link(path[1]).to, 6u);
  EXPECT_EQ(fabric.vertex_name(fabric.link(path[2]).to), "nic6");
  EXPECT_EQ(fabric.vertex_name(fabric.link(path[3]).to), "leaf6");
  for (LinkId id : path) EXPECT_NE(fabric.link(id).tier, LinkTier::Core);  // no spine
  fabric.route(3, 8 * 4 + 3, 7, path);  // same rail: PXN does not forward
  EXPECT_EQ(path.size(), 4u);
  EXPECT_EQ(fabric.link(path[0]).tier, LinkTier::ScaleOut);
}

TEST(Routing, GpusAreNeverTransitWithoutPxn) {
  const Fabric fabric = load_fabric_file(fabric_path("hgx-h200x9.yaml"));
  std::vector<LinkId> path;
  for (GpuIndex src = 0; src < 72; src += 5)
    for (GpuIndex dst = 0; dst < 72; dst += 3) {
      if (src == dst) continue;
      fabric.route(src, dst, src * 100 + dst, path);
      for (std::size_t i = 0; i + 1 < path.size(); ++i)
        EXPECT_NE(fabric.vertex_kind(fabric.link(path[i]).to), VertexKind::Gpu);
    }
}

TEST(Builders, DotListsEveryVertex) {
  const Fabric fabric = load_fabric_file(fabric_path("tiny-2x2.yaml"));
  std::ostringstream dot;
  write_dot(fabric, dot);
  EXPECT_NE(dot.str().find("digraph \"tiny-2x2\""), std::string::npos);
  EXPECT_NE(dot.str().find("\"gpu0\" -> \"nvswitch0\" [label=\"100 GB/s\", dir=both]"),
            std::string::npos);
  std::ostringstream text;
  write_summary(summarize(fabric), text);
  EXPECT_NE(text.str().find("GPUs 4 in 2 scale-up domain(s)"), std::string::npos);
}

// Config errors name file:line and the key.
std::string load_error(const std::string& text) {
  try {
    load_fabric(input::Mapping::load_string(text, "bad.yaml"));
  } catch (const input::InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(ConfigErrors, UnknownKeyBadUnitAndBadKindAreReportedWithFileLineKey) {
  std::string text = read_text(fabric_path("tiny-2x2.yaml"));
  std::string typo = text;
  typo.replace(typo.find("  bandwidth: \"100 GB/s\""), 11, "  bandwith");
  const std::string unknown = load_error(typo);
  EXPECT_NE(unknown.find("bad.yaml:8: key 'scale_up.bandwith': unknown key"), std::string::npos)
      << unknown;

  std::string unit = text;
  unit.replace(unit.find("\"10 GB/s\""), 9, "\"10 GBs\"");
  const std::string bad_unit = load_error(unit);
  EXPECT_NE(bad_unit.find("bad.yaml:11: key 'scale_out.nic_bandwidth':"), std::string::npos)
      << bad_unit;
  EXPECT_NE(bad_unit.find("GBs"), std::string::npos) << bad_unit;

  std::string kind = text;
  kind.replace(kind.find("kind: hgx"), 9, "kind: dgx");
  EXPECT_NE(load_error(kind).find("bad.yaml:4: key 'kind': unknown fabric kind 'dgx'"),
            std::string::npos);

  std::string rails = text;
  rails.replace(rails.find("rails: 2"), 8, "rails: 3");
  EXPECT_NE(load_error(rails).find("key 'scale_out.rails': must divide"), std::string::npos);
}

TEST(ConfigErrors, GenericFabricErrorsNameTheKey) {
  const std::string text =
      "name: g\nkind: generic\nvertices:\n  - {name: a, kind: gpu, count: 2}\n  - {name: s, kind: "
      "switch}\n"
      "links: []\noverheads: {scale_up: 1 us, scale_out: 1 us, core: 1 us}\n";
  EXPECT_NE(
      load_error(text).find("bad.yaml:5: key 'vertices[1].kind': unknown vertex kind 'switch'"),
      std::string::npos)
      << load_error(text);
  const std::string unreachable =
      "name: g\nkind: generic\nvertices:\n  - {name: a, kind: gpu, count: 2}\nlinks: []\n"
      "overheads: {scale_up: 1 us, scale_out: 1 us, core: 1 us}\n";
  EXPECT_NE(load_error(unreachable).find("no path from a1 to a0"), std::string::npos)
      << load_error(unreachable);
}

TEST(Routing, RouteHopsAndTheDiameterMatchTheWalkedRoutes) {
  for (const bool pxn : {false, true}) {
    std::string text = read_text(fabric_path("hgx-h200x9.yaml"));
    if (pxn) text.replace(text.find("pxn: false"), 10, "pxn: true ");
    const Fabric fabric = load_fabric(input::Mapping::load_string(text, "x.yaml"));
    std::vector<LinkId> path;
    std::uint32_t longest = 0;
    for (GpuIndex src = 0; src < fabric.gpu_count(); ++src)
      for (GpuIndex dst = 0; dst < fabric.gpu_count(); ++dst) {
        fabric.route(src, dst, 11, path);
        EXPECT_EQ(fabric.route_hops(src, dst), path.size()) << src << " -> " << dst;
        longest = std::max(longest, static_cast<std::uint32_t>(path.size()));
      }
    EXPECT_EQ(fabric.max_route_hops(), longest);
    EXPECT_EQ(summarize(fabric).diameter_hops, longest);
    EXPECT_EQ(fabric.min_link_bandwidth(), 50e9);  // 400 Gb/s NICs
  }
}

// Limits: a fabric too large to build is refused from its counts, before anything is built, at
// the key that drives it; bandwidths and latencies outside physical ranges are refused at load.
TEST(ConfigErrors, FabricsTooLargeAreRefusedBeforeBuildingAtTheKey) {
  const std::string text = read_text(fabric_path("tiny-2x2.yaml"));
  std::string servers = text;
  servers.replace(servers.find("servers: 2"), 10, "servers: 1000000");
  servers.replace(servers.find("gpus_per_server: 2"), 18, "gpus_per_server: 1000000");
  const std::string huge = load_error(servers);
  EXPECT_NE(huge.find("bad.yaml:5: key 'servers': the fabric is too large: it would have "
                      "1,000,000,000,000 GPUs"),
            std::string::npos)
      << huge;

  std::string spines = text;
  spines.replace(spines.find("spines: 1"), 9, "spines: 1000000");
  spines.replace(spines.find("rails: 2"), 8, "rails: 1");
  EXPECT_NE(load_error(spines).find("key 'scale_out.spines': the fabric is too large"),
            std::string::npos)
      << load_error(spines);

  std::string racks = read_text(fabric_path("gb200-nvl72.yaml"));
  racks.replace(racks.find("racks: 1"), 8, "racks: 200");  // 14,400 GPUs: routing tables > 512 MiB
  EXPECT_NE(load_error(racks).find("key 'racks': the fabric is too large"), std::string::npos)
      << load_error(racks);

  // Generic: the link count multiplies through YAML aliases; refused at the entry that crosses.
  std::string generic =
      "name: g\nkind: generic\nvertices:\n  - {name: a, kind: gpu, count: 2}\n"
      "  - {name: s, kind: scale-up-switch, count: 400000}\n"
      "  - {name: t, kind: scale-up-switch, count: 400000}\n"
      "links:\n  - &l {from: s, to: t, bandwidth: 1 GB/s, latency: 1 us, tier: scale-up}\n";
  // 800,000 directed links each: the sixth entry crosses 4,000,000.
  for (int i = 0; i < 5; ++i) generic += "  - *l\n";
  generic += "overheads: {scale_up: 1 us, scale_out: 1 us, core: 1 us}\n";
  const std::string links = load_error(generic);
  EXPECT_NE(links.find("key 'links[5].from': the fabric is too large"), std::string::npos) << links;
  EXPECT_NE(links.find("at most 4,000,000 directed links"), std::string::npos) << links;
}

TEST(ConfigErrors, BandwidthsAndLatenciesOutOfRangeNameTheKey) {
  const std::string text = read_text(fabric_path("tiny-2x2.yaml"));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string changed = text;
    changed.replace(changed.find(from), from.size(), to);
    return load_error(changed);
  };
  EXPECT_NE(
      with("\"100 GB/s\"", "\"inf GB/s\"").find("key 'scale_up.bandwidth': expected a finite"),
      std::string::npos);
  EXPECT_NE(with("\"10 GB/s\"", "\"1e-300 GB/s\"")
                .find("key 'scale_out.nic_bandwidth': '1e-300 GB/s' is out of range"),
            std::string::npos);
  EXPECT_NE(with("link_latency: \"1 us\"", "link_latency: \"1e10 s\"")
                .find("key 'scale_up.link_latency': duration '1e10 s' is too large"),
            std::string::npos);
  EXPECT_NE(with("link_latency: \"1 us\"", "link_latency: \"2 s\"")
                .find("key 'scale_up.link_latency': '2 s' is too large"),
            std::string::npos);
  EXPECT_NE(with("link_latency: \"1 us\"", "link_latency: \"nan us\"")
                .find("key 'scale_up.link_latency': expected a finite number"),
            std::string::npos);
  EXPECT_NE(with("oversubscription: 1", "oversubscription: 1e300")
                .find("key 'scale_out.oversubscription': must be a ratio from 1 to"),
            std::string::npos);
}

TEST(FabricBuilder, RefusesNonFiniteBandwidthsAndOutOfRangeLatencies) {
  FabricBuilder builder("b");
  builder.add_gpu("g0", 0);
  builder.add_gpu("g1", 0);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(builder.add_link(0, 1, inf, sim::Picoseconds::zero(), LinkTier::ScaleUp),
               std::invalid_argument);
  EXPECT_THROW(builder.add_link(0, 1, std::nan(""), sim::Picoseconds::zero(), LinkTier::ScaleUp),
               std::invalid_argument);
  EXPECT_THROW(
      builder.add_link(0, 1, 1e9, kMaxLinkLatency + sim::Picoseconds{1}, LinkTier::ScaleUp),
      std::invalid_argument);
  EXPECT_THROW(builder.set_message_overhead(LinkTier::ScaleUp, sim::Picoseconds::max()),
               std::invalid_argument);
  EXPECT_TRUE(fabric_size_problem({100, 200, 400}).empty());
  EXPECT_NE(fabric_size_problem({20'000, 40'000, 100'000}).find("routing tables"),
            std::string::npos);
}

}  // namespace
}  // namespace moesim::topology
