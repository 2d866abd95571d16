#include "core/data/augment.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace pl::core::data {
namespace F = torch::nn::functional;
namespace {

// mmseg's `convert`: x * alpha + beta, clipped to 0..255, truncated to integers (astype(uint8)).
void convert_(at::Tensor& x, double alpha, double beta) { x.mul_(alpha).add_(beta).clamp_(0, 255).floor_(); }

// OpenCV's 8-bit RGB -> HSV (H in 0..179, S and V in 0..255). Returns {H, S, V} float tensors.
std::array<at::Tensor, 3> rgb_to_hsv8(const at::Tensor& img) {
  const auto r = img[0], g = img[1], b = img[2];
  const auto maxc = torch::max(torch::max(r, g), b);
  const auto minc = torch::min(torch::min(r, g), b);
  const auto diff = maxc - minc;
  const auto safe = torch::where(diff > 0, diff, torch::ones_like(diff));
  auto h = torch::where(maxc == r, 60.0 * (g - b) / safe,
                        torch::where(maxc == g, 120.0 + 60.0 * (b - r) / safe, 240.0 + 60.0 * (r - g) / safe));
  h = torch::where(diff > 0, h, torch::zeros_like(h));
  h = torch::where(h < 0, h + 360.0, h);
  h = torch::round(h / 2.0).remainder(180.0);
  const auto s = torch::where(maxc > 0, torch::round(255.0 * diff / torch::where(maxc > 0, maxc, torch::ones_like(maxc))),
                              torch::zeros_like(maxc));
  return {h, s, maxc};
}

at::Tensor hsv8_to_rgb(const at::Tensor& h, const at::Tensor& s, const at::Tensor& v) {
  const auto hh = h * 2.0 / 60.0;
  const auto sector = torch::floor(hh);
  const auto f = hh - sector;
  const auto i = sector.remainder(6.0).to(torch::kLong);
  const auto sn = s / 255.0;
  const auto p = v * (1.0 - sn), q = v * (1.0 - sn * f), t = v * (1.0 - sn * (1.0 - f));
  auto pick = [&](std::array<at::Tensor, 6> c) { return torch::stack(c, 0).gather(0, i.unsqueeze(0)).squeeze(0); };
  const auto r = pick({v, q, p, p, t, v});
  const auto g = pick({t, v, v, q, p, p});
  const auto b = pick({p, p, t, v, v, q});
  return torch::stack({r, g, b}, 0).round_().clamp_(0, 255);
}

}  // namespace

void AugmentOptions::validate() const {
  auto bad = [](const std::string& what, const std::string& value) {
    throw std::invalid_argument("augmentation: " + what + " (got " + value + ")");
  };
  if (crop_h <= 0 || crop_w <= 0) bad("crop size must be positive", std::to_string(crop_h) + "x" + std::to_string(crop_w));
  if (scale_long < 0 || scale_short < 0) bad("scale must be >= 0", std::to_string(scale_long) + "," + std::to_string(scale_short));
  if (!(ratio_min > 0 && ratio_max >= ratio_min))
    bad("ratio range must satisfy 0 < min <= max", std::to_string(ratio_min) + ".." + std::to_string(ratio_max));
  if (!(cat_max_ratio > 0 && cat_max_ratio <= 1.0)) bad("cat_max_ratio must be in (0, 1]", std::to_string(cat_max_ratio));
  if (crop_tries < 0) bad("crop_tries must be >= 0", std::to_string(crop_tries));
  if (!(flip_prob >= 0 && flip_prob <= 1)) bad("flip_prob must be in [0, 1]", std::to_string(flip_prob));
  for (int c = 0; c < 3; ++c)
    if (!(std[static_cast<size_t>(c)] > 0)) bad("std must be positive", std::to_string(std[static_cast<size_t>(c)]));
  if (ignore_index < 2 || ignore_index > 255) bad("ignore_index must be in 2..255", std::to_string(ignore_index));
}

std::array<int64_t, 2> rescale_size(int64_t h, int64_t w, double scale_long, double scale_short) {
  const double long_edge = static_cast<double>(std::max(h, w)), short_edge = static_cast<double>(std::min(h, w));
  const double f = std::min(scale_long / long_edge, scale_short / short_edge);
  return {std::max<int64_t>(1, static_cast<int64_t>(h * f + 0.5)), std::max<int64_t>(1, static_cast<int64_t>(w * f + 0.5))};
}

