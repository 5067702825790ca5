// `moesim` / `moesim claim`: the 260x claim, its arithmetic, and moesim's own simulation of the case.
#include <fmt/format.h>

#include <ostream>

#include "tools/moesim/claim.h"
#include "tools/moesim/cli.h"
#include "tools/moesim/paths.h"
#include "tools/moesim/text.h"
#include "topology/config.h"

namespace moesim::cli {

namespace {

std::string us(double seconds, int decimals = 2) { return with_commas(seconds * 1e6, decimals) + " us"; }
std::string percent_difference(double computed, double stated) {
  return fmt::format("{:+.2f} %", 100.0 * (computed - stated) / stated);
}

void print_article(std::ostream& out, const ArticleClaim& a) {
  out << "(a) The claim — " << a.source << "\n";
  Table table({"", "GB200 NVL72", fmt::format("{:.0f}x HGX H200 (InfiniBand)", a.servers), "ratio"});
  table.add_row({"fabric bandwidth (aggregate)", fmt::format("{:g} TB/s", a.nvl72_aggregate_bytes_per_second / 1e12),
                 fmt::format("{:g} TB/s", a.h200_aggregate_bytes_per_second / 1e12),
                 fmt::format("{:g}x", a.stated_bandwidth_ratio)});
  table.add_row({"all-to-all per decode layer", us(a.stated_nvl72_layer_seconds, 1), us(a.stated_h200_layer_seconds, 0),
                 fmt::format("{:g}x", a.stated_ratio)});
  table.add_row({"per-user tokens/s", "1", fmt::format("1/{:g} .. 1/{:g}", a.stated_tps_ratio_low, a.stated_tps_ratio_high),
                 fmt::format("{:g}x .. {:g}x", a.stated_tps_ratio_low, a.stated_tps_ratio_high)});
  out << table.render("    ");
  out << fmt::format("    case: DeepSeek-V3 decode, batch {:g} per GPU, EP{:g}, one MoE layer's dispatch + combine\n\n",
                     a.tokens_per_gpu, a.gpus);
}

void print_arithmetic(std::ostream& out, const ClaimInputs& inputs, const ClaimArithmetic& r) {
  const ArticleClaim& a = inputs.article;
  out << "(b) The claim's arithmetic, reproduced\n";
  out << fmt::format("    bytes  = {:g} GPUs x {:g} tokens x {:g} experts (8 routed + 1 shared) x {:g} hidden x {:g} B"
                     " (1 B FP8 dispatch + 2 B BF16 combine)\n"
                     "           = {} B ({:.3f} GB), the whole cluster's traffic of one layer\n",
                     a.gpus, a.tokens_per_gpu, a.experts_per_token, a.hidden_size, a.bytes_per_element,
                     with_commas(r.total_bytes), r.total_bytes / 1e9);
  out << fmt::format("    NVL72  = bytes / {:g} TB/s                  = {}   (article {}: {})\n",
                     a.nvl72_aggregate_bytes_per_second / 1e12, us(r.nvl72_seconds, 3),
                     us(a.stated_nvl72_layer_seconds, 1), percent_difference(r.nvl72_seconds, a.stated_nvl72_layer_seconds));
  out << fmt::format("    H200   = bytes / ({:g} TB/s / {:g} servers)    = {} (article {}: {})\n",
                     a.h200_aggregate_bytes_per_second / 1e12, a.servers, us(r.h200_seconds, 1),
                     us(a.stated_h200_layer_seconds, 0), percent_difference(r.h200_seconds, a.stated_h200_layer_seconds));
  out << fmt::format("    ratio  = {} / {} = {:.1f}x  (= {:g} servers x {:g}/{:g} TB/s: the 260x is 9x the 29x)\n",
                     us(r.h200_seconds, 1), us(r.nvl72_seconds, 3), r.ratio, a.servers,
                     a.nvl72_aggregate_bytes_per_second / 1e12, a.h200_aggregate_bytes_per_second / 1e12);
  out << fmt::format(
      "    1,791 us exactly needs {:.2f} GB/s per server ({:.4f} TB/s aggregate), not 4.5 TB/s / 9 = {:.0f} GB/s;\n"
      "    the article's own \"{:g}x\" does it: bytes / (130 TB/s / {:g} / {:g}) = {} (rounds to 1,790; within {:.2f} %).\n",
      r.per_server_bytes_per_second_for_stated_h200 / 1e9, r.aggregate_bytes_per_second_for_stated_h200 / 1e12,
      a.h200_aggregate_bytes_per_second / a.servers / 1e9, a.stated_bandwidth_ratio, a.stated_bandwidth_ratio, a.servers,
      us(r.h200_seconds_with_stated_bandwidth_ratio, 2),
      100.0 * std::abs(r.h200_seconds_with_stated_bandwidth_ratio - a.stated_h200_layer_seconds) / a.stated_h200_layer_seconds);
  const DeepSeekArithmetic& d = inputs.deepseek;
  out << fmt::format("\n    DeepSeek's own arithmetic ({}):\n", d.source);
  out << fmt::format("    ({:g} B) x {:g} tokens x {:g} experts x {:g} hidden = {} B; / {:g} GB/s = {} (stated {}),"
                     " / {:g} GB/s = {} (stated {}): {:.0f}x\n",
                     d.bytes_per_element, d.tokens, d.experts_per_token, d.hidden_size, with_commas(r.deepseek_bytes),
                     d.infiniband_bytes_per_second / 1e9, us(r.deepseek_infiniband_seconds), us(d.stated_infiniband_seconds),
                     d.nvlink_bytes_per_second / 1e9, us(r.deepseek_nvlink_seconds), us(d.stated_nvlink_seconds),
                     r.deepseek_ratio);
  out << "    It divides one GPU's traffic by that GPU's own link, per direction — not a cluster's traffic by a\n"
         "    share of the aggregate.\n";
  const PerGpuLinks& l = inputs.links;
  out << "\n    The same case per GPU and per direction (bandwidth only, routed experts only, uniform routing):\n";
  out << fmt::format("    per GPU {:g} tokens x {:g} routed experts x {:g} x {:g} B = {} B, of which {:.1f} % leaves the GPU"
                     " (NVL72) / {:.1f} % leaves the server (H200)\n",
                     a.tokens_per_gpu, l.routed_experts_per_token, a.hidden_size, a.bytes_per_element,
                     with_commas(r.per_gpu_routed_bytes), 100 * r.nvl72_remote_fraction, 100 * r.h200_remote_fraction);
  out << fmt::format("    NVL72 over {:g} GB/s NVLink = {};  H200 over one {:g} GB/s NIC = {};  ratio {:.1f}x\n\n",
                     l.nvl72_nvlink_bytes_per_second / 1e9, us(r.nvl72_per_gpu_seconds), l.h200_nic_bytes_per_second / 1e9,
                     us(r.h200_per_gpu_seconds, 1), r.per_gpu_ratio);
}

int run_claim(const ParsedArgs& args, CommandContext& context) {
  const std::string file = args.positional.empty()
                               ? configs_directory(context) + "/scenarios/claim-260x.yaml"
                               : args.positional.front();
  const config::ConfigMap claim_file = config::ConfigMap::load_file(file);
  claim_file.expect_only({"source", "notes", "article", "deepseek", "per_gpu", "scenarios"});
  const ClaimInputs inputs = load_claim_inputs(claim_file);
  const ClaimArithmetic arithmetic = reproduce_claim(inputs);
  std::ostream& out = context.out;
  out << "moesim: the \"260x\" claim (" << file << ")\n\n";
  print_article(out, inputs.article);
  print_arithmetic(out, inputs, arithmetic);
  return 0;
}

}  // namespace

extern const CommandSpec claim_command{
    .name = "claim",
    .summary = "the 260x claim: the article, its arithmetic reproduced, and moesim's simulation (the default)",
    .usage = "[CLAIM.yaml]",
    .description =
        "Reads configs/scenarios/claim-260x.yaml (or the file given) and prints (a) the article's figures,\n"
        "(b) the arithmetic that produces them and DeepSeek's own ISCA'25 arithmetic, and (c) moesim's\n"
        "simulation of the same case on GB200 NVL72 and on nine HGX H200 servers, in both dispatch modes.",
    .options = {},
    .min_positional = 0,
    .max_positional = 1,
    .run = run_claim,
};

}  // namespace moesim::cli
