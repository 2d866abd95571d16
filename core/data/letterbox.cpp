#include "core/data/letterbox.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "core/base/fit.h"

namespace pl::core::data {
namespace F = torch::nn::functional;

Letterbox make_letterbox(int64_t src_h, int64_t src_w, int64_t in_h, int64_t in_w) {
  TORCH_CHECK(src_h > 0 && src_w > 0 && in_h > 0 && in_w > 0, "letterbox: sizes must be positive, got image ", src_h,
              "x", src_w, " input ", in_h, "x", in_w);
  const FitSize content = fit_into(src_h, src_w, in_h, in_w);
  Letterbox b;
  b.src_h = src_h;
  b.src_w = src_w;
  b.in_h = in_h;
  b.in_w = in_w;
  b.content_h = content.h;
  b.content_w = content.w;
  return b;
}

at::Tensor letterbox_input(const at::Tensor& rgb_u8, const Letterbox& box, const std::array<float, 3>& mean,
                           const std::array<float, 3>& std) {
  at::Tensor x = rgb_u8.unsqueeze(0).to(torch::kFloat);
  if (box.content_h != box.src_h || box.content_w != box.src_w) {
    const bool down = box.content_h < box.src_h || box.content_w < box.src_w;
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{box.content_h, box.content_w})
                              .mode(torch::kBilinear)
                              .align_corners(false)
                              .antialias(down));
  }
  const auto opts = torch::TensorOptions().dtype(torch::kFloat).device(x.device());
  const auto m = torch::tensor({mean[0], mean[1], mean[2]}).to(opts).view({1, 3, 1, 1});
  const auto s = torch::tensor({std[0], std[1], std[2]}).to(opts).view({1, 3, 1, 1});
  x = (x - m) / s;
  const int64_t ph = box.in_h - box.content_h, pw = box.in_w - box.content_w;
  if (ph > 0 || pw > 0) x = torch::constant_pad_nd(x, {0, pw, 0, ph}, 0.0);
  return x.contiguous();
}

at::Tensor logits_to_source(const at::Tensor& logits, const Letterbox& box) {
  at::Tensor x = logits.slice(2, 0, box.content_h).slice(3, 0, box.content_w);
  if (box.content_h == box.src_h && box.content_w == box.src_w) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{box.src_h, box.src_w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace pl::core::data
