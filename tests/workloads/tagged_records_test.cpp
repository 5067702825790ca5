// The message records of a step (workloads/decode/tagged_records.h): tags count up from 0, each
// record comes back once, and blocks whose records were all taken are reused.
#include "workloads/decode/tagged_records.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace moesim::workloads::decode {
namespace {

using Records = TaggedRecords<std::uint64_t>;
constexpr std::uint64_t kBlock = Records::kBlock;

TEST(TaggedRecords, TagsCountUpAndRecordsComeBack) {
  Records records;
  for (std::uint64_t i = 0; i < 3 * kBlock + 5; ++i) EXPECT_EQ(records.add(1000 + i), i);
  EXPECT_EQ(records.live_blocks(), 4u);
  for (std::uint64_t tag = 3 * kBlock + 5; tag-- > 0;) EXPECT_EQ(records.take(tag), 1000 + tag);
  // Every block was read out; the last is not full, so it stays for the tags still to come.
  EXPECT_EQ(records.live_blocks(), 1u);
  EXPECT_EQ(records.allocated_blocks(), 4u);
  EXPECT_EQ(records.add(7), 3 * kBlock + 5);
  EXPECT_EQ(records.take(3 * kBlock + 5), 7u);
}

TEST(TaggedRecords, AnEmptiedBlockThatIsNotFullTakesMoreTags) {
  Records records;
  records.add(1);
  EXPECT_EQ(records.take(0), 1u);  // block 0 is empty but tags 1 .. kBlock - 1 still fall in it
  EXPECT_EQ(records.live_blocks(), 1u);
  for (std::uint64_t i = 1; i < kBlock; ++i) records.add(i);
  for (std::uint64_t i = 1; i < kBlock; ++i) EXPECT_EQ(records.take(i), i);
  EXPECT_EQ(records.live_blocks(), 0u);  // full and read: pooled
  EXPECT_EQ(records.add(9), kBlock);
  EXPECT_EQ(records.allocated_blocks(), 1u);  // the pooled block is reused
}

// Messages in flight (each phase's, delivered in random order while the next phase is sent)
// keep the pool at the blocks they span, however many messages the step sends.
TEST(TaggedRecords, InFlightWindowBoundsTheBlocks) {
  Records records;
  std::mt19937_64 random(42);
  std::vector<std::uint64_t> previous, current;
  const std::uint64_t phase = kBlock + kBlock / 3;  // phases straddle block boundaries
  for (int round = 0; round < 30; ++round) {
    current.clear();
    for (std::uint64_t i = 0; i < phase; ++i)
      current.push_back(records.add(3 * (round * phase + i)));
    std::shuffle(previous.begin(), previous.end(), random);
    for (const std::uint64_t tag : previous) EXPECT_EQ(records.take(tag), 3 * tag);
    previous.swap(current);
  }
  EXPECT_LE(records.live_blocks(), 3u);
  EXPECT_LE(records.allocated_blocks(), 5u);
  for (const std::uint64_t tag : previous) EXPECT_EQ(records.take(tag), 3 * tag);
  EXPECT_EQ(records.live_blocks(), 1u);  // the last, partly filled block
  records.clear();
  EXPECT_EQ(records.add(5), 0u);  // a new step starts from tag 0
}

}  // namespace
}  // namespace moesim::workloads::decode
