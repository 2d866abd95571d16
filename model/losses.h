#pragma once
// Segmentation losses (docs/recipe.md §2): cross-entropy with ignore index 255 on both heads after
// resizing the logits to the label size, averaged over ALL pixels like mmseg's avg_non_ignore=False
// (ignored pixels count in the denominator). total = decode + aux_weight * aux.
// An optional soft Dice term (foreground classes, ignored pixels masked) is added to each head for
// the from-scratch CPU preset; it is a documented deviation from the paper's CE-only recipe.
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "model/segmentor.h"

namespace pl::model {

constexpr int64_t kIgnoreIndex = 255;

struct LossOutput {
  torch::Tensor total, decode, aux;  // scalars; aux undefined when the output has no aux logits
};

// labels: N x H x W int64 in [0, K) or 255. Throws std::invalid_argument on shape/type mismatch.
LossOutput segmentation_loss(const SegmentorOutput& out, const torch::Tensor& labels, double aux_weight = 0.4,
                             double dice_weight = 0.0);

// The per-head pieces, exposed for tests and evaluation.
torch::Tensor cross_entropy_all_pixels(const torch::Tensor& logits, const torch::Tensor& labels);
torch::Tensor soft_dice_loss(const torch::Tensor& logits, const torch::Tensor& labels, double smooth = 1.0);

}  // namespace pl::model
