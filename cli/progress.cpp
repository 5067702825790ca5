#include "cli/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace moesim::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kQuiet = std::chrono::seconds(2);
constexpr auto kRedraw = std::chrono::seconds(1);
constexpr auto kHeartbeat = std::chrono::seconds(60);

std::string duration_text(double seconds) {
  if (seconds < 120) return fmt::format("{:.0f} s", seconds);
  if (seconds < 7200) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

}  // namespace

ProgressLine::ProgressLine(std::string what, std::uint64_t total,
                           const std::atomic<std::uint64_t>& done)
    : what_(std::move(what)), total_(std::max<std::uint64_t>(total, 1)), done_(done) {
  thread_ = std::thread([this] { watch(); });
}

ProgressLine::~ProgressLine() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ProgressLine::watch() {
  const bool terminal = ::isatty(2) == 1;
  const auto started = Clock::now();
  auto last_line = started;
  int last_decile = 0;
  std::unique_lock lock(mutex_);
  if (wake_.wait_for(lock, kQuiet, [this] { return stopping_; })) return;
  while (true) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    const double fraction =
        std::min(1.0, static_cast<double>(done_.load(std::memory_order_relaxed)) /
                          static_cast<double>(total_));
    std::string text =
        fmt::format("{}: {:.0f} % ({}", what_, 100 * fraction, duration_text(elapsed));
    if (fraction > 0.01)
      text += fmt::format(", about {} left", duration_text(elapsed * (1 - fraction) / fraction));
    text += ")";
    const int decile = static_cast<int>(fraction * 10);
    if (terminal) {
      std::fprintf(stderr, "\r%s\033[K", text.c_str());
      std::fflush(stderr);
      drawn_ = true;
    } else if (decile > last_decile || Clock::now() - last_line >= kHeartbeat) {
      spdlog::info("{}", text);
      last_line = Clock::now();
      last_decile = std::max(last_decile, decile);
    }
    if (wake_.wait_for(lock, kRedraw, [this] { return stopping_; })) break;
  }
  if (drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

std::vector<scenario::RunResult> simulate_with_progress(
    const std::string& what, const std::vector<const scenario::Scenario*>& scenarios) {
  std::uint64_t total = 0;
  for (const scenario::Scenario* s : scenarios) total += scenario::progress_units(*s);
  std::atomic<std::uint64_t> done{0};
  const ProgressLine line(fmt::format("simulating {}", what), total, done);
  return scenario::simulate_all(scenarios, 0, &done);
}

scenario::RunResult simulate_with_progress(const scenario::Scenario& scenario,
                                           bool record_timeline) {
  std::atomic<std::uint64_t> done{0};
  const ProgressLine line(fmt::format("simulating {}", scenario.name),
                          scenario::progress_units(scenario), done);
  scenario::RunOptions options;
  options.record_timeline = record_timeline;
  options.progress = &done;
  return scenario::simulate(scenario, options);
}

}  // namespace moesim::cli
