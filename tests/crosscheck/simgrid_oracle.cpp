// SimGrid oracle for moesim's flow model: an independent implementation of max-min flow sharing.
//
// Usage: moesim_simgrid_oracle EXPORT_FILE [OUTPUT_FILE]
// Reads a fabric + messages exported by network::write_flow_export (topology/export.h): every
// directed link with its bandwidth and latency, and every message with its source, destination,
// bytes, release time, fixed overhead and its exact list of links. Builds the same platform
// programmatically (one SimGrid link per directed moesim link, one explicit route per message
// path), simulates every message and writes "tag completion_seconds" per message, then a line "#
// wall build_seconds simulate_seconds" (wall-clock time of this process's two stages, for the
// benchmark).
//
// SimGrid is configured as plain max-min sharing so that it computes exactly moesim's model:
//   network/model:CM02           the classic max-min model without LV08's empirical corrections
//   network/latency-factor:1     no latency scaling (latencies are zero in the platform anyway, see
//   below) network/bandwidth-factor:1   a flow may use the full link bandwidth network/weight-S:0
//   no bandwidth-dependent term (weight-S / bandwidth per link) in a flow's weight
//   network/TCP-gamma:0          no TCP window bound (gamma / 2 x latency) on a flow's rate
//   network/crosstraffic:0       no reverse-direction acknowledgement traffic
//   network/optim:Full           recompute every share at every change (no lazy approximation)
// and a fine timing precision (surf/precision) so rounding stays far below the cross-check's 0.1 %
// tolerance.
//
// Latency: CM02 gives a flow the max-min weight 1 / (route latency + weight-S terms) once its
// latency has elapsed (TCP's RTT unfairness: flows with shorter routes get proportionally more
// bandwidth), and SimGrid 3.32 has no option to turn that off while links have latency.
// Zero-latency flows all get weight 1, i.e. plain max-min. So the SimGrid links carry bandwidth
// only, and the driver applies the timing rule itself: a message released at R with fixed overhead
// O and route latency L (the sum of its exported links' latencies) starts transferring at R + O +
// L, which is exactly "overhead, then latency without using bandwidth, then max-min transfer".
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <simgrid/s4u.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace s4u = simgrid::s4u;

struct ExportedLink {
  double bandwidth_bytes_per_second = 0;
  double latency_seconds = 0;
};

struct ExportedMessage {
  std::uint64_t tag = 0;
  std::uint32_t source = 0;
  std::uint32_t destination = 0;
  std::uint64_t bytes = 0;
  double start_seconds = 0;  // release + fixed overhead + route latency
  std::vector<std::uint32_t> links;
};

struct Export {
  std::vector<ExportedLink> links;
  std::vector<ExportedMessage> messages;
};

[[noreturn]] void fail(const std::string& file, int line, const std::string& what) {
  throw std::runtime_error(file + ":" + std::to_string(line) + ": " + what);
}

// Format (see topology/export.h): a header line, then "link ID BANDWIDTH_BYTES_PER_S LATENCY_PS
// FROM TO" lines, then "message TAG SRC DST BYTES RELEASE_PS OVERHEAD_PS N L1 .. LN" lines; '#'
// starts a comment line.
Export read_export(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file + ": cannot open");
  Export data;
  std::string line;
  int line_number = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    if (!header_seen) {
      std::string version;
      fields >> version;
      if (kind != "moesim-flow-export" || version != "1")
        fail(file, line_number, "expected 'moesim-flow-export 1'");
      header_seen = true;
      continue;
    }
    if (kind == "link") {
      std::uint32_t id = 0;
      ExportedLink link;
      std::int64_t latency_ps = 0;
      fields >> id >> link.bandwidth_bytes_per_second >> latency_ps;
      if (!fields || id != data.links.size() || link.bandwidth_bytes_per_second <= 0 ||
          latency_ps < 0)
        fail(file, line_number, "bad link line (ids must be dense, bandwidth > 0, latency >= 0)");
      link.latency_seconds = static_cast<double>(latency_ps) * 1e-12;
      data.links.push_back(link);
    } else if (kind == "message") {
      ExportedMessage message;
      std::int64_t release_ps = 0, overhead_ps = 0;
      std::size_t hops = 0;
      fields >> message.tag >> message.source >> message.destination >> message.bytes >>
          release_ps >> overhead_ps >> hops;
      if (!fields || hops == 0 || message.source == message.destination)
        fail(file, line_number, "bad message line");
      message.links.resize(hops);
      double latency_seconds = 0;
      for (auto& link : message.links) {
        fields >> link;
        if (!fields || link >= data.links.size())
          fail(file, line_number, "bad link id in message route");
        latency_seconds += data.links[link].latency_seconds;
      }
      message.start_seconds =
          static_cast<double>(release_ps + overhead_ps) * 1e-12 + latency_seconds;
      data.messages.push_back(std::move(message));
    } else if (kind != "fabric" && kind != "gpus") {
      fail(file, line_number, "unknown line kind '" + kind + "'");
    }
  }
  if (!header_seen) throw std::runtime_error(file + ": empty export");
  if (data.messages.empty()) throw std::runtime_error(file + ": no messages");
  return data;
}

// (Appending instead of `prefix + std::to_string(n)` avoids a GCC 12 -Wrestrict false positive.)
std::string numbered(std::string prefix, std::size_t number) {
  prefix += std::to_string(number);
  return prefix;
}

