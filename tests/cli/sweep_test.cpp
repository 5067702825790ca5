// Sweep machinery with a deterministic stand-in evaluator: cartesian order, output format, resume
// after a killed run (a real abrupt exit in a death test), torn lines, sharding + merge, and
// per-point errors.
#include "cli/sweep.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "cli/cli.h"
#include "cli/text.h"
#include "input/mapping.h"

namespace moesim::cli {
namespace {

namespace fs = std::filesystem;

// columns: product of the axis values, and a text label. A product of 0 is an evaluation error.
class ProductEvaluator final : public SweepEvaluator {
 public:
  explicit ProductEvaluator(std::size_t exit_after = 0) : exit_after_(exit_after) {}
  std::vector<std::string> columns() const override { return {"product", "label"}; }
  bool is_text(const std::string& column) const override { return column == "label"; }
  std::vector<std::string> evaluate(const std::vector<SweepAxis>&,
                                    const SweepPoint& point) override {
    if (exit_after_ && calls_ == exit_after_)
      std::_Exit(9);  // as abrupt as SIGKILL: no flush, no destructors
    ++calls_;
    long long product = 1;
    for (const std::string& value : point.values) product *= std::stoll(value);
    if (product == 0) throw input::InputError("fake.yaml:3: key 'decode.x': zero");
    std::string label = "p";
    label += std::to_string(point.index);
    return {std::to_string(product), label};
  }
  std::size_t calls() const { return calls_; }

