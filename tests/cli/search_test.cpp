// `moesim search`: the Pareto front and the best configuration under a target on hand-made points,
// the batch grid, the skipped-for-memory count worked out by hand, resume after a killed search,
// shards + merge and --jobs giving the same output as one run, and the front's re-simulation.
// Small spaces on the analytic network keep it to about a second.
#include "cli/search.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "cli/cli.h"
#include "cli/text.h"

namespace moesim::cli {
namespace {

namespace fs = std::filesystem;

const std::string kScenarios = std::string(MOESIM_SOURCE_DIR) + "/configs/scenarios/";

// (per-user tokens/s, tokens/s per GPU), TPOT consistent with the per-user speed.
SearchFigures at(double user, double gpu) {
  return {1e6 / user, user, gpu, 8 * gpu};
}

TEST(SearchFront, HandMadePoints) {
  const std::vector<SearchFigures> points{
      at(10, 100),  // 0: front (nothing as fast gives more per GPU)
      at(20, 90),   // 1: front
      at(15, 80),   // 2: dominated by 1 (faster and more per GPU)
      at(30, 50),   // 3: front
      at(30, 40),   // 4: dominated by 3 (as fast, less per GPU)
      at(5, 100),   // 5: dominated by 0 (as much per GPU, faster)
      at(20, 90),   // 6: the same as 1: only the first is kept
      at(40, 10),   // 7: front (the fastest)
  };
  EXPECT_EQ(pareto_front(points), (std::vector<std::size_t>{0, 1, 3, 7}));
  EXPECT_TRUE(pareto_front({}).empty());
  EXPECT_EQ(pareto_front({at(1, 1)}), (std::vector<std::size_t>{0}));
}

TEST(SearchFront, BestUnderTarget) {
  const std::vector<SearchFigures> points{at(10, 100), at(20, 90), at(15, 80), at(30, 50),
                                          at(30, 40),  at(5, 100), at(20, 90), at(40, 10)};
  using Kind = SearchTarget::Kind;
  // >= 15 per user: 1, 2, 3, 4, 6, 7 qualify; 1 and 6 give the most per GPU (90): the first wins.
  EXPECT_EQ(best_under_target(points, {Kind::MinUserTokensPerSecond, 15}), 1u);
  EXPECT_EQ(best_under_target(points, {Kind::MinUserTokensPerSecond, 10}), 0u);
  EXPECT_EQ(best_under_target(points, {Kind::MinUserTokensPerSecond, 35}), 7u);
  EXPECT_EQ(best_under_target(points, {Kind::MinUserTokensPerSecond, 41}), std::nullopt);
  // TPOT <= 40 ms is >= 25 tokens/s per user: 3 (50 per GPU) beats 4 and 7.
  EXPECT_EQ(best_under_target(points, {Kind::MaxTpotMs, 40}), 3u);
  EXPECT_EQ(best_under_target(points, {Kind::MaxTpotMs, 20}), std::nullopt);
  EXPECT_DOUBLE_EQ((SearchTarget{Kind::MaxTpotMs, 40}).min_user_tokens_per_second(), 25);
  EXPECT_EQ((SearchTarget{Kind::MaxTpotMs, 40}).label(), "TPOT <= 40 ms");
  EXPECT_EQ((SearchTarget{Kind::MinUserTokensPerSecond, 20}).label(), ">= 20 tokens/s per user");
}

TEST(SearchFront, TargetsFromTheCommandLine) {
  using Kind = SearchTarget::Kind;
  EXPECT_DOUBLE_EQ(parse_target(Kind::MinUserTokensPerSecond, "20").value, 20);
  EXPECT_DOUBLE_EQ(parse_target(Kind::MaxTpotMs, "12.5").value, 12.5);
  for (const char* bad : {"", "abc", "0", "-3", "20x", "inf", "nan", "1e999"})
    EXPECT_THROW(parse_target(Kind::MinUserTokensPerSecond, bad), UsageError) << bad;
}

TEST(SearchSpace, BatchGrid) {
  EXPECT_EQ(default_batches(363),
            (std::vector<std::uint32_t>{1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 363}));
  EXPECT_EQ(default_batches(256),
            (std::vector<std::uint32_t>{1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256}));
  EXPECT_EQ(default_batches(5), (std::vector<std::uint32_t>{1, 2, 4, 5}));
  EXPECT_EQ(default_batches(1), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(default_batches(0), (std::vector<std::uint32_t>{1}));
}

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("moesim-search-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }

  // DeepSeek-V3 at EP8 in a GB200 NVL72 rack: 4 batches x 2 dispatch modes x 2 overlap x MTP 0, 1
  // (the scenario's acceptance 0.85) = 32 configurations, 4 of them invalid (overlap at batch 1).
  static SearchOptions small(const std::string& output = "", std::size_t jobs = 1) {
    SearchOptions options;
    options.scenario_files = {kScenarios + "ep72-gb200-nvl72.yaml"};
    options.vary = {parse_axis("ep_size=8"), parse_axis("batch_per_gpu=1,4,16,64")};
    options.search = {"analytic", 2};
    options.exact.reset();
    options.targets = {{SearchTarget::Kind::MinUserTokensPerSecond, 50},
                       {SearchTarget::Kind::MinUserTokensPerSecond, 1e6}};
    options.sweep.output = output;
    if (!output.empty()) options.sweep.format = sweep_format(output, std::nullopt);
    options.sweep.jobs = jobs;
    options.sweep.progress = false;
    return options;
  }
  fs::path directory_;
};

TEST_F(SearchTest, SkippedForMemoryCountedByHand) {
  // DeepSeek-V3 on H200 (141 GB, 10 % reserved: 126.9 GB usable), 4,096 tokens of context. A
  // request costs 4,096 x 70,272 B of KV cache + 8 x (7,392 + 14,336) B of all-to-all buffers =
  // 288,007,936 B. A routed expert is 3 x 7,168 x 2,048 = 44,040,192 B (FP8); the trunk is
  // 17,117,633,536 B (FP8). At EP N each GPU holds 256 / N experts in each of the 58 MoE layers:
  //   EP8:  17.118 + 58 x 32 x 0.044040 = 98.856 GB, leaving 28.044 GB = 97.4 requests  -> 97
  //   EP16: 17.118 + 58 x 16 x 0.044040 = 57.987 GB, leaving 68.913 GB = 239.3 requests -> 239
  //   EP32: 17.118 + 58 x  8 x 0.044040 = 37.553 GB, leaving 89.347 GB = 310.2 requests -> 310
  // so of batches 64, 128, 256, 512: EP8 fits only 64 (3 skipped), EP16 64 and 128 (2), EP32 all
  // but 512 (1): 6 of the 12 configurations do not fit.
  SearchOptions options;
  options.scenario_files = {kScenarios + "ep72-h200-9x.yaml"};
  options.vary = {parse_axis("ep_size=8,16,32"), parse_axis("batch_per_gpu=64,128,256,512"),
                  parse_axis("dispatch_mode=direct"), parse_axis("two_micro_batch_overlap=false"),
                  parse_axis("mtp_draft_tokens=0")};
  options.search = {"analytic", 2};
  options.exact.reset();
  options.sweep.progress = false;
  const SearchResult result = run_search(options);
  ASSERT_EQ(result.points.size(), 12u);
  std::size_t skipped = 0, simulated = 0;
  std::map<std::uint32_t, std::uint32_t> largest;
  for (const SearchPoint& point : result.points) {
    skipped += point.status == SearchPoint::Status::DoesNotFit;
    simulated += point.status == SearchPoint::Status::Simulated;
    largest[point.ep_size] = point.largest_batch_per_gpu;
    if (point.status == SearchPoint::Status::DoesNotFit) {
      EXPECT_NE(point.reason.find("does not fit in one H200 SXM"), std::string::npos)
          << point.reason;
    }
  }
  EXPECT_EQ(skipped, 6u);
  EXPECT_EQ(simulated, 6u);
  EXPECT_EQ(largest, (std::map<std::uint32_t, std::uint32_t>{{8, 97}, {16, 239}, {32, 310}}));
  // The first skipped one: EP8 at batch 128.
  EXPECT_EQ(result.points[1].status, SearchPoint::Status::DoesNotFit);
  EXPECT_EQ(result.points[1].batch_per_gpu, 128u);
}

TEST_F(SearchTest, FrontTargetsAndColumns) {
  const SearchResult result = run_search(small(path("out.csv")));
  ASSERT_TRUE(result.complete);
  ASSERT_EQ(result.points.size(), 32u);
  std::size_t invalid = 0;
  for (const SearchPoint& point : result.points)
    invalid += point.status == SearchPoint::Status::Invalid;
  EXPECT_EQ(invalid, 4u);  // overlap at batch 1: 2 dispatch modes x 2 MTP settings
  ASSERT_EQ(result.groups.size(), 1u);
  const std::vector<std::size_t>& front = result.groups.front().front;
  ASSERT_FALSE(front.empty());
  // The front, checked against every simulated point: nothing dominates a front point, and every
  // other point is dominated by one of them.
  auto dominates = [](const SearchFigures& a, const SearchFigures& b) {
    return a.per_user_tokens_per_second >= b.per_user_tokens_per_second &&
           a.tokens_per_second_per_gpu >= b.tokens_per_second_per_gpu &&
           (a.per_user_tokens_per_second > b.per_user_tokens_per_second ||
            a.tokens_per_second_per_gpu > b.tokens_per_second_per_gpu);
  };
  for (const SearchPoint& point : result.points) {
    if (point.status != SearchPoint::Status::Simulated) continue;
    bool dominated = false;
    for (const SearchPoint& other : result.points)
      dominated = dominated || (other.status == SearchPoint::Status::Simulated &&
                                dominates(other.search, point.search));
    bool same_as_front = false;
    for (const std::size_t index : front)
      same_as_front = same_as_front || (index != point.index &&
                                        result.points[index].search.per_user_tokens_per_second ==
                                            point.search.per_user_tokens_per_second &&
                                        result.points[index].search.tokens_per_second_per_gpu ==
                                            point.search.tokens_per_second_per_gpu);
    EXPECT_EQ(point.pareto, !dominated && !same_as_front) << point.describe();
  }
  // Best under >= 50 tokens/s per user: the most tokens/s per GPU of the simulated points at 50+.
  ASSERT_EQ(result.best.size(), 2u);
  ASSERT_TRUE(result.best[0].point);
  const SearchPoint& best = result.points[*result.best[0].point];
  EXPECT_GE(best.search.per_user_tokens_per_second, 50);
  EXPECT_TRUE(best.pareto);
  for (const SearchPoint& point : result.points) {
    if (point.status == SearchPoint::Status::Simulated &&
        point.search.per_user_tokens_per_second >= 50) {
      EXPECT_LE(point.search.tokens_per_second_per_gpu, best.search.tokens_per_second_per_gpu);
    }
  }
  // $3.00 per GPU-hour (the scenario's assumption); 1,200 W per GB200 x 8.
  EXPECT_NEAR(*best.usd_per_million_tokens(),
              3.0 / (best.search.tokens_per_second_per_gpu * 3600) * 1e6, 1e-12);
  EXPECT_DOUBLE_EQ(best.gpu_power_watts, 1200);
  EXPECT_FALSE(result.best[1].point);  // a million tokens/s per user: nothing
  EXPECT_TRUE(result.any_target_unmet());
  // The file: one row per configuration with `pareto` set for the simulated ones.
  const std::vector<SweepRow> rows = read_sweep_rows(path("out.csv"), SweepFormat::Csv);
  ASSERT_EQ(rows.size(), 32u);
  for (const SweepRow& row : rows) {
    const SearchPoint& point = result.points[row.point];
    EXPECT_EQ(row.at("pareto"), point.status == SearchPoint::Status::Simulated
                                    ? (point.pareto ? "true" : "false")
                                    : "");
    if (point.status == SearchPoint::Status::Invalid) {
      EXPECT_EQ(row.at("status"), "invalid");
      EXPECT_EQ(row.at("tpot_us"), "");
      EXPECT_NE(row.at("headroom_bytes_per_gpu"), "");  // the memory rule needs no simulation
    }
  }
  // The next batch of the grid for the same configuration, and none after the last.
  EXPECT_EQ(result.next_batch(0), 8u);  // (batch 1 -> 4): 2 x 2 x 2 points per batch
  EXPECT_EQ(result.next_batch(31), std::nullopt);
}

TEST_F(SearchTest, ResumesAfterAKilledSearch) {
  const SearchResult whole = run_search(small(path("whole.csv")));
  const std::string reference = read_file(path("whole.csv"));
  // A search killed after 11 configurations (rows in .partial, flushed), and mid-write of a 12th.
  std::string partial;
  std::size_t line = 0;
  for (std::size_t start = 0; line < 12; ++line) {
    const std::size_t end = reference.find('\n', start);
    partial += reference.substr(start, end + 1 - start);
    start = end + 1;
  }
  partial += "11,8,16,direct,true,0,simul";  // torn
  write_file_atomically(path("out.csv.partial"), partial);
  const SearchResult resumed = run_search(small(path("out.csv")));
  EXPECT_EQ(resumed.pass.resumed, 11u);
  EXPECT_EQ(resumed.pass.evaluated, 21u);
  EXPECT_EQ(read_file(path("out.csv")), reference);
  EXPECT_FALSE(fs::exists(path("out.csv.partial")));
  // A finished search run again evaluates nothing and writes the same.
  EXPECT_EQ(run_search(small(path("out.csv"))).pass.evaluated, 0u);
  EXPECT_EQ(read_file(path("out.csv")), reference);
  EXPECT_EQ(resumed.best[0].point, whole.best[0].point);
}

TEST_F(SearchTest, ResumeRefusesRowsSimulatedOtherwise) {
  // One NVL72 domain is not the dense class, so `auto` resolves to 0.2 at every point.
  SearchOptions options = small(path("out.csv"));
  options.search = {"fast", 2};
  run_search(options);
  options.overrides = {parse_override("fast_epoch_fraction=0.2")};  // what auto resolved to
  EXPECT_EQ(run_search(options).pass.evaluated, 0u);
  options.overrides = {parse_override("fast_epoch_fraction=0.1")};
  try {
    run_search(options);
    ADD_FAILURE() << "rows of another epoch fraction were resumed";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("fast_epoch_fraction 0.2, this search uses 0.1"),
              std::string::npos)
        << error.what();
  }
  options.overrides.clear();
  options.search = {"analytic", 2};
  EXPECT_THROW(run_search(options), InputError);  // the fast network's rows
}

TEST_F(SearchTest, ShardsMergedAndJobsGiveOneRunsOutput) {
  for (const std::string extension : {".csv", ".jsonl"}) {
    run_search(small(path("one" + extension), 1));
    const std::string reference = read_file(path("one" + extension));
    run_search(small(path("two" + extension), 2));
    EXPECT_EQ(read_file(path("two" + extension)), reference) << extension;
    std::vector<std::string> parts;
    for (std::size_t shard = 0; shard < 3; ++shard) {
      parts.push_back(path("part" + std::to_string(shard) + extension));
      SearchOptions options = small(parts.back(), 2);
      options.sweep.shard = {shard, 3};
      const SearchResult part = run_search(options);
      EXPECT_FALSE(part.complete);
      EXPECT_EQ(part.pass.shard_points, shard < 2 ? 11u : 10u);
    }
    const std::string merged = path("merged" + extension);
    merge_sweeps(parts, merged, sweep_format(merged, std::nullopt));
    // The unsharded run on the merged file evaluates nothing and fills in the front.
    const SearchResult finished = run_search(small(merged));
    EXPECT_EQ(finished.pass.evaluated, 0u);
    EXPECT_EQ(read_file(merged), reference) << extension;
  }
}

TEST_F(SearchTest, FrontReSimulatedWithTheExactNetwork) {
  SearchOptions options = small(path("out.jsonl"));
  options.exact = SearchNetwork{"analytic", 0};  // every MoE layer instead of 2
  const SearchResult result = run_search(options);
  ASSERT_TRUE(result.groups.front().resimulated);
  EXPECT_EQ(result.groups.front().exact_network, "analytic, all 58 MoE layers");
  EXPECT_EQ(result.resimulated, result.groups.front().front.size());
  for (const SearchPoint& point : result.points) EXPECT_EQ(point.exact.has_value(), point.pareto);
  ASSERT_TRUE(result.best[0].point);
  const SearchPoint& best = result.points[*result.best[0].point];
  ASSERT_TRUE(best.exact);
  EXPECT_GE(best.exact->per_user_tokens_per_second, 50);
  // The exact figures are in the rows of the front, and in a file of their own.
  for (const SweepRow& row : read_sweep_rows(path("out.jsonl"), SweepFormat::JsonLines)) {
    const SearchPoint& point = result.points[row.point];
    EXPECT_EQ(row.at("exact_network"), point.exact ? "analytic" : "");
    if (point.exact) {
      EXPECT_EQ(row.at("exact_simulated_moe_layers"), "58");
      EXPECT_EQ(row.at("exact_tpot_us"), exact_number(point.exact->tpot_us));
    }
  }
  EXPECT_EQ(read_sweep_rows(path("out.exact.jsonl"), SweepFormat::JsonLines).size(),
            result.resimulated);
  // The same exact network as the search's: nothing to re-simulate.
  options.exact = SearchNetwork{"analytic", 2};
  options.sweep.output = path("same.csv");
  options.sweep.format = SweepFormat::Csv;
  EXPECT_FALSE(run_search(options).groups.front().resimulated);
  EXPECT_FALSE(fs::exists(path("same.exact.csv")));
}

TEST_F(SearchTest, BadSpaces) {
  SearchOptions options = small();
  options.vary.push_back(parse_axis("decode.ep_size=16"));
  EXPECT_THROW(run_search(options), UsageError);  // ep_size given twice
  options = small();
  options.vary.push_back(parse_axis("network=flow"));
  EXPECT_THROW(run_search(options), UsageError);  // --network says that
  options = small();
  options.vary.push_back(parse_axis("bogus=1"));
  EXPECT_THROW(run_search(options), scenario::OverrideError);
  options = small();
  options.vary.front() = parse_axis("ep_size=eight");
  EXPECT_THROW(run_search(options), InputError);  // command line: key 'decode.ep_size'
  options = small();
  options.vary.front() = parse_axis("ep_size=0");
  EXPECT_THROW(run_search(options), InputError);  // nothing can be simulated
}

}  // namespace
}  // namespace moesim::cli
