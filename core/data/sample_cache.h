#pragma once
// Decoded samples kept in memory as uint8 tensors, optionally shrunk on load so that training
// does not spend its time resizing 1920-px frames every iteration (Kvasir at <= 512 px long side
// is ~1000 x 0.5 MB).
//
// Threading model: load_samples() decodes on `threads` worker threads it owns and joins before
// returning; the returned samples are immutable and may be read from any thread.
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/data/dataset.h"

namespace pl::core::data {

struct Sample {
  std::string name;
  at::Tensor image;  // uint8, 3 x H x W, RGB, contiguous
  at::Tensor label;  // uint8, H x W, {0, 1}
  int orig_h = 0, orig_w = 0;  // size of the file on disk
};

struct LoadOptions {
  int long_side = 0;  // > 0: shrink (never enlarge) so that max(H, W) <= long_side, antialiased
  int threads = 2;    // decoding threads
  bool strict = false;

  void validate() const;
};

// Decodes one pair. Throws DatasetError naming the file (unreadable, size mismatch, ...).
Sample load_sample(const SamplePair& pair, int long_side = 0);

// Decodes every pair. A pair that fails is skipped with a warning and recorded in `summary`
// (problems, skipped, and train/val counts are not touched: the caller knows which list it loaded);
// under strict the first failure throws DatasetError. Order follows `pairs`.
// `progress(done, total)` is called from the calling thread.
std::vector<Sample> load_samples(const std::vector<SamplePair>& pairs, const LoadOptions& options,
                                 DatasetSummary* summary = nullptr,
                                 const std::function<void(int, int)>& progress = {});

// Shrinks a uint8 3xHxW image (antialiased bilinear) and its HxW label (same filter, then >= 0.5)
// so that the long side is `long_side`. Returns the inputs unchanged when they already fit.
void shrink_to_long_side(at::Tensor& image, at::Tensor& label, int long_side);

}  // namespace pl::core::data
