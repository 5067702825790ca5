#include "workloads/decode/traffic_source.h"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "sim/rng.h"

namespace moesim::workloads::decode {

EpDomains::EpDomains(const topology::Fabric& fabric, std::uint32_t ep_size)
    : domain_of(ep_size), local_rank(ep_size) {
  std::vector<std::int64_t> dense_index(fabric.domain_count(), -1);
  for (std::uint32_t g = 0; g < ep_size; ++g) {
    const std::uint32_t fabric_domain = fabric.domain_of(g);
    if (dense_index[fabric_domain] < 0) {
      dense_index[fabric_domain] = static_cast<std::int64_t>(gpus_of_domain.size());
      gpus_of_domain.emplace_back();
    }
    domain_of[g] = static_cast<std::uint32_t>(dense_index[fabric_domain]);
    local_rank[g] = static_cast<std::uint32_t>(gpus_of_domain[domain_of[g]].size());
    gpus_of_domain[domain_of[g]].push_back(g);
  }
}

TrafficSource::TrafficSource(const ModelSpec& model, const DecodeConfig& config,
                             const EpDomains& domains, std::uint32_t layers)
    : domains_(domains),
      gpus_(config.ep_size),
      gating_seed_(sim::RandomStream(config.seed, "gating")()) {
  if (model.moe_layer_count() == 0) return;
  const std::uint32_t experts = model.routed_expert_count;
  std::uint32_t groups = 1, groups_per_token = 1;
  if (config.gating == GatingKind::GroupLimited) {
    groups = model.expert_groups;
    groups_per_token =
        config.max_groups_per_token > 0 ? config.max_groups_per_token : model.groups_per_token;
  }
  const double exponent = config.gating == GatingKind::Uniform ? 0.0 : config.zipf_exponent;
  if (exponent == 0) {
    const std::vector<double> uniform(experts, 1.0 / experts);
    layouts_.emplace_back(gpus_, uniform, config.redundant_slots_per_gpu);
    gates_.emplace_back(uniform, model.experts_per_token_count, groups, groups_per_token);
    return;
  }
  sim::RandomStream popularity_stream(config.seed, "expert-popularity");
  for (std::uint32_t layer = 0; layer < layers; ++layer) {  // hot experts re-drawn per layer
    std::vector<double> popularity = zipf_popularity(experts, exponent, popularity_stream);
    layouts_.emplace_back(gpus_, popularity, config.redundant_slots_per_gpu);
    gates_.emplace_back(std::move(popularity), model.experts_per_token_count, groups,
                        groups_per_token);
  }
}

// The prefetching thread and its hand-off. Runs are numbered in simulation order (step, layer,
// micro-batch, MoE layers only); the thread computes them in that order into `ready`, waiting while
// it is kLookahead runs ahead of the oldest run not yet taken (and the simulation has not asked for
// a later one). The simulation takes runs in nearly
// that order (with two micro-batches, a GPU may start layer l+1's first micro-batch before another
// GPU starts layer l's second), so a run it needs is at most a few ahead of the oldest untaken one.
class TrafficSource::Prefetcher {
 public:
  Prefetcher(const TrafficSource& source, std::uint32_t steps, const std::vector<bool>& moe_layer,
             std::vector<std::uint32_t> tokens_per_micro_batch)
      : source_(source),
        layers_(static_cast<std::uint32_t>(moe_layer.size())),
        micro_batches_(static_cast<std::uint32_t>(tokens_per_micro_batch.size())),
        tokens_(std::move(tokens_per_micro_batch)),
        order_of_(std::size_t{steps} * layers_ * micro_batches_, kNotMoe) {
    for (std::uint32_t step = 0; step < steps; ++step)
      for (std::uint32_t layer = 0; layer < layers_; ++layer)
        for (std::uint32_t mb = 0; moe_layer[layer] && mb < micro_batches_; ++mb) {
          order_of_[key(step, layer, mb)] = runs_.size();
          runs_.push_back({step, layer, mb});
        }
    taken_.assign(runs_.size(), 0);
    thread_ = std::thread([this] { produce(); });
  }

