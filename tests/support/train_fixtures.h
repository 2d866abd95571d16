#pragma once
// Fixtures shared by the training suites (test_trainer, test_recipe, test_distributed): a tiny run on
// the first 7 Kvasir-SEG images of the official split (6 train, 1 val), decoded samples of the train
// list, and the largest difference between two sets of weights.
#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data/dataset.h"
#include "core/data/sample_cache.h"
#include "core/train/train_config.h"
#include "support/tiny_model.h"

namespace pl::test {

inline std::string kvasir_root() { return (std::filesystem::path(POLYPLENS_TEST_DATA) / "kvasir-seg").string(); }

// The tiny model on 6 train / 1 val images at 32x32: batch 2 = 3 iterations per epoch, 2 epochs,
// validation every epoch, a log line every 2 iterations, 2 threads.
inline pl::core::train::TrainConfig tiny_train_config(const std::string& out) {
  pl::core::train::TrainConfig c;
  c.data_root = kvasir_root();
  c.max_images = 7;
  c.preset = "tiny-test";
  c.model_options = tiny_options();
  c.crop_h = c.crop_w = 32;
  c.batch = 2;
  c.epochs = 2;
  c.val_every = 1;
  c.log_every = 2;
  c.threads = 2;
  c.out_dir = out;
  c.seed = 5;
  return c;
}

// The train list of the first `max_images` images, decoded with the given long side.
inline std::vector<pl::core::data::Sample> kvasir_train_samples(int max_images, int long_side) {
  pl::core::data::DatasetOptions d;
  d.root = kvasir_root();
  d.max_images = max_images;
  const auto idx = pl::core::data::scan_dataset(d);
  pl::core::data::LoadOptions lo;
  lo.long_side = long_side;
  return pl::core::data::load_samples(idx.train, lo);
}

// Largest absolute difference over same-named tensors; 1e30 when the names differ or an integer
// tensor (BN's num_batches_tracked) is not equal.
inline double max_weight_diff(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b) {
  if (a.size() != b.size()) return 1e30;
  double m = 0;
  for (const auto& [k, v] : a) {
    const auto it = b.find(k);
    if (it == b.end()) return 1e30;
    if (!v.is_floating_point()) {
      if (!torch::equal(v, it->second)) return 1e30;
      continue;
    }
    m = std::max(m, (v.to(torch::kDouble) - it->second.to(torch::kDouble)).abs().max().item<double>());
  }
  return m;
}

}  // namespace pl::test
