#pragma once
// Deterministic Nelder-Mead minimisation for the calibration fits (few parameters, smooth
// objectives): restarted from its own best point until a restart no longer improves.
#include <functional>
#include <vector>

namespace moesim::calibration {

struct Minimum {
  std::vector<double> x;
  double value = 0;
};

// Minimises f from x0; `steps` are the initial simplex offsets per coordinate (0 = 10 % of |x0|,
// or 0.1 where x0 is 0). Return +infinity from f for points outside the domain.
Minimum minimize(const std::function<double(const std::vector<double>&)>& f, std::vector<double> x0,
                 std::vector<double> steps = {}, int max_iterations = 4000, int restarts = 6);

}  // namespace moesim::calibration