  ~Prefetcher() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  LayerTraffic take(std::uint32_t step, std::uint32_t layer, std::uint32_t mb) {
    const std::size_t run = order_of_.at(key(step, layer, mb));
    if (run == kNotMoe) throw std::logic_error("traffic: a dense layer has no all-to-all");
    std::unique_lock lock(mutex_);
    if (run > wanted_) {
      // Beyond the lookahead window (never seen, but a wait here must not deadlock): let the
      // producer run up to it.
      wanted_ = run;
      changed_.notify_all();
    }
    changed_.wait(lock, [&] { return ready_.contains(run) || failure_; });
    if (failure_) std::rethrow_exception(failure_);
    LayerTraffic traffic = std::move(ready_.at(run));
    ready_.erase(run);
    taken_[run] = 1;
    while (oldest_untaken_ < runs_.size() && taken_[oldest_untaken_]) ++oldest_untaken_;
    lock.unlock();
    changed_.notify_all();
    return traffic;
  }

 private:
  static constexpr std::size_t kNotMoe = ~std::size_t{0};
  struct Run {
    std::uint32_t step, layer, micro_batch;
  };
  std::size_t key(std::uint32_t step, std::uint32_t layer, std::uint32_t mb) const {
    return (std::size_t{step} * layers_ + layer) * micro_batches_ + mb;
  }

  void produce() {
    try {
      for (std::size_t run = 0; run < runs_.size(); ++run) {
        {
          std::unique_lock lock(mutex_);
          changed_.wait(lock, [&] {
            return stopping_ || run < oldest_untaken_ + kLookahead || run <= wanted_;
          });
          if (stopping_) return;
        }
        const Run& r = runs_[run];
        LayerTraffic traffic =
            source_.layer(r.step, r.layer, r.micro_batch, tokens_[r.micro_batch]);
        {
          const std::lock_guard lock(mutex_);
          ready_.emplace(run, std::move(traffic));
        }
        changed_.notify_all();
      }
    } catch (...) {
      {
        const std::lock_guard lock(mutex_);
        failure_ = std::current_exception();
      }
      changed_.notify_all();
    }
  }

  const TrafficSource& source_;
  std::uint32_t layers_, micro_batches_;
  std::vector<std::uint32_t> tokens_;
  std::vector<std::size_t> order_of_;  // key -> run, kNotMoe for dense layers
  std::vector<Run> runs_;
  std::vector<std::uint8_t> taken_;
  std::size_t oldest_untaken_ = 0;
  std::size_t wanted_ = 0;  // the highest run the simulation has asked for
  std::map<std::size_t, LayerTraffic> ready_;
  std::exception_ptr failure_;
  bool stopping_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
};

TrafficSource::~TrafficSource() = default;

void TrafficSource::prefetch(std::uint32_t steps, const std::vector<bool>& moe_layer,
                             const std::vector<std::uint32_t>& tokens_per_micro_batch) {
  prefetcher_ = std::make_unique<Prefetcher>(*this, steps, moe_layer, tokens_per_micro_batch);
}

LayerTraffic TrafficSource::take(std::uint32_t step, std::uint32_t layer, std::uint32_t micro_batch,
                                 std::uint32_t tokens_per_gpu) {
  if (prefetcher_) return prefetcher_->take(step, layer, micro_batch);
  return this->layer(step, layer, micro_batch, tokens_per_gpu);
}

LayerTraffic TrafficSource::layer(std::uint32_t step, std::uint32_t layer,
                                  std::uint32_t micro_batch, std::uint32_t tokens_per_gpu) const {
  std::uint64_t seed = gating_seed_;
  seed ^= 0xD1B54A32D192ED03ULL * (std::uint64_t{step} + 1);
  seed ^= 0xABC98388FB8FAC03ULL * (std::uint64_t{layer} + 1);
  seed ^= 0x8CB92BA72F3D8DD7ULL * (std::uint64_t{micro_batch} + 1);
  return gate_layer(layout_of(layer), gate_of(layer),
                    std::vector<std::uint32_t>(gpus_, tokens_per_gpu), domains_.domain_of,
                    domains_.count(), seed);
}

}  // namespace moesim::workloads::decode
