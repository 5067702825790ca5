#pragma once
// Export of a fabric and a set of messages, each with its exact route, as a line-oriented text file
// that an independent simulator can replay: tests/crosscheck/simgrid_oracle.cpp reads it to
// cross-check the flow model.
//
// Format (version 1; '#' starts a comment line; times in integer picoseconds, bandwidth in
// bytes/s; link ids dense from 0), one record per line:
//
//   moesim-flow-export 1
//   fabric NAME
//   gpus COUNT
//   link ID BANDWIDTH_BYTES_PER_SECOND LATENCY_PS FROM_VERTEX_NAME TO_VERTEX_NAME
//   message TAG SOURCE_GPU DESTINATION_GPU BYTES RELEASE_PS OVERHEAD_PS HOPS LINK_1 .. LINK_HOPS
//
// OVERHEAD_PS is Fabric::message_overhead() of the route's highest tier; the route is
// Fabric::route() with the message's tag as flow id, exactly what the network models use.
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "network/network_model.h"
#include "topology/fabric.h"

namespace moesim::network {

struct RoutedMessage {
  Message message{};
  std::vector<LinkId> links;  // in path order
  RouteTiming timing;         // route_timing(fabric, links): overhead, latency, highest tier
};

// Routes every message as the network models do (flow id = tag).
std::vector<RoutedMessage> route_messages(const Fabric& fabric, std::span<const Message> messages);

// Writes the export; throws std::runtime_error if the stream fails.
void write_flow_export(std::ostream& out, const Fabric& fabric,
                       std::span<const RoutedMessage> messages);
void write_flow_export_file(const std::string& path, const Fabric& fabric,
                            std::span<const RoutedMessage> messages);

}  // namespace moesim::network
