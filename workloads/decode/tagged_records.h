#pragma once
// Records by tag, for messages in flight: tags count up from 0 (a message's tag is the number of
// messages sent before it in the step, which is also its ECMP flow id), and each record is read
// once more, at its delivery. Records live in blocks of kBlock; a block whose records were all
// read goes back to a pool for the tags to come. So a step keeps only the blocks its messages in
// flight span (a few), where one vector of every record would grow to the step's message count
// (591,192 x 16 bytes at EP72, ten times that at EP288), page-faulting and copying as it grows.
// Internal to moesim_workloads.
#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

namespace moesim::workloads::decode {

template <class Record>
class TaggedRecords {
 public:
  static constexpr unsigned kBlockBits = 12;
  static constexpr std::uint64_t kBlock = std::uint64_t{1} << kBlockBits;

  // Stores `record` under the next tag and returns that tag.
  std::uint64_t add(const Record& record) {
    const std::uint64_t tag = next_tag_++;
    const std::uint64_t index = tag >> kBlockBits;
    if (index == blocks_.size()) blocks_.push_back(take_block());
    Block& block = *blocks_[index];
    block.records[tag & (kBlock - 1)] = record;
    ++block.unread;
    return tag;
  }
  void prefetch(std::uint64_t tag) const {
    if (tag < next_tag_ && blocks_[tag >> kBlockBits])
      __builtin_prefetch(&blocks_[tag >> kBlockBits]->records[tag & (kBlock - 1)]);
  }
  // The record of `tag`, for the last time: its block is pooled once all its records are read
  // and no more tags fall in it. Precondition: `tag` was added since clear() and not yet taken.
  Record take(std::uint64_t tag) {
    const std::uint64_t index = tag >> kBlockBits;
    assert(tag < next_tag_ && blocks_[index]);
    Block& block = *blocks_[index];
    const Record record = block.records[tag & (kBlock - 1)];
    if (--block.unread == 0 && (tag | (kBlock - 1)) < next_tag_) pool(index);
    return record;
  }
  // Forgets every record; tags start again from 0.
  void clear() {
    for (std::size_t index = 0; index < blocks_.size(); ++index)
      if (blocks_[index]) pool(index);
    blocks_.clear();
    next_tag_ = 0;
  }
  // Blocks holding records not yet taken, and blocks allocated in all (for tests and memory).
  std::size_t live_blocks() const {
    std::size_t live = 0;
    for (const auto& block : blocks_) live += block != nullptr;
    return live;
  }
  std::size_t allocated_blocks() const { return live_blocks() + free_.size(); }

 private:
  struct Block {
    Record records[kBlock];
    std::uint64_t unread = 0;
  };
  std::unique_ptr<Block> take_block() {
    if (free_.empty()) return std::make_unique<Block>();
    std::unique_ptr<Block> block = std::move(free_.back());
    free_.pop_back();
    block->unread = 0;
    return block;
  }
  void pool(std::uint64_t index) { free_.push_back(std::move(blocks_[index])); }

  std::vector<std::unique_ptr<Block>> blocks_;  // by tag >> kBlockBits; null once pooled
  std::vector<std::unique_ptr<Block>> free_;
  std::uint64_t next_tag_ = 0;
};

}  // namespace moesim::workloads::decode
