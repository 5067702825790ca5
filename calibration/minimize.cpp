#include "calibration/minimize.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace moesim::calibration {

namespace {

Minimum nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                    const std::vector<double>& x0, const std::vector<double>& steps,
                    int max_iterations) {
  const std::size_t n = x0.size();
  std::vector<std::vector<double>> points(n + 1, x0);
  for (std::size_t i = 0; i < n; ++i) points[i + 1][i] += steps[i];
  std::vector<double> values(n + 1);
  for (std::size_t i = 0; i <= n; ++i) values[i] = f(points[i]);
  std::vector<std::size_t> order(n + 1);
  auto point = [&](const std::vector<double>& centre, const std::vector<double>& worst, double t) {
    std::vector<double> x(n);
    for (std::size_t j = 0; j < n; ++j) x[j] = centre[j] + t * (worst[j] - centre[j]);
    return x;
  };
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    std::vector<std::vector<double>> sorted_points(n + 1);
    std::vector<double> sorted_values(n + 1);
    for (std::size_t i = 0; i <= n; ++i) {
      sorted_points[i] = points[order[i]];
      sorted_values[i] = values[order[i]];
    }
    points.swap(sorted_points);
    values.swap(sorted_values);
    if (std::abs(values[n] - values[0]) <= 1e-13 * (std::abs(values[0]) + 1e-30)) break;
    std::vector<double> centre(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) centre[j] += points[i][j] / static_cast<double>(n);
    const std::vector<double> reflected = point(centre, points[n], -1.0);
    const double fr = f(reflected);
    if (fr < values[0]) {
      const std::vector<double> expanded = point(centre, points[n], -2.0);
      const double fe = f(expanded);
      if (fe < fr) {
        points[n] = expanded;
        values[n] = fe;
      } else {
        points[n] = reflected;
        values[n] = fr;
      }
    } else if (fr < values[n - 1]) {
      points[n] = reflected;
      values[n] = fr;
    } else {
      const std::vector<double> contracted = point(centre, points[n], 0.5);
      const double fc = f(contracted);
      if (fc < values[n]) {
        points[n] = contracted;
        values[n] = fc;
      } else {
        for (std::size_t i = 1; i <= n; ++i) {
          for (std::size_t j = 0; j < n; ++j)
            points[i][j] = points[0][j] + 0.5 * (points[i][j] - points[0][j]);
          values[i] = f(points[i]);
        }
      }
    }
  }
  const auto best = std::min_element(values.begin(), values.end()) - values.begin();
  return {points[static_cast<std::size_t>(best)], values[static_cast<std::size_t>(best)]};
}

}  // namespace

Minimum minimize(const std::function<double(const std::vector<double>&)>& f, std::vector<double> x0,
                 std::vector<double> steps, int max_iterations, int restarts) {
  if (steps.size() != x0.size()) {
    steps.assign(x0.size(), 0.0);
    for (std::size_t i = 0; i < x0.size(); ++i) steps[i] = x0[i] != 0 ? 0.1 * std::abs(x0[i]) : 0.1;
  }
  if (x0.empty()) return {x0, f(x0)};
  Minimum best{x0, f(x0)};
  for (int restart = 0; restart < restarts; ++restart) {
    Minimum next = nelder_mead(f, best.x, steps, max_iterations);
    const bool improved = next.value < best.value - 1e-14 * (std::abs(best.value) + 1e-30);
    if (next.value <= best.value) best = std::move(next);
    if (!improved) break;
    // Fresh simplex around the new best point.
    for (std::size_t i = 0; i < best.x.size(); ++i)
      steps[i] = best.x[i] != 0 ? 0.1 * std::abs(best.x[i]) : 0.1;
  }
  return best;
}

}  // namespace moesim::calibration