std::array<int64_t, 4> random_crop_box(const at::Tensor& label, int crop_h, int crop_w, double cat_max_ratio,
                                       int tries, int ignore_index, Rng& rng) {
  const int64_t h = label.size(0), w = label.size(1);
  auto draw = [&]() -> std::array<int64_t, 4> {
    const int64_t y0 = randint(rng, 0, std::max<int64_t>(h - crop_h, 0) + 1);
    const int64_t x0 = randint(rng, 0, std::max<int64_t>(w - crop_w, 0) + 1);
    return {y0, x0, std::min<int64_t>(y0 + crop_h, h), std::min<int64_t>(x0 + crop_w, w)};
  };
  auto box = draw();
  if (cat_max_ratio < 1.0) {
    for (int t = 0; t < tries; ++t) {
      const auto crop = label.slice(0, box[0], box[2]).slice(1, box[1], box[3]);
      auto counts = torch::bincount(crop.flatten().to(torch::kLong), {}, 256);
      counts[ignore_index] = 0;
      const auto present = counts.gt(0).sum().item<int64_t>();
      const auto total = counts.sum().item<int64_t>();
      if (present > 1 && static_cast<double>(counts.max().item<int64_t>()) / static_cast<double>(total) < cat_max_ratio)
        break;
      box = draw();  // after the last failed try this box is used unchecked, as in mmseg
    }
  }
  return box;
}

void photometric_distortion(at::Tensor& img, const AugmentOptions& o, Rng& rng) {
  if (randint(rng, 0, 2)) convert_(img, 1.0, uniform(rng, -o.brightness_delta, o.brightness_delta));
  const bool contrast_first = randint(rng, 0, 2) == 1;
  auto contrast = [&] {
    if (randint(rng, 0, 2)) convert_(img, uniform(rng, o.contrast_lower, o.contrast_upper), 0.0);
  };
  if (contrast_first) contrast();
  if (randint(rng, 0, 2)) {
    auto [h, s, v] = rgb_to_hsv8(img);
    convert_(s, uniform(rng, o.saturation_lower, o.saturation_upper), 0.0);
    img = hsv8_to_rgb(h, s, v);
  }
  if (randint(rng, 0, 2)) {
    auto [h, s, v] = rgb_to_hsv8(img);
    const auto delta = static_cast<double>(randint(rng, -o.hue_delta, o.hue_delta));
    h = (h + delta).remainder(180.0);
    img = hsv8_to_rgb(h, s, v);
  }
  if (!contrast_first) contrast();
}

at::Tensor normalize(const at::Tensor& image, const std::array<float, 3>& mean, const std::array<float, 3>& std) {
  const auto m = torch::tensor({mean[0], mean[1], mean[2]}, torch::kFloat).view({3, 1, 1});
  const auto s = torch::tensor({std[0], std[1], std[2]}, torch::kFloat).view({3, 1, 1});
  return (image.to(torch::kFloat) - m) / s;
}

AugmentedSample augment_train(const at::Tensor& image, const at::Tensor& label, const AugmentOptions& o, Rng& rng) {
  TORCH_CHECK(image.dim() == 3 && image.size(0) == 3 && image.scalar_type() == torch::kUInt8,
              "augment_train: image must be uint8 3xHxW, got ", image.sizes(), " ", image.scalar_type());
  TORCH_CHECK(label.dim() == 2 && label.size(0) == image.size(1) && label.size(1) == image.size(2),
              "augment_train: label must be HxW matching the image, got ", label.sizes(), " vs ", image.sizes());
  // 1. RandomResize, aspect kept.
  const double ratio = uniform(rng, o.ratio_min, o.ratio_max);
  const auto size = rescale_size(image.size(1), image.size(2), o.base_long() * ratio, o.base_short() * ratio);
  const std::vector<int64_t> hw{size[0], size[1]};
  at::Tensor img = F::interpolate(image.unsqueeze(0).to(torch::kFloat),
                                  F::InterpolateFuncOptions().size(hw).mode(torch::kBilinear).align_corners(false))
                       .squeeze(0)
                       .round_()
                       .clamp_(0, 255);
  at::Tensor lab = F::interpolate(label.unsqueeze(0).unsqueeze(0).to(torch::kFloat),
                                  F::InterpolateFuncOptions().size(hw).mode(torch::kNearest))
                       .squeeze(0)
                       .squeeze(0)
                       .to(torch::kUInt8);
  // 2. RandomCrop with cat_max_ratio.
  const auto box = random_crop_box(lab, o.crop_h, o.crop_w, o.cat_max_ratio, o.crop_tries, o.ignore_index, rng);
  img = img.slice(1, box[0], box[2]).slice(2, box[1], box[3]);
  lab = lab.slice(0, box[0], box[2]).slice(1, box[1], box[3]);
  // 3. RandomFlip (horizontal).
  if (uniform(rng, 0.0, 1.0) < o.flip_prob) {
    img = img.flip({2});
    lab = lab.flip({1});
  }
  img = img.contiguous();
  // 4. PhotoMetricDistortion.
  if (o.photometric) photometric_distortion(img, o, rng);
  // 5. Normalise, then 6. pad bottom/right to the crop.
  img = normalize(img, o.mean, o.std);
  const int64_t ph = o.crop_h - img.size(1), pw = o.crop_w - img.size(2);
  at::Tensor lab64 = lab.to(torch::kLong);
  if (ph > 0 || pw > 0) {
    img = torch::constant_pad_nd(img, {0, pw, 0, ph}, 0.0);
    lab64 = torch::constant_pad_nd(lab64, {0, pw, 0, ph}, o.ignore_index);
  }
  return {img.contiguous(), lab64.contiguous()};
}

}  // namespace pl::core::data
