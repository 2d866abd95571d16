#include "core/train/batch_loader.h"

#include <numeric>
#include <stdexcept>

#include <torch/torch.h>

#include "core/data/intraop.h"
#include "core/data/rng.h"

namespace pl::core::train {

std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  data::Rng rng(data::derive_seed(seed, 0xE90C, static_cast<uint64_t>(epoch)));
  data::shuffle(order, rng);
  return order;
}

namespace {

// The samples of one iteration and the seed of each one's augmentation: position k of epoch e's
// order gets derive_seed(seed, e + 1, k). Both data paths draw from these, so they see the same
// samples in the same order.
struct BatchPlan {
  std::vector<int64_t> indices;
  std::vector<uint64_t> seeds;
};

BatchPlan plan_batch(int64_t n, int batch, uint64_t seed, int64_t iteration, int rank, int world) {
  const int64_t per_epoch = n / batch;
  if (per_epoch <= 0)
    throw std::invalid_argument("batch " + std::to_string(batch) + " is larger than the " + std::to_string(n) +
                                " training images");
  if (world < 1 || rank < 0 || rank >= world || batch % world != 0)
    throw std::invalid_argument("the global batch " + std::to_string(batch) + " does not split into " +
                                std::to_string(world) + " equal shares (rank " + std::to_string(rank) + ")");
  const int64_t epoch = iteration / per_epoch, pos = iteration % per_epoch;
  const auto order = epoch_order(n, seed, epoch);
  BatchPlan plan;
  const int64_t share = batch / world, begin = pos * batch + rank * share;
  for (int64_t k = begin; k < begin + share; ++k) {
    plan.indices.push_back(order[static_cast<size_t>(k)]);
    plan.seeds.push_back(data::derive_seed(seed, static_cast<uint64_t>(epoch) + 1, static_cast<uint64_t>(k)));
  }
  return plan;
}

}  // namespace

Batch make_batch(const std::vector<data::Sample>& samples, const data::AugmentOptions& aug, int batch, uint64_t seed,
                 int64_t iteration, int rank, int world) {
  const auto plan = plan_batch(static_cast<int64_t>(samples.size()), batch, seed, iteration, rank, world);
  std::vector<at::Tensor> images, labels;
  for (size_t i = 0; i < plan.indices.size(); ++i) {
    const auto& s = samples[static_cast<size_t>(plan.indices[i])];
    data::Rng rng(plan.seeds[i]);
    auto a = data::augment_train(s.image, s.label, aug, rng);
    images.push_back(std::move(a.image));
    labels.push_back(std::move(a.label));
  }
  return {iteration, torch::stack(images), torch::stack(labels)};
}

Batch make_device_batch(const data::SampleBank& bank, const data::AugmentOptions& aug, int batch, uint64_t seed,
                        int64_t iteration, int rank, int world) {
  const auto plan = plan_batch(bank.size(), batch, seed, iteration, rank, world);
  std::vector<data::AugmentDraw> draws;
  for (size_t i = 0; i < plan.indices.size(); ++i) {
    data::Rng rng(plan.seeds[i]);
    draws.push_back(data::draw_augment(bank, plan.indices[i], aug, rng));
  }
  auto b = data::augment_batch(bank, plan.indices, draws, aug);
  return {iteration, std::move(b.images), std::move(b.labels)};
}

BatchLoader::BatchLoader(const std::vector<data::Sample>& samples, data::AugmentOptions aug, int batch,
                         uint64_t seed, int64_t begin, int64_t end, int prefetch, int rank, int world)
    : samples_(samples),
      aug_(std::move(aug)),
      batch_(batch),
      seed_(seed),
      rank_(rank),
      world_(world),
      next_produce_(begin),
      next_consume_(begin),
      end_(end),
      capacity_(static_cast<size_t>(std::max(1, prefetch))),
      thread_([this] { produce(); }) {}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BatchLoader::produce() {
  data::use_one_intraop_thread_here();
  try {
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || queue_.size() < capacity_; });
        if (stop_ || next_produce_ >= end_) return;
      }
      Batch b = make_batch(samples_, aug_, batch_, seed_, next_produce_, rank_, world_);
      {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(std::move(b));
        ++next_produce_;
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::current_exception();
    cv_.notify_all();
  }
}

Batch BatchLoader::next() {
  if (next_consume_ >= end_) throw std::out_of_range("BatchLoader: no batch after iteration " + std::to_string(end_ - 1));
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || error_; });
  if (queue_.empty() && error_) std::rethrow_exception(error_);
  Batch b = std::move(queue_.front());
  queue_.pop_front();
  ++next_consume_;
  lock.unlock();
  cv_.notify_all();
  return b;
}

}  // namespace pl::core::train
