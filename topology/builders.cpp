#include "topology/builders.h"

#include <array>
#include <cmath>
#include <stdexcept>

#include "topology/cluster.h"

namespace moesim::topology {

namespace {

using input::Mapping;
using sim::Quantity;

std::uint32_t positive_count(const Mapping& map, std::string_view key, std::int64_t fallback = -1) {
  const std::int64_t value = fallback < 0 ? map.integer(key) : map.integer_or(key, fallback);
  if (value < 1 || value > 1'000'000)
    map.fail(key, "expected a count >= 1, got " + std::to_string(value));
  return static_cast<std::uint32_t>(value);
}

// Link and NIC bandwidths, per direction. Below the floor a transfer of a few megabytes would last
// beyond simulated time's range; above the ceiling is not a link of this century.
constexpr double kMinBandwidth = 1e6;   // 1 MB/s
constexpr double kMaxBandwidth = 1e15;  // 1 PB/s

double bandwidth(const Mapping& map, std::string_view key) {
  const double value = map.quantity(key, Quantity::BytesPerSecond);
  if (!(value > 0)) map.fail(key, "must be > 0");
  if (value < kMinBandwidth || value > kMaxBandwidth)
    map.fail(key, "'" + map.string(key) +
                      "' is out of range: a link's bandwidth must be from 1 MB/s to 1 PB/s");
  return value;
}

sim::Picoseconds non_negative_duration(const Mapping& map, std::string_view key) {
  const sim::Picoseconds value = map.duration(key);
  if (value < sim::Picoseconds::zero()) map.fail(key, "must be >= 0");
  if (value > kMaxLinkLatency)
    map.fail(key, "'" + map.string(key) +
                      "' is too large: latencies and overheads must be at most 1 s (a GPU "
                      "fabric's are nanoseconds to microseconds)");
  return value;
}

std::array<sim::Picoseconds, kLinkTierCount> read_overheads(const Mapping& root) {
  const Mapping overheads = root.map("overheads");
  overheads.expect_only({"scale_up", "scale_out", "core"});
  return {non_negative_duration(overheads, "scale_up"),
          non_negative_duration(overheads, "scale_out"), non_negative_duration(overheads, "core")};
}

void read_overheads(const Mapping& root, FabricBuilder& builder) {
  const auto overheads = read_overheads(root);
  for (LinkTier tier : kLinkTiers)
    builder.set_message_overhead(tier, overheads[static_cast<std::size_t>(tier)]);
}

// The keys every fabric kind shares (per-tier overheads, PXN), then the build; a builder error
// becomes an input error pointing at the fabric mapping.
Fabric finish(const Mapping& root, FabricBuilder& builder) {
  read_overheads(root, builder);
  builder.set_pxn(root.boolean_or("pxn", false));
  try {
    return builder.build();
  } catch (const std::invalid_argument& error) {
    root.fail(error.what());
  }
}

// `nvl72` and `hgx` files: domains of `gpus_per_domain` GPUs (topology/cluster.h).
Fabric build_domains(const Mapping& root, std::string_view domains_key,
                     std::uint32_t gpus_per_domain) {
  ClusterDescription cluster;
  cluster.name = root.string("name");
  cluster.servers = positive_count(root, domains_key);
  cluster.gpus_per_server = gpus_per_domain;
  const Mapping scale_up = root.map("scale_up");
  scale_up.expect_only({"bandwidth", "link_latency"});
  cluster.scale_up = ScaleUpDescription{bandwidth(scale_up, "bandwidth"),
                                        non_negative_duration(scale_up, "link_latency")};
  if (!root.has("scale_out")) {
    if (cluster.servers > 1)
      root.fail(domains_key, "more than one domain needs a 'scale_out' section");
  } else {
    const Mapping scale_out = root.map("scale_out");
    scale_out.expect_only({"nic_bandwidth", "rails", "spines", "oversubscription",
                           "gpu_nic_latency", "nic_leaf_latency", "leaf_spine_latency"});
    ScaleOutDescription out;
    out.nic_bandwidth_bytes_per_second = bandwidth(scale_out, "nic_bandwidth");
    out.rails = positive_count(scale_out, "rails", gpus_per_domain);
    if (gpus_per_domain % out.rails != 0)
      scale_out.fail("rails",
                     "must divide the GPUs per domain (" + std::to_string(gpus_per_domain) + ")");
    out.spines = positive_count(scale_out, "spines");
    out.oversubscription = scale_out.number_or("oversubscription", 1.0);
    if (!(out.oversubscription >= 1.0 && out.oversubscription <= 1e6))
      scale_out.fail("oversubscription",
                     "must be a ratio from 1 to 1,000,000 (downlink : uplink bandwidth)");
    out.gpu_nic_latency = non_negative_duration(scale_out, "gpu_nic_latency");
    out.nic_leaf_latency = non_negative_duration(scale_out, "nic_leaf_latency");
    out.leaf_spine_latency = non_negative_duration(scale_out, "leaf_spine_latency");
    cluster.scale_out = out;
  }
  cluster.message_overhead = read_overheads(root);
  cluster.pxn = root.boolean_or("pxn", false);
  // Refuse a cluster too large to build before building any of it, at the key that drives it.
  if (const std::string problem = fabric_size_problem(cluster_size(cluster)); !problem.empty()) {
    const std::uint64_t gpus = std::uint64_t{cluster.servers} * cluster.gpus_per_server;
    if (cluster.scale_out &&
        std::uint64_t{cluster.scale_out->rails} * cluster.scale_out->spines > gpus)
      root.map("scale_out").fail("spines", "the fabric is too large: " + problem);
    const bool domains_drive = cluster.servers >= cluster.gpus_per_server || domains_key == "racks";
    root.fail(domains_drive ? domains_key : "gpus_per_server",
              "the fabric is too large: " + problem);
  }
  if (cluster.scale_out) {
    const ScaleOutDescription& out = *cluster.scale_out;
    const double leaf_spine = static_cast<double>(cluster.servers) * gpus_per_domain / out.rails *
                              out.nic_bandwidth_bytes_per_second / out.oversubscription /
                              out.spines;
    if (leaf_spine < kMinBandwidth)
      root.map("scale_out")
          .fail("oversubscription",
                "each leaf-spine link would get " + std::to_string(leaf_spine) +
                    " B/s (a leaf's NIC bandwidth / oversubscription / spines), below 1 MB/s");
  }
  try {
    return build_cluster(cluster);
  } catch (const std::invalid_argument& error) {
    root.fail(error.what());
  }
}

Fabric build_nvl72(const Mapping& root) {
  root.expect_only(
      {"source", "notes", "name", "kind", "racks", "scale_up", "scale_out", "overheads", "pxn"});
  constexpr std::uint32_t kGpusPerRack = 72;  // system.gb200_nvl72 / system.gb300_nvl72: gpus 72
  return build_domains(root, "racks", kGpusPerRack);
}

Fabric build_hgx(const Mapping& root) {
  root.expect_only({"source", "notes", "name", "kind", "servers", "gpus_per_server", "scale_up",
                    "scale_out", "overheads", "pxn"});
  // hw.h100_sxm / hw.h200_sxm / hw.b200_sxm: scale_up_domain 8; smaller values serve tiny test
  // fabrics.
  return build_domains(root, "servers", positive_count(root, "gpus_per_server", 8));
}

VertexKind parse_kind(const Mapping& map, std::string_view key) {
  const std::string text = map.string(key);
  for (VertexKind kind : {VertexKind::Gpu, VertexKind::ScaleUpSwitch, VertexKind::Nic,
                          VertexKind::LeafSwitch, VertexKind::SpineSwitch})
    if (text == to_string(kind)) return kind;
  map.fail(key, "unknown vertex kind '" + text +
                    "' (expected gpu, scale-up-switch, nic, leaf-switch, spine-switch)");
}

LinkTier parse_tier(const Mapping& map, std::string_view key) {
  const std::string text = map.string(key);
  for (LinkTier tier : kLinkTiers)
    if (text == to_string(tier)) return tier;
  map.fail(key, "unknown link tier '" + text + "' (expected scale-up, scale-out, core)");
}

struct VertexGroup {
  std::string name;
  VertexId first = 0;
  std::uint32_t count = 0;
};

// Generic: groups of vertices (`count` copies named NAME0..NAME{count-1}, or NAME if count is 1)
// and groups of links between groups: equal-sized groups are joined element by element, a single
// vertex to every member.
Fabric build_generic(const Mapping& root) {
  root.expect_only({"source", "notes", "name", "kind", "vertices", "links", "overheads", "pxn"});
  FabricBuilder builder(root.string("name"));
  std::vector<VertexGroup> groups;
  std::uint32_t next_domain = 0;
  bool seen_non_gpu = false;
  // Counted before anything is created, so a file whose counts (or aliases) multiply into an
  // enormous fabric is refused at the key that crosses the limit.
  FabricSize size;
  auto check_size = [&](const Mapping& entry, std::string_view key) {
    if (const std::string problem = fabric_size_problem(size); !problem.empty())
      entry.fail(key, "the fabric is too large: " + problem);
  };
  for (const Mapping& entry : root.maps("vertices")) {
    entry.expect_only({"name", "kind", "count", "domain_size"});
    VertexGroup group{entry.string("name"), static_cast<VertexId>(builder.vertex_count()),
                      positive_count(entry, "count", 1)};
    size.vertices += group.count;
    if (parse_kind(entry, "kind") == VertexKind::Gpu) size.gpus += group.count;
    check_size(entry, "count");
    for (const VertexGroup& other : groups)
      if (other.name == group.name)
        entry.fail("name", "duplicate vertex group '" + group.name + "'");
    const VertexKind kind = parse_kind(entry, "kind");
    auto member_name = [&](std::uint32_t i) {
      return group.count == 1 ? group.name : group.name + std::to_string(i);
    };
    if (kind == VertexKind::Gpu) {
      if (seen_non_gpu)
        entry.fail("kind", "GPU groups must be listed before every other vertex group");
      const std::uint32_t domain_size = positive_count(entry, "domain_size", group.count);
      for (std::uint32_t i = 0; i < group.count; ++i)
        builder.add_gpu(member_name(i), next_domain + i / domain_size);
      next_domain += (group.count + domain_size - 1) / domain_size;
    } else {
      if (entry.has("domain_size")) entry.fail("domain_size", "only GPU groups have domains");
      seen_non_gpu = true;
      for (std::uint32_t i = 0; i < group.count; ++i) builder.add_vertex(kind, member_name(i));
    }
    groups.push_back(group);
  }
  auto find_group = [&](const Mapping& entry, std::string_view key) -> const VertexGroup& {
    const std::string name = entry.string(key);
    for (const VertexGroup& group : groups)
      if (group.name == name) return group;
    entry.fail(key, "unknown vertex group '" + name + "'");
  };
  // Every link entry is read and counted first, so no link is created for a fabric too large.
  struct LinkGroup {
    const Mapping* entry;
    VertexGroup from, to;
    double bandwidth;
    sim::Picoseconds latency;
    LinkTier tier;
    bool duplex;
  };
  const std::vector<Mapping> link_entries = root.maps("links");
  std::vector<LinkGroup> link_groups;
  for (const Mapping& entry : link_entries) {
    entry.expect_only({"from", "to", "bandwidth", "latency", "tier", "duplex"});
    const VertexGroup& from = find_group(entry, "from");
    const VertexGroup& to = find_group(entry, "to");
    const double link_bandwidth = bandwidth(entry, "bandwidth");
    const sim::Picoseconds latency = non_negative_duration(entry, "latency");
    const LinkTier tier = parse_tier(entry, "tier");
    const bool duplex = entry.boolean_or("duplex", true);
    if (from.count != to.count && from.count != 1 && to.count != 1)
      entry.fail("to", "groups of " + std::to_string(from.count) + " and " +
                           std::to_string(to.count) +
                           " vertices cannot be paired (equal sizes or a single vertex)");
    size.links += std::uint64_t{std::max(from.count, to.count)} * (duplex ? 2 : 1);
    check_size(entry, "from");
    link_groups.push_back({&entry, from, to, link_bandwidth, latency, tier, duplex});
  }
  for (const auto& [entry, from, to, link_bandwidth, latency, tier, duplex] : link_groups) {
    const std::uint32_t pairs = std::max(from.count, to.count);
    try {
      for (std::uint32_t i = 0; i < pairs; ++i) {
        const VertexId a = from.first + (from.count == 1 ? 0 : i);
        const VertexId b = to.first + (to.count == 1 ? 0 : i);
        if (duplex)
          builder.add_duplex_link(a, b, link_bandwidth, latency, tier);
        else
          builder.add_link(a, b, link_bandwidth, latency, tier);
      }
    } catch (const std::invalid_argument& error) {
      entry->fail(error.what());
    }
  }
  return finish(root, builder);
}

}  // namespace

Fabric load_fabric(const input::Mapping& fabric_mapping) {
  const std::string kind = fabric_mapping.string("kind");
  if (kind == "nvl72") return build_nvl72(fabric_mapping);
  if (kind == "hgx") return build_hgx(fabric_mapping);
  if (kind == "generic") return build_generic(fabric_mapping);
  fabric_mapping.fail("kind", "unknown fabric kind '" + kind + "' (expected nvl72, hgx, generic)");
}

Fabric load_fabric_file(const std::string& yaml_path) {
  return load_fabric(input::Mapping::load_file(yaml_path));
}

}  // namespace moesim::topology
