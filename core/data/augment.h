#pragma once
// The training pipeline of mmseg's Cityscapes 512x1024 config (docs/recipe.md §3), on torch tensors:
// RandomResize (ratio 0.5-2.0 of a base scale, aspect kept) -> RandomCrop (cat_max_ratio 0.75,
// 10 tries) -> RandomFlip (horizontal) -> PhotoMetricDistortion -> normalise -> pad bottom/right
// to the crop (image 0 in normalised space, label 255 = ignored).
//
// Every random draw comes from the Rng passed in, so a sample is a pure function of (image,
// label, rng seed): the trainer seeds it from (seed, epoch, position) and resumed runs see the same
// crops. Inputs are RGB; the photometric steps are colour-order independent (hue/saturation go
// through HSV exactly as OpenCV's 8-bit conversion defines it).
#include <algorithm>
#include <array>
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "core/data/rng.h"

namespace pl::core::data {

struct AugmentOptions {
  int crop_h = 512, crop_w = 1024;
  // RandomResize base scale (long edge, short edge); 0 = twice the crop, as (2048, 1024) is for
  // the 512x1024 crop in mmseg.
  int scale_long = 0, scale_short = 0;
  double ratio_min = 0.5, ratio_max = 2.0;
  double cat_max_ratio = 0.75;  // 1.0 disables the check
  int crop_tries = 10;
  double flip_prob = 0.5;
  bool photometric = true;
  int brightness_delta = 32;
  double contrast_lower = 0.5, contrast_upper = 1.5;
  double saturation_lower = 0.5, saturation_upper = 1.5;
  int hue_delta = 18;
  std::array<float, 3> mean{123.675f, 116.28f, 103.53f};  // RGB
  std::array<float, 3> std{58.395f, 57.12f, 57.375f};
  int ignore_index = 255;

  // Throws std::invalid_argument naming the bad field and value.
  void validate() const;
  int base_long() const { return scale_long > 0 ? scale_long : 2 * std::max(crop_h, crop_w); }
  int base_short() const { return scale_short > 0 ? scale_short : 2 * std::min(crop_h, crop_w); }
};

struct AugmentedSample {
  at::Tensor image;  // float32, 3 x crop_h x crop_w, normalised, padded with 0
  at::Tensor label;  // int64, crop_h x crop_w, {0, 1, ignore_index}
};

// image: uint8 3xHxW RGB; label: uint8 HxW. Neither is modified.
AugmentedSample augment_train(const at::Tensor& image, const at::Tensor& label, const AugmentOptions& options,
                              Rng& rng);

// The individual steps, exposed for tests and for the predictor's preprocessing.
// Size after mmcv's keep-ratio rescale of (h, w) into (long, short) scale.
std::array<int64_t, 2> rescale_size(int64_t h, int64_t w, double scale_long, double scale_short);
// mmseg RandomCrop box {y0, x0, y1, x1} on `label` (HxW uint8), cat_max_ratio with `tries`.
std::array<int64_t, 4> random_crop_box(const at::Tensor& label, int crop_h, int crop_w, double cat_max_ratio,
                                       int tries, int ignore_index, Rng& rng);
// PhotoMetricDistortion on a float 3xHxW RGB tensor holding 0..255 integers (in place).
void photometric_distortion(at::Tensor& image, const AugmentOptions& options, Rng& rng);
// (x - mean) / std per channel for a float 3xHxW RGB 0..255 tensor.
at::Tensor normalize(const at::Tensor& image, const std::array<float, 3>& mean, const std::array<float, 3>& std);

}  // namespace pl::core::data
