#include "model/losses.h"

#include <stdexcept>
#include <string>

#include <torch/nn/functional/loss.h>
#include <torch/nn/functional/upsampling.h>

namespace pl::model {
namespace {

namespace F = torch::nn::functional;

torch::Tensor resize_to(const torch::Tensor& logits, const torch::Tensor& labels) {
  if (logits.size(2) == labels.size(1) && logits.size(3) == labels.size(2)) return logits;
  return F::interpolate(logits, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{labels.size(1), labels.size(2)})
                                    .mode(torch::kBilinear)
                                    .align_corners(false));
}

void check(const torch::Tensor& logits, const torch::Tensor& labels) {
  if (!logits.defined() || logits.dim() != 4)
    throw std::invalid_argument("segmentation_loss: logits must be N x K x h x w");
  if (!labels.defined() || labels.dim() != 3 || labels.scalar_type() != torch::kLong)
    throw std::invalid_argument("segmentation_loss: labels must be an N x H x W int64 tensor, got " +
                                (labels.defined() ? c10::str(labels.sizes(), " ", labels.scalar_type())
                                                  : std::string("undefined")));
  if (labels.size(0) != logits.size(0))
    throw std::invalid_argument("segmentation_loss: batch of labels (" + std::to_string(labels.size(0)) +
                                ") differs from logits (" + std::to_string(logits.size(0)) + ")");
}

}  // namespace

torch::Tensor cross_entropy_all_pixels(const torch::Tensor& logits, const torch::Tensor& labels) {
  check(logits, labels);
  auto per_pixel = F::cross_entropy(resize_to(logits, labels).to(torch::kFloat), labels,
                                    F::CrossEntropyFuncOptions().ignore_index(kIgnoreIndex).reduction(torch::kNone));
  return per_pixel.sum() / static_cast<double>(labels.numel());  // ignored pixels count: mmseg default
}

torch::Tensor soft_dice_loss(const torch::Tensor& logits, const torch::Tensor& labels, double smooth) {
  check(logits, labels);
  const auto k = logits.size(1);
  auto prob = resize_to(logits, labels).to(torch::kFloat).softmax(1);
  auto valid = labels.ne(kIgnoreIndex);
  auto target = torch::one_hot(labels.masked_fill(~valid, 0), k).permute({0, 3, 1, 2}).to(torch::kFloat);
  auto mask = valid.unsqueeze(1).to(torch::kFloat);
  prob = prob * mask;
  target = target * mask;
  // Pooled over the batch, per foreground class (background dominates and is left to the CE).
  auto inter = (prob * target).sum({0, 2, 3});
  auto denom = prob.sum({0, 2, 3}) + target.sum({0, 2, 3});
  auto dice = (2.0 * inter + smooth) / (denom + smooth);
  return 1.0 - dice.slice(0, 1).mean();
}

LossOutput segmentation_loss(const SegmentorOutput& out, const torch::Tensor& labels, double aux_weight,
                             double dice_weight) {
  auto head_loss = [&](const torch::Tensor& logits) {
    auto l = cross_entropy_all_pixels(logits, labels);
    if (dice_weight != 0.0) l = l + dice_weight * soft_dice_loss(logits, labels);
    return l;
  };
  LossOutput r;
  r.decode = head_loss(out.decode);
  r.total = r.decode;
  if (out.aux.defined()) {
    r.aux = head_loss(out.aux);
    r.total = r.total + aux_weight * r.aux;
  }
  return r;
}

}  // namespace pl::model