void configure_plain_max_min() {
  for (const char* option :
       {"network/model:CM02", "network/latency-factor:1", "network/bandwidth-factor:1",
        "network/weight-S:0", "network/TCP-gamma:0", "network/crosstraffic:0", "network/optim:Full",
        "surf/precision:1e-12", "maxmin/precision:1e-9"}) {
    s4u::Engine::set_config(option);
  }
}

// Hosts are message endpoints. SimGrid's full zone holds one route per (source host, destination
// host), while moesim may route two messages between the same GPUs differently (ECMP by flow id);
// each further distinct path between the same pair gets its own clone of the source host, so every
// message travels exactly its exported links.
class Platform {
 public:
  explicit Platform(const Export& data) : zone_(s4u::create_full_zone("fabric")) {
    links_.reserve(data.links.size());
    for (std::size_t id = 0; id < data.links.size(); ++id) {
      // Bandwidth only: latencies are applied by the driver (see the top of this file).
      links_.push_back(
          zone_->create_link(numbered("l", id), data.links[id].bandwidth_bytes_per_second)->seal());
    }
    endpoints_.reserve(data.messages.size());
    for (const auto& message : data.messages) endpoints_.push_back(endpoints_for(message));
    zone_->seal();
  }

  std::pair<s4u::Host*, s4u::Host*> endpoints(std::size_t message_index) const {
    return endpoints_[message_index];
  }

 private:
  s4u::Host* gpu_host(std::uint32_t gpu) {
    auto [it, inserted] = gpu_hosts_.try_emplace(gpu, nullptr);
    if (inserted) it->second = zone_->create_host(numbered("gpu", gpu), 1e9);
    return it->second;
  }

  std::pair<s4u::Host*, s4u::Host*> endpoints_for(const ExportedMessage& message) {
    s4u::Host* destination = gpu_host(message.destination);
    auto& paths = paths_[{message.source, message.destination}];
    for (const auto& [path, source] : paths)
      if (path == message.links) return {source, destination};
    s4u::Host* source =
        paths.empty() ? gpu_host(message.source)
                      : zone_->create_host(
                            numbered(numbered("gpu", message.source) + "_path", paths.size()), 1e9);
    std::vector<s4u::LinkInRoute> route;
    route.reserve(message.links.size());
    for (std::uint32_t id : message.links) route.emplace_back(links_[id]);
    zone_->add_route(source->get_netpoint(), destination->get_netpoint(), nullptr, nullptr, route,
                     false);
    paths.emplace_back(message.links, source);
    return {source, destination};
  }

  s4u::NetZone* zone_;
  std::vector<s4u::Link*> links_;
  std::map<std::uint32_t, s4u::Host*> gpu_hosts_;
  std::map<std::pair<std::uint32_t, std::uint32_t>,
           std::vector<std::pair<std::vector<std::uint32_t>, s4u::Host*>>>
      paths_;
  std::vector<std::pair<s4u::Host*, s4u::Host*>> endpoints_;
};

// One driver actor starts every message at its start time (messages sorted by start), then waits
// for all of them.
void drive(const Export& data, const Platform& platform, std::vector<s4u::CommPtr>& comms) {
  std::vector<std::size_t> order(data.messages.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return data.messages[a].start_seconds < data.messages[b].start_seconds;
  });
  comms.resize(data.messages.size());
  for (std::size_t index : order) {
    const auto& message = data.messages[index];
    // Starts closer than SimGrid's timing precision to the clock count as now (SimGrid would ignore
    // the sleep).
    if (message.start_seconds - s4u::Engine::get_clock() > 1e-12)
      s4u::this_actor::sleep_until(message.start_seconds);
    auto [source, destination] = platform.endpoints(index);
    comms[index] = s4u::Comm::sendto_async(source, destination, message.bytes);
  }
  s4u::Comm::wait_all(comms);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2 || argc > 3) {
      std::fprintf(stderr, "usage: %s EXPORT_FILE [OUTPUT_FILE]\n", argv[0]);
      return 2;
    }
    const std::string export_file = argv[1];
    const std::string output_file = argc == 3 ? argv[2] : "";
    const auto build_begin = std::chrono::steady_clock::now();
    const Export data = read_export(export_file);
    // Configuration changes are logged at INFO level; keep SimGrid's output to warnings and errors.
    std::string log_option = "--log=xbt_cfg.thres:warning";
    std::vector<char*> engine_argv{argv[0], log_option.data(), nullptr};
    int engine_argc = 2;
    s4u::Engine engine(&engine_argc, engine_argv.data());
    configure_plain_max_min();
    const Platform platform(data);
    std::vector<s4u::CommPtr> comms;
    s4u::Actor::create("driver", platform.endpoints(0).first,
                       [&] { drive(data, platform, comms); });
    const auto simulate_begin = std::chrono::steady_clock::now();
    engine.run();
    const auto simulate_end = std::chrono::steady_clock::now();

    std::ostringstream out;
    out.precision(17);
    for (std::size_t i = 0; i < data.messages.size(); ++i)
      out << data.messages[i].tag << ' ' << comms[i]->get_finish_time() << '\n';
    out << "# wall " << std::chrono::duration<double>(simulate_begin - build_begin).count() << ' '
        << std::chrono::duration<double>(simulate_end - simulate_begin).count() << '\n';
    if (output_file.empty()) {
      std::fputs(out.str().c_str(), stdout);
    } else {
      std::ofstream file(output_file);
      file << out.str();
      if (!file) throw std::runtime_error(output_file + ": cannot write");
    }
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "moesim_simgrid_oracle: %s\n", error.what());
    return 1;
  }
}
