// The fast network's error against exact max-min (docs/fast-network.md): every case of the corpus
// (tests/network/fast_network_corpus.h) is simulated with `network: flow` and `network: fast` and
// the relative errors of TPOT and of the per-GPU dispatch and combine p50 and p99 are printed
// against the bounds (2 %, 5 %, 10 %, 5 %, 10 %), with each simulation's CPU seconds.
//
//   fast_network_corpus                         # every case, 2 threads, a markdown table
//   fast_network_corpus --filter hgx-18         # the cases whose name contains "hgx-18"
//   fast_network_corpus --exclude ep288         # all but the cases whose name contains "ep288"
//   fast_network_corpus --layers 8              # simulated MoE layers for every case (default:
//                                               # the case's own, 4 or more; 0 = all 58)
//   fast_network_corpus --exact-cache FILE      # reuse exact results stored in FILE (and add new)
//   fast_network_corpus --set fast_epoch_fraction=0.1   # an override for every case (repeatable)
//   fast_network_corpus --held-out              # the held-out cases instead (held_out())
//   fast_network_corpus --perturb-ns 1         # instead of the fast network, exact max-min with
//                                               # every dispatch 1 ns later: the metrics' own
//                                               # sensitivity (docs/fast-network.md)
//   fast_network_corpus --jobs 1 --list
//
// `--list` prints each case as `moesim run` arguments, so a row can be reproduced by hand with
// --set network=flow and --set network=fast. Exit status 1 if any case is outside the bounds.
#include "tests/network/fast_network_corpus.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace moesim;
using namespace moesim::fast_corpus;

namespace {

struct Result {
  bool done = false;
  std::string error;
  Metrics exact, fast;
  double exact_seconds = 0, fast_seconds = 0;
  bool exact_cached = false;
  Errors errors;
};

// The exact run's identity: the case, its layers and the extra overrides that change it (the fast
// network's own settings do not).
std::string cache_key(const Case& c, std::uint32_t layers, const std::vector<std::string>& extra) {
  std::string key = c.name + " @" + std::to_string(layers);
  for (const std::string& o : extra)
    if (!o.starts_with("fast_")) key += " " + o;
  return key;
}

// FILE: one line per exact run, "KEY|TPOT p50 p99 p50 p99 SECONDS".
std::map<std::string, std::pair<Metrics, double>> read_cache(const std::string& file) {
  std::map<std::string, std::pair<Metrics, double>> cache;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto bar = line.find('|');
    if (bar == std::string::npos) continue;
    std::istringstream values(line.substr(bar + 1));
    Metrics m;
    double seconds = 0;
    for (double& v : m.value) values >> v;
    values >> seconds;
    if (values) cache[line.substr(0, bar)] = {m, seconds};
  }
  return cache;
}

}  // namespace

