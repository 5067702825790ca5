#include "calibration/compute_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "calibration/minimize.h"
#include "input/mapping.h"
#include "sim/rng.h"
#include "workloads/model.h"

namespace moesim::calibration {

namespace {

// ---- fitting ----

// Parameters as fitted (time constants in us / ns, inverse fractions), to and from costs.
std::vector<double> to_vector(ComputeOperation op, const workloads::ComputeCosts& c) {
  switch (op) {
    case ComputeOperation::AttentionModule:
      return {c.attention.fixed_seconds * 1e6, 1 / c.attention.projection_flops_fraction,
              1 / c.attention.kv_bandwidth_fraction, 1 / c.attention.attention_flops_fraction,
              c.attention.seconds_per_context_token * 1e9};
    case ComputeOperation::RoutedExperts:
      return {c.experts.fixed_seconds * 1e6, 1 / c.experts.bandwidth_fraction,
              1 / c.experts.flops_fraction, c.experts.seconds_per_local_expert * 1e6,
              c.experts.norm_exponent};
    case ComputeOperation::DenseGemm:
      return {c.gemm.fixed_seconds * 1e6, c.gemm.seconds_per_reduction_element * 1e9,
              1 / c.gemm.bandwidth_fraction, 1 / c.gemm.flops_fraction};
  }
  return {};
}

bool from_vector(ComputeOperation op, const std::vector<double>& x, workloads::ComputeCosts& c) {
  for (double v : x)
    if (!(v >= 0) || !std::isfinite(v)) return false;
  switch (op) {
    case ComputeOperation::AttentionModule:
      if (x[1] <= 0 || x[2] <= 0 || x[3] <= 0) return false;
      c.attention = {x[0] * 1e-6, 1 / x[1], 1 / x[2], 1 / x[3], x[4] * 1e-9};
      return true;
    case ComputeOperation::RoutedExperts:
      if (x[1] <= 0 || x[2] <= 0 || x[4] < 1 || x[4] > 50) return false;
      c.experts = {x[0] * 1e-6, x[3] * 1e-6, 1 / x[1], 1 / x[2], x[4], kExpertTileRows};
      return true;
    case ComputeOperation::DenseGemm:
      if (x[2] <= 0 || x[3] <= 0) return false;
      c.gemm = {x[0] * 1e-6, x[1] * 1e-9, 1 / x[2], 1 / x[3]};
      return true;
  }
  return false;
}

workloads::ComputeCosts start_costs(ComputeOperation op) {
  workloads::ComputeCosts c;
  switch (op) {
    case ComputeOperation::AttentionModule:
      c.attention = {60e-6, 0.4, 0.75, 0.75, 1e-9};
      break;
    case ComputeOperation::RoutedExperts:
      c.experts = {20e-6, 0.5e-6, 0.8, 0.6, 2.0, kExpertTileRows};
      break;
    case ComputeOperation::DenseGemm:
      c.gemm = {5e-6, 0.5e-9, 1.0, 0.55};
      break;
  }
  return c;
}

// Fits one operation's parameters on `members` (the generation's flag per point's GPU applies).
workloads::ComputeCosts fit_operation(const ComputeData& data, ComputeOperation op,
                                      const std::vector<std::size_t>& members) {
  workloads::ComputeCosts costs = start_costs(op);
  auto objective = [&](const std::vector<double>& x) {
    workloads::ComputeCosts trial = costs;
    if (!from_vector(op, x, trial)) return std::numeric_limits<double>::infinity();
    double sum = 0;
    for (std::size_t i : members) {
      const ComputePoint& point = data.points[i];
      trial.fp8_kv_attention_at_fp8_peak =
          data.fp8_kv_attention_at_fp8_peak.at(data.gpus[point.gpu].generation);
      const double error =
          (predict_seconds(point, data, trial) - point.measured_seconds) / point.measured_seconds;
      sum += error * error;
    }
    return sum;
  };
  const std::vector<double> x0 = to_vector(op, costs);
  Minimum best{{}, std::numeric_limits<double>::infinity()};
  for (double scale : {1.0, 0.7, 1.4}) {
    std::vector<double> start = x0;
    for (std::size_t i = 1; i < start.size(); ++i) start[i] *= scale;
    Minimum found = minimize(objective, start);
    if (found.value < best.value) best = std::move(found);
  }
  from_vector(op, best.x, costs);
  return costs;
}

}  // namespace

double predict_seconds(const ComputePoint& point, const ComputeData& data,
                       const workloads::ComputeCosts& costs) {
  const workloads::GpuSpec& gpu = data.gpus[point.gpu].spec;
  switch (point.operation) {
    case ComputeOperation::AttentionModule:
      return workloads::attention_seconds(point.work, gpu, point.projection_peak, costs);
    case ComputeOperation::RoutedExperts:
      return workloads::routed_expert_seconds(point.work, gpu, point.expert_peak, costs.experts);
    case ComputeOperation::DenseGemm:
      return workloads::gemm_seconds(point.gemm, gpu, costs.gemm);
  }
  return 0;
}

ComputeFit fit_compute(const ComputeData& data, const std::string& leave_out) {
  ComputeFit fit;
  for (const std::string& generation : data.generations) {
    ComputeGeneration entry;
    entry.costs.generation = generation;
    entry.costs.fp8_kv_attention_at_fp8_peak = data.fp8_kv_attention_at_fp8_peak.at(generation);
    for (const ComputeGpu& gpu : data.gpus)
      if (gpu.generation == generation)
        entry.gpus.push_back({gpu.spec.name, gpu.spec.hbm_bandwidth_bytes_per_second,
                              gpu.spec.bf16_flops_per_second});
    fit.generations.push_back(std::move(entry));
  }
  for (std::size_t o = 0; o < kComputeOperationCount; ++o) {
    const auto op = static_cast<ComputeOperation>(o);
    auto members_of = [&](const std::string& generation) {
      std::vector<std::size_t> members;
      for (std::size_t i = 0; i < data.points.size(); ++i) {
        const ComputePoint& point = data.points[i];
        const ComputeGpu& gpu = data.gpus[point.gpu];
        if (point.operation == op && gpu.key != leave_out &&
            (generation.empty() || gpu.generation == generation))
          members.push_back(i);
      }
      return members;
    };
    auto apply = [&](ComputeGeneration& generation, const workloads::ComputeCosts& costs) {
      switch (op) {
        case ComputeOperation::AttentionModule:
          generation.costs.attention = costs.attention;
          break;
        case ComputeOperation::RoutedExperts:
          generation.costs.experts = costs.experts;
          break;
        case ComputeOperation::DenseGemm:
          generation.costs.gemm = costs.gemm;
          break;
      }
    };
    if (data.shared[o]) {
      const std::vector<std::size_t> members = members_of({});
      if (members.empty()) continue;
      const workloads::ComputeCosts costs = fit_operation(data, op, members);
      for (ComputeGeneration& generation : fit.generations) apply(generation, costs);
      continue;
    }
    // Per generation; a generation without points (left out) takes the closest generation's
    // set: the first one fitted.
    std::optional<workloads::ComputeCosts> first;
    std::vector<ComputeGeneration*> unfitted;
    for (ComputeGeneration& generation : fit.generations) {
      const std::vector<std::size_t> members = members_of(generation.costs.generation);
      if (members.empty()) {
        unfitted.push_back(&generation);
        continue;
      }
      const workloads::ComputeCosts costs = fit_operation(data, op, members);
      apply(generation, costs);
      if (!first) first = costs;
    }
    if (first)
      for (ComputeGeneration* generation : unfitted) apply(*generation, *first);
  }
  return fit;
}

const ComputeGeneration& find_generation(const ComputeFit& fit, const std::string& name) {
  for (const ComputeGeneration& generation : fit.generations)
    if (generation.costs.generation == name) return generation;
  throw std::out_of_range("no fitted compute generation '" + name + "'");
}

ComputeChoice choose_compute_costs(const ComputeFit& fit, const workloads::GpuSpec& gpu) {
  for (const ComputeGeneration& generation : fit.generations)
    for (const ComputeGeneration::Member& member : generation.gpus)
      if (member.name == gpu.name) return {generation.costs, {}};
  const ComputeGeneration* closest = nullptr;
  double best = std::numeric_limits<double>::infinity();
  for (const ComputeGeneration& generation : fit.generations)
    for (const ComputeGeneration::Member& member : generation.gpus) {
      const double bw =
          std::log(gpu.hbm_bandwidth_bytes_per_second / member.hbm_bandwidth_bytes_per_second);
      const double peak = std::log(gpu.bf16_flops_per_second / member.bf16_flops_per_second);
      const double distance = bw * bw + peak * peak;
      if (distance < best) {
        best = distance;
        closest = &generation;
      }
    }
  if (!closest) throw std::out_of_range("no fitted compute generation");
  return {closest->costs, "using " + closest->costs.generation + " measurements for " + gpu.name};
}

}  // namespace moesim::calibration
