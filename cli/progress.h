#pragma once
// A progress line on stderr for work that may last more than a few seconds (simulations, PHOLD),
// so that a long run never looks hung. Silent for the first 2 s; then, on a terminal, one line
// redrawn every second ("simulating X: 42 % (8 s, about 11 s left)"); otherwise a log line at
// every further 10 % and at least once a minute. Sweeps draw their own bar (cli/sweep.h).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scenario/run.h"

namespace moesim::cli {

class ProgressLine {
 public:
  // Reports `done` (counted up by the work, from any thread) out of `total` until destroyed.
  ProgressLine(std::string what, std::uint64_t total, const std::atomic<std::uint64_t>& done);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void watch();

  std::string what_;
  std::uint64_t total_;
  const std::atomic<std::uint64_t>& done_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

// scenario::simulate_all with a progress line ("simulating WHAT").
std::vector<scenario::RunResult> simulate_with_progress(
    const std::string& what, const std::vector<const scenario::Scenario*>& scenarios);
// scenario::simulate of one scenario with a progress line.
scenario::RunResult simulate_with_progress(const scenario::Scenario& scenario,
                                           bool record_timeline);

}  // namespace moesim::cli
