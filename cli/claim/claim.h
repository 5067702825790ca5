#pragma once
// The "260x" claim and the arithmetic behind it.
//
// A March 2026 article ("Small by Design or by Default?", jasonandjarvis.org) states that one
// decode layer's expert-parallel all-to-all for DeepSeek-V3 at batch 64 per GPU, EP72, takes
// about 6.9 us on a GB200 NVL72 (130 TB/s aggregate NVLink) and about 1,791 us across nine H200
// servers over InfiniBand (about 4.5 TB/s aggregate): 260x. Its numbers follow from one division
// each:
//
//   bytes = GPUs x tokens per GPU x experts per token (8 routed + 1 shared) x hidden x bytes per
//   element
//         = 72 x 64 x 9 x 7168 x (1 B FP8 dispatch + 2 B BF16 combine) = 891,813,888 B
//   NVL72 = bytes / 130 TB/s                 = 6.86 us
//   H200  = bytes / (4.5 TB/s / 9 servers)   = 1,783.6 us   (the article prints 1,791 us)
//   ratio = 9 x 130 / 4.5                     = 260
//
// i.e. the whole cluster's traffic is pushed through the *aggregate bidirectional* NVLink bandwidth
// on one side and through *one server's share* of the InfiniBand bandwidth on the other. This
// header computes those figures from the values in configs/scenarios/claim-260x.yaml (so tests can
// check them exactly) and the per-GPU, per-direction bandwidth-only version of the same case for
// comparison.
#include <string>

namespace moesim::input {
class Mapping;
}

namespace moesim::cli {

// The article's figures and the inputs of its arithmetic (section `article:` of claim-260x.yaml).
struct ArticleClaim {
  std::string source;
  double gpus = 0;                              // 72 (EP72)
  double tokens_per_gpu = 0;                    // 64 (batch 64 per GPU)
  double experts_per_token = 0;                 // 9 = 8 routed + 1 shared
  double hidden_size = 0;                       // 7168
  double bytes_per_element = 0;                 // 3 = 1 (FP8 dispatch) + 2 (BF16 combine)
  double servers = 0;                           // 9 H200 servers
  double nvl72_aggregate_bytes_per_second = 0;  // 130 TB/s
  double h200_aggregate_bytes_per_second = 0;   // 4.5 TB/s
  double stated_bandwidth_ratio = 0;            // "29x"
  double stated_nvl72_layer_seconds = 0;        // 6.9 us
  double stated_h200_layer_seconds = 0;         // 1,791 us
  double stated_ratio = 0;                      // 260
  double stated_tps_ratio_low = 0, stated_tps_ratio_high = 0;  // H200 per-user TPS is 1/2 .. 1/5
};

// DeepSeek's own bandwidth-only arithmetic (ISCA'25 "Insights into DeepSeek-V3", section
// `deepseek:`).
struct DeepSeekArithmetic {
  std::string source;
  double bytes_per_element = 0;  // 1 + 2
  double tokens = 0;             // 32
  double experts_per_token = 0;  // 9
  double hidden_size = 0;        // "7K" = 7000 (reproduces 120.96 us exactly; 7168 gives 123.86 us)
  double infiniband_bytes_per_second = 0;  // 50 GB/s (400 Gb/s)
  double nvlink_bytes_per_second = 0;      // 900 GB/s per direction (GB200)
  double stated_infiniband_seconds = 0;    // 120.96 us
  double stated_nvlink_seconds = 0;        // 6.72 us
  double stated_ratio = 0;                 // 18
};

// Per-GPU, per-direction hardware of the same case, used for the corrected bandwidth-only
// arithmetic.
struct PerGpuLinks {
  double nvl72_nvlink_bytes_per_second = 0;  // 900 GB/s per direction per GPU (hw.gb200)
  double h200_nic_bytes_per_second = 0;      // 50 GB/s per direction (one 400 Gb/s CX7 per GPU)
  double h200_gpus_per_server = 0;           // 8
  double routed_experts_per_token = 0;       // 8: the shared expert runs locally, nothing crosses
};

struct ClaimInputs {
  ArticleClaim article;
  DeepSeekArithmetic deepseek;
  PerGpuLinks links;
};

ClaimInputs load_claim_inputs(const input::Mapping& claim_file);

struct ClaimArithmetic {
  double total_bytes = 0;      // 891,813,888
  double nvl72_seconds = 0;    // bytes / 130 TB/s
  double h200_seconds = 0;     // bytes / (4.5 TB/s / 9)
  double ratio = 0;            // h200 / nvl72 = servers x 130 / 4.5
  double bandwidth_ratio = 0;  // 130 / 4.5
  // The per-server bandwidth (and the aggregate) that reproduces the article's 1,791 us exactly,
  // and the time that 130 TB/s / 29 (the article's own "29x") per 9 servers gives.
  double per_server_bytes_per_second_for_stated_h200 = 0;
  double aggregate_bytes_per_second_for_stated_h200 = 0;
  double h200_seconds_with_stated_bandwidth_ratio = 0;
  // DeepSeek's arithmetic.
  double deepseek_bytes = 0;
  double deepseek_infiniband_seconds = 0;
  double deepseek_nvlink_seconds = 0;
  double deepseek_ratio = 0;
  // Per GPU, per direction, routed experts only, remote destinations only (uniform routing).
  double per_gpu_routed_bytes = 0;   // tokens x routed experts x hidden x bytes per element
  double nvl72_remote_fraction = 0;  // 71/72 of a GPU's traffic leaves it
  double h200_remote_fraction = 0;   // 64/72 leaves the server
  double nvl72_per_gpu_seconds = 0;
  double h200_per_gpu_seconds = 0;
  double per_gpu_ratio = 0;
  // ratio / per_gpu_ratio = servers x bidirectional_factor x infiniband_aggregate_factor x
  // same_server_factor exactly (the shared expert's 9/8 cancels on both sides):
  //   260 / 16.225 = 9 x (130 / 64.8) x (3.6 / 4.5) x (71 / 64) = 9 x 2.006 x 0.8 x 1.109 = 16.02
  double bidirectional_factor = 0;         // NVL72 aggregate / (GPUs x per-direction NVLink)
  double infiniband_aggregate_factor = 0;  // (GPUs x NIC per direction) / stated IB aggregate
  double same_server_factor = 0;           // nvl72_remote_fraction / h200_remote_fraction
};

ClaimArithmetic reproduce_claim(const ClaimInputs& inputs);

}  // namespace moesim::cli