 private:
  std::size_t exit_after_;
  std::atomic<std::size_t> calls_{0};
};

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("moesim-sweep-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }

  static std::vector<SweepAxis> axes() {
    return {parse_axis("a=1,2,3"), parse_axis("batch_per_gpu=10,20,30,40")};
  }
  static SweepOptions options(const std::string& output, std::size_t jobs = 1, Shard shard = {}) {
    SweepOptions o;
    o.output = output;
    o.format = sweep_format(output, std::nullopt);
    o.jobs = jobs;
    o.shard = shard;
    o.progress = false;
    return o;
  }
  fs::path directory_;
};

TEST_F(SweepTest, AxesShardsAndCartesianOrder) {
  const SweepAxis axis = parse_axis("decode.batch_per_gpu=16,32,64");
  EXPECT_EQ(axis.key, "decode.batch_per_gpu");
  EXPECT_EQ(axis.values, (std::vector<std::string>{"16", "32", "64"}));
  EXPECT_THROW(parse_axis("batch=1,,2"), UsageError);
  EXPECT_THROW(parse_axis("batch"), UsageError);
  EXPECT_EQ(parse_shard("2/4").index, 2u);
  EXPECT_EQ(parse_shard("2/4").count, 4u);
  EXPECT_THROW(parse_shard("4/4"), UsageError);
  EXPECT_THROW(parse_shard("1/0"), UsageError);
  EXPECT_THROW(parse_shard("x"), UsageError);
  const auto points = cartesian_points(axes());
  ASSERT_EQ(points.size(), 12u);  // 3 x 4
  EXPECT_EQ(points[0].values, (std::vector<std::string>{"1", "10"}));
  EXPECT_EQ(points[1].values,
            (std::vector<std::string>{"1", "20"}));  // the last axis varies fastest
  EXPECT_EQ(points[4].values, (std::vector<std::string>{"2", "10"}));
  EXPECT_EQ(points[11].values, (std::vector<std::string>{"3", "40"}));
}

TEST_F(SweepTest, CsvOutputIsSortedAndComplete) {
  ProductEvaluator evaluator;
  const SweepSummary summary = run_sweep(axes(), evaluator, options(path("out.csv"), 3));
  EXPECT_TRUE(summary.complete);
  EXPECT_EQ(summary.evaluated, 12u);
  EXPECT_FALSE(fs::exists(path("out.csv.partial")));
  const std::string content = read_file(path("out.csv"));
  EXPECT_TRUE(content.starts_with(
      "point,vary.a,vary.batch_per_gpu,product,label,error\n0,1,10,10,p0,\n1,1,20,20,p1,\n"));
  EXPECT_TRUE(content.ends_with("11,3,40,120,p11,\n"));
}

TEST_F(SweepTest, JsonLines) {
  ProductEvaluator evaluator;
  run_sweep(axes(), evaluator, options(path("out.jsonl")));
  const std::string content = read_file(path("out.jsonl"));
  EXPECT_TRUE(
      content.starts_with("{\"point\":0,\"vary.a\":1,\"vary.batch_per_gpu\":10,\"product\":10,"
                          "\"label\":\"p0\",\"error\":null}\n"));
}

TEST_F(SweepTest, PointErrorsAreRecordedAndTheSweepGoesOn) {
  ProductEvaluator evaluator;
  const SweepSummary summary =
      run_sweep({parse_axis("a=0,1"), parse_axis("b=5")}, evaluator, options(path("out.csv")));
  EXPECT_EQ(summary.failed, 1u);
  EXPECT_EQ(read_file(path("out.csv")),
            "point,vary.a,vary.b,product,label,error\n0,0,5,,,fake.yaml:3: key 'decode.x': "
            "zero\n1,1,5,5,p1,\n");
}

TEST_F(SweepTest, ResumesAfterAKilledRun) {
  const std::string output = path("out.csv");
  // The child evaluates 5 points (their rows reach .partial, flushed) and dies abruptly on the 6th.
  EXPECT_EXIT(
      {
        ProductEvaluator dying(5);
        run_sweep(axes(), dying, options(output));
      },
      ::testing::ExitedWithCode(9), "");
  ASSERT_FALSE(fs::exists(output));
  ASSERT_TRUE(fs::exists(output + ".partial"));
  // Simulate a kill in the middle of a write as well: a torn line without its newline.
  {
    std::FILE* file = std::fopen((output + ".partial").c_str(), "ab");
    std::fputs("5,2,20,4", file);
    std::fclose(file);
  }
  ProductEvaluator resumed;
  const SweepSummary summary = run_sweep(axes(), resumed, options(output));
  EXPECT_EQ(summary.resumed, 5u);
  EXPECT_EQ(summary.evaluated, 7u);
  EXPECT_EQ(resumed.calls(), 7u);  // the 5 finished points were not evaluated again
  ProductEvaluator fresh;
  run_sweep(axes(), fresh, options(path("fresh.csv")));
  EXPECT_EQ(read_file(output), read_file(path("fresh.csv")));
  // Running a finished sweep again evaluates nothing.
  ProductEvaluator again;
  EXPECT_EQ(run_sweep(axes(), again, options(output)).evaluated, 0u);
}

TEST_F(SweepTest, ResumingADifferentSweepIsAnError) {
  ProductEvaluator evaluator;
  run_sweep(axes(), evaluator, options(path("out.csv")));
  EXPECT_THROW(run_sweep({parse_axis("a=7,8,9"), parse_axis("batch_per_gpu=10,20,30,40")},
                         evaluator, options(path("out.csv"))),
               InputError);
  EXPECT_THROW(run_sweep({parse_axis("x=1")}, evaluator, options(path("out.csv"))), InputError);
}

// A resumed file must come from the same scenario and --set values, not only the same axes: the
// first and last resumed rows' settings are worked out again and compared (CSV and JSON lines).
TEST_F(SweepTest, ResumingWithOtherSettingsIsAnError) {
  const std::string scenarios = std::string(MOESIM_SOURCE_DIR) + "/configs/scenarios/";
  const std::vector<SweepAxis> batch{parse_axis("batch_per_gpu=2,4")};
  auto evaluator = [&](const std::string& file, const std::string& network) {
    return ScenarioEvaluator(scenarios + file,
                             {parse_override("ep_size=8"), parse_override("sampled_moe_layers=2"),
                              parse_override("network=" + network)});
  };
  for (const std::string extension : {".csv", ".jsonl"}) {
    const std::string output = path("out" + extension);
    ScenarioEvaluator analytic = evaluator("ep72-gb200-nvl72.yaml", "analytic");
    EXPECT_EQ(run_sweep(batch, analytic, options(output)).evaluated, 2u);
    // The same command again resumes every point.
    EXPECT_EQ(run_sweep(batch, analytic, options(output)).resumed, 2u);
    ScenarioEvaluator fast = evaluator("ep72-gb200-nvl72.yaml", "fast");
    try {
      run_sweep(batch, fast, options(output));
      ADD_FAILURE() << "resumed rows of another network";
    } catch (const InputError& error) {
      EXPECT_NE(std::string(error.what())
                    .find("point 0 was evaluated with network analytic, this sweep gives fast"),
                std::string::npos)
          << error.what();
    }
    ScenarioEvaluator other = evaluator("ep72-h200-9x.yaml", "analytic");
    EXPECT_THROW(run_sweep(batch, other, options(output)), InputError) << extension;
  }
}

TEST_F(SweepTest, ShardsMergeToTheUnshardedOutput) {
  for (const std::string extension : {".csv", ".jsonl"}) {
    ProductEvaluator whole;
    run_sweep(axes(), whole, options(path("whole" + extension)));
    std::vector<std::string> parts;
    for (std::size_t shard = 0; shard < 3; ++shard) {
      ProductEvaluator part;
      parts.push_back(path("part" + std::to_string(shard) + extension));
      const SweepSummary summary =
          run_sweep(axes(), part, options(parts.back(), 2, Shard{shard, 3}));
      EXPECT_EQ(summary.shard_points, 4u);  // 12 points, every third
    }
    const MergeSummary merged = merge_sweeps(parts, path("merged" + extension),
                                             sweep_format("x" + extension, std::nullopt));
    EXPECT_EQ(merged.rows, 12u);
    EXPECT_EQ(merged.failed, 0u);
    EXPECT_EQ(read_file(path("merged" + extension)), read_file(path("whole" + extension)));
  }
}

TEST_F(SweepTest, MergeRejectsConflictingRows) {
  write_file_atomically(path("a.csv"), "point,vary.a,x,error\n0,1,5,\n");
  write_file_atomically(path("b.csv"), "point,vary.a,x,error\n0,1,6,\n");
  write_file_atomically(path("c.csv"), "point,vary.b,x,error\n1,1,6,\n");
  EXPECT_THROW(merge_sweeps({path("a.csv"), path("b.csv")}, path("m.csv"), SweepFormat::Csv),
               InputError);
  EXPECT_THROW(merge_sweeps({path("a.csv"), path("c.csv")}, path("m.csv"), SweepFormat::Csv),
               InputError);
  EXPECT_THROW(merge_sweeps({path("missing.csv")}, path("m.csv"), SweepFormat::Csv), InputError);
  // A directory is not a sweep file; the output may not be one of the inputs.
  EXPECT_THROW(merge_sweeps({directory_.string()}, path("m.csv"), SweepFormat::Csv), InputError);
  EXPECT_THROW(merge_sweeps({path("a.csv")}, path("a.csv"), SweepFormat::Csv), UsageError);
}

TEST_F(SweepTest, MergeCountsFailedRows) {
  write_file_atomically(path("a.csv"), "point,vary.a,x,error\n0,1,5,\n1,2,,\"bad, input\"\n");
  const MergeSummary merged = merge_sweeps({path("a.csv")}, path("m.csv"), SweepFormat::Csv);
  EXPECT_EQ(merged.rows, 2u);
  EXPECT_EQ(merged.failed, 1u);
}

}  // namespace
}  // namespace moesim::cli