int main(int argc, char** argv) {
  std::string filter, exclude, cache_file;
  int layers = -1;
  std::vector<std::string> extra;
  unsigned jobs = 2;
  bool list = false, held = false;
  // > 0: the second side is exact max-min with every dispatch this much later, not the fast
  // network.
  long long perturb_ns = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--filter") {
      filter = next();
    } else if (arg == "--exclude") {
      exclude = next();
    } else if (arg == "--layers") {
      layers = std::atoi(next().c_str());
    } else if (arg == "--exact-cache") {
      cache_file = next();
    } else if (arg == "--set") {
      extra.push_back(next());
    } else if (arg == "--jobs") {
      jobs = static_cast<unsigned>(std::max(1, std::atoi(next().c_str())));
    } else if (arg == "--list") {
      list = true;
    } else if (arg == "--held-out") {
      held = true;
    } else if (arg == "--perturb-ns") {
      perturb_ns = std::atoll(next().c_str());
    } else {
      std::fprintf(
          stderr,
          "usage: fast_network_corpus [--filter TEXT] [--exclude TEXT] [--layers N] [--set K=V] "
          "[--exact-cache FILE] "
          "[--jobs N] [--held-out] [--perturb-ns N] [--list]\n");
      return 2;
    }
  }
  std::vector<Case> cases;
  for (Case c : held ? held_out() : corpus())
    if (c.name.find(filter) != std::string::npos &&
        (exclude.empty() || c.name.find(exclude) == std::string::npos)) {
      c.overrides.insert(c.overrides.end(), extra.begin(), extra.end());
      cases.push_back(c);
    }
  auto layers_of = [&](const Case& c) {
    return layers >= 0 ? static_cast<std::uint32_t>(layers) : c.layers;
  };
  if (list) {
    for (const Case& c : cases) {
      std::printf("%-32s configs/scenarios/%s", c.name.c_str(), c.scenario.c_str());
      for (const std::string& o : c.overrides) std::printf(" --set %s", o.c_str());
      std::printf(" --set sampled_moe_layers=%u\n", layers_of(c));
    }
    return 0;
  }
  auto cache = cache_file.empty() ? decltype(read_cache("")){} : read_cache(cache_file);
  std::vector<Result> results(cases.size());
  std::atomic<std::size_t> next_case{0};
  std::mutex lock;
  std::size_t printed = 0;
  std::string header = "| case | layers | exact TPOT us |", rule = "|---|---:|---:|";
  for (const workloads::ExactCheck& check : workloads::kExactChecks) {
    header += " " + std::string(check.column) + " |";
    rule += "---:|";
  }
  std::printf("%s epochs | exact s | %s s | |\n%s---:|---:|---:|---|\n", header.c_str(),
              perturb_ns > 0 ? "perturbed" : "fast", rule.c_str());
  std::fflush(stdout);
  auto worker = [&] {
    for (;;) {
      const std::size_t index = next_case++;
      if (index >= cases.size()) return;
      const Case& c = cases[index];
      Result r;
      try {
        const scenario::Scenario s = load_case(c, layers_of(c));
        const std::string key = cache_key(c, layers_of(c), extra);
        bool cached = false;
        {
          std::lock_guard guard(lock);
          if (const auto found = cache.find(key); found != cache.end()) {
            r.exact = found->second.first;
            r.exact_seconds = found->second.second;
            cached = true;
          }
        }
        if (!cached) {
          r.exact = simulate(s, workloads::NetworkKind::Flow, r.exact_seconds);
          std::lock_guard guard(lock);
          cache[key] = {r.exact, r.exact_seconds};
          if (!cache_file.empty()) {
            std::ofstream out(cache_file, std::ios::app);
            out << key << "|";
            for (double v : r.exact.value) out << " " << std::to_string(v);
            out << " " << r.exact_seconds << "\n";
          }
        }
        r.exact_cached = cached;
        if (perturb_ns > 0) {
          scenario::Scenario later = s;
          later.decode =
              workloads::with_later_dispatches(s.decode, sim::Picoseconds{perturb_ns * 1000});
          r.fast = simulate(later, workloads::NetworkKind::Flow, r.fast_seconds);
        } else {
          r.fast = simulate(s, workloads::NetworkKind::Fast, r.fast_seconds);
        }
        r.errors = compare(r.exact, r.fast);
      } catch (const std::exception& error) {
        r.error = error.what();
      }
      r.done = true;
      std::lock_guard guard(lock);
      results[index] = std::move(r);
      while (printed < cases.size() && results[printed].done) {  // in corpus order
        const Result& p = results[printed];
        const Case& pc = cases[printed];
        if (!p.error.empty()) {
          std::printf("| %s | error: %s |\n", pc.name.c_str(), p.error.c_str());
        } else {
          std::printf("| %s | %u | %.1f |", pc.name.c_str(), layers_of(pc), p.exact.value[0]);
          for (double e : p.errors.percent) std::printf(" %+.2f %% |", e);
          if (perturb_ns > 0)
            std::printf(" – |");  // the second side ran exact max-min: no epochs
          else
            std::printf(" %g |", p.fast.epoch_fraction);
          std::printf(" %.2f%s | %.2f | %s |\n", p.exact_seconds, p.exact_cached ? "*" : "",
                      p.fast_seconds, p.errors.within_bounds ? "ok" : "**outside**");
        }
        std::fflush(stdout);
        ++printed;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::min<std::size_t>(jobs, cases.size()); ++t)
    threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();

  int failures = 0;
  double worst[kMetrics] = {};
  std::size_t worst_case[kMetrics] = {};
  double exact_total = 0, fast_total = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    if (!r.error.empty() || !r.errors.within_bounds) ++failures;
    if (!r.error.empty()) continue;
    exact_total += r.exact_seconds;
    fast_total += r.fast_seconds;
    for (int m = 0; m < kMetrics; ++m)
      if (std::abs(r.errors.percent[m]) >= std::abs(worst[m])) {
        worst[m] = r.errors.percent[m];
        worst_case[m] = i;
      }
  }
  std::printf("\nworst per metric (bound):");
  for (int m = 0; m < kMetrics; ++m)
    std::printf("%s %.*s %+.2f %% (%.0f %%, %s)", m ? ";" : "",
                static_cast<int>(workloads::kExactChecks[m].column.size()),
                workloads::kExactChecks[m].column.data(), worst[m],
                workloads::kExactChecks[m].bound_percent,
                cases.empty() ? "" : cases[worst_case[m]].name.c_str());
  std::printf(
      "\n%zu cases, %d outside the bounds; CPU seconds: exact %.1f (* = from the cache), fast "
      "%.1f\n",
      cases.size(), failures, exact_total, fast_total);
  return failures == 0 ? 0 : 1;
}
