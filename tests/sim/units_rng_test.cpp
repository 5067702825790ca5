#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <vector>

#include "sim/rng.h"
#include "sim/time.h"
#include "sim/units.h"

namespace moesim::sim {
namespace {

TEST(Units, ParsesBandwidth) {
  EXPECT_DOUBLE_EQ(parse_quantity("900 GB/s", Quantity::BytesPerSecond), 9e11);
  EXPECT_DOUBLE_EQ(parse_quantity("400 Gb/s", Quantity::BytesPerSecond), 5e10);  // 400e9 / 8
  EXPECT_DOUBLE_EQ(parse_quantity("  1.8 TB/s ", Quantity::BytesPerSecond), 1.8e12);
}

TEST(Units, ParsesBytes) {
  EXPECT_DOUBLE_EQ(parse_quantity("141 GB", Quantity::Bytes), 141e9);
  EXPECT_DOUBLE_EQ(parse_quantity("80 GiB", Quantity::Bytes),
                   80.0 * 1024 * 1024 * 1024);  // 85,899,345,920
}

TEST(Units, ParsesDurationsToPicoseconds) {
  EXPECT_EQ(parse_duration("2 us"), Picoseconds{2'000'000});
  EXPECT_EQ(parse_duration("1.5 ns"), Picoseconds{1'500});
  EXPECT_EQ(parse_duration("3 ms"), milliseconds(3));
  EXPECT_DOUBLE_EQ(parse_quantity("989 TFLOP/s", Quantity::FlopsPerSecond), 989e12);
  EXPECT_DOUBLE_EQ(parse_quantity("700 W", Quantity::Watts), 700.0);
}

TEST(Units, RejectsMalformedQuantities) {
  EXPECT_THROW(parse_quantity("900 GBs", Quantity::BytesPerSecond), std::invalid_argument);
  EXPECT_THROW(parse_quantity("-1 GB", Quantity::Bytes), std::invalid_argument);
  EXPECT_THROW(parse_quantity("GB", Quantity::Bytes), std::invalid_argument);
  EXPECT_THROW(parse_quantity("12", Quantity::Bytes), std::invalid_argument);
  EXPECT_THROW(parse_quantity("900 GB/s", Quantity::Bytes), std::invalid_argument);  // wrong kind
  try {
    parse_quantity("900 GBs", Quantity::BytesPerSecond);
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("GBs"), std::string::npos);
  }
}

TEST(Time, FromSecondsRoundsToNearestPicosecond) {
  EXPECT_EQ(from_seconds(1e-6), Picoseconds{1'000'000});
  EXPECT_EQ(from_seconds(2.4e-12), Picoseconds{2});
  EXPECT_EQ(from_seconds(2.6e-12), Picoseconds{3});
}

// Out of range is an error, never a wrapped-around time.
TEST(Time, FromSecondsRefusesWhatInt64PicosecondsCannotHold) {
  EXPECT_EQ(from_seconds(kLongestDuration.seconds()), kLongestDuration);
  EXPECT_THROW(from_seconds(1e10), TimeOutOfRange);
  EXPECT_THROW(from_seconds(-1e10), TimeOutOfRange);
  EXPECT_THROW(from_seconds(std::numeric_limits<double>::quiet_NaN()), TimeOutOfRange);
  EXPECT_THROW(from_seconds(std::numeric_limits<double>::infinity()), TimeOutOfRange);
  try {
    from_seconds(1e300);
  } catch (const TimeOutOfRange& error) {
    EXPECT_NE(std::string(error.what()).find("1e+300 s is out of range"), std::string::npos)
        << error.what();
  }
}

TEST(Units, DurationsTooLargeForSimulatedTimeAreRejected) {
  EXPECT_EQ(parse_duration("2 us"), Picoseconds{2'000'000});
  EXPECT_THROW(parse_duration("1e10 s"), std::invalid_argument);
  EXPECT_THROW(parse_duration("nan us"), std::invalid_argument);
  EXPECT_THROW(parse_duration("inf s"), std::invalid_argument);
  try {
    parse_duration("1e10 s");
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("'1e10 s' is too large"), std::string::npos)
        << error.what();
  }
}

TEST(RandomStream, SameSeedAndNameGiveTheSameStream) {
  RandomStream a(42, "fabric"), b(42, "fabric"), c(42, "router"), d(43, "fabric");
  std::vector<std::uint64_t> va, vb, vc, vd;
  for (int i = 0; i < 100; ++i) {
    va.push_back(a());
    vb.push_back(b());
    vc.push_back(c());
    vd.push_back(d());
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  EXPECT_NE(va, vd);
}

TEST(RandomStream, SplitMix64KnownValue) {
  // SplitMix64 with state 0: the first output is 0xE220A8397B1DCDAF (Vigna's reference code).
  RandomStream random(0);
  EXPECT_EQ(random(), 0xE220A8397B1DCDAFULL);
}

TEST(RandomStream, BelowStaysInRangeAndCoversIt) {
  RandomStream random(7, "below");
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100'000; ++i) {
    const std::uint64_t x = random.below(10);
    ASSERT_LT(x, 10u);
    ++counts[x];
  }
  // Each bucket expects 10,000 with standard deviation sqrt(100000 * 0.1 * 0.9) ~ 95: allow 6
  // sigma.
  for (int count : counts) EXPECT_NEAR(count, 10'000, 600);
  EXPECT_EQ(random.below(1), 0u);
  EXPECT_EQ(random.below(0), 0u);
  const std::uint64_t big = (1ULL << 63) + 12345;
  for (int i = 0; i < 1'000; ++i) ASSERT_LT(random.below(big), big);
}

TEST(RandomStream, ExponentialHasTheRequestedMean) {
  RandomStream random(9, "exp");
  double sum = 0.0;
  constexpr int kDraws = 200'000;
  for (int i = 0; i < kDraws; ++i) sum += random.exponential(3.0);
  // Standard error of the mean = 3 / sqrt(200000) ~ 0.0067: allow 5 sigma.
  EXPECT_NEAR(sum / kDraws, 3.0, 0.035);
}

}  // namespace
}  // namespace moesim::sim
