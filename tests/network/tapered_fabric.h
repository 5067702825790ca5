#pragma once
// A small HGX fabric whose spines are 3:1 oversubscribed, so that random traffic finds bottlenecks
// in every tier (NVLink, NICs, the core): the flow model's tests compare solvers on it.
namespace moesim::network::testing {

inline constexpr const char* kTaperedFabric = R"(
name: tapered-3x4
kind: hgx
servers: 3
gpus_per_server: 4
scale_up: {bandwidth: 200 GB/s, link_latency: 0.2 us}
scale_out: {nic_bandwidth: 400 Gb/s, rails: 4, spines: 2, oversubscription: 3, gpu_nic_latency: 0 us,
            nic_leaf_latency: 0.2 us, leaf_spine_latency: 0.4 us}
overheads: {scale_up: 2 us, scale_out: 2.5 us, core: 2.5 us}
)";

}  // namespace moesim::network::testing
