#include "network/export.h"

#include <algorithm>
#include <fstream>
#include <ostream>
#include <stdexcept>

namespace moesim::network {

std::vector<RoutedMessage> route_messages(const Fabric& fabric, std::span<const Message> messages) {
  std::vector<RoutedMessage> routed;
  routed.reserve(messages.size());
  for (const Message& message : messages) {
    RoutedMessage entry;
    entry.message = message;
    fabric.route(message.source, message.destination, message.tag, entry.links);
    entry.timing = route_timing(fabric, entry.links);
    routed.push_back(std::move(entry));
  }
  return routed;
}

void write_flow_export(std::ostream& out, const Fabric& fabric,
                       std::span<const RoutedMessage> messages) {
  // 17 significant digits round-trip a double exactly, so the oracle sees the very same bandwidths.
  out.precision(17);
  out << "moesim-flow-export 1\n";
  out << "fabric " << fabric.name() << '\n';
  out << "gpus " << fabric.gpu_count() << '\n';
  for (LinkId id = 0; id < fabric.link_count(); ++id) {
    const Link& link = fabric.link(id);
    out << "link " << id << ' ' << link.bandwidth_bytes_per_second << ' ' << link.latency.count()
        << ' ' << fabric.vertex_name(link.from) << ' ' << fabric.vertex_name(link.to) << '\n';
  }
  for (const RoutedMessage& entry : messages) {
    const Message& message = entry.message;
    out << "message " << message.tag << ' ' << message.source << ' ' << message.destination << ' '
        << message.bytes << ' ' << message.release.count() << ' ' << entry.timing.overhead.count()
        << ' ' << entry.links.size();
    for (LinkId id : entry.links) out << ' ' << id;
    out << '\n';
  }
  if (!out) throw std::runtime_error("write_flow_export: stream failed");
}

void write_flow_export_file(const std::string& path, const Fabric& fabric,
                            std::span<const RoutedMessage> messages) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  write_flow_export(out, fabric, messages);
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed");
}

}  // namespace moesim::network
