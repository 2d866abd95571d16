#pragma once
// Test-time geometry shared by the predictor and the trainer's validation (docs/model.md §7): resize an
// image keeping its aspect ratio so it fits the network input, pad bottom/right, run the model,
// crop the padding off the logits and resize them bilinearly back to the image size.
#include <array>
#include <cstdint>

#include <ATen/core/Tensor.h>

namespace pl::core::data {

struct Letterbox {
  int64_t src_h = 0, src_w = 0;      // the image
  int64_t in_h = 0, in_w = 0;        // the network input (padded)
  int64_t content_h = 0, content_w = 0;  // resized image inside the input (top-left)
};

Letterbox make_letterbox(int64_t src_h, int64_t src_w, int64_t in_h, int64_t in_w);

// uint8 3xHxW RGB (any device) -> float 1x3xin_hxin_w normalised, padded with 0 (the mean colour).
// Downscaling is antialiased, so 1920-px frames and pre-shrunk training images look alike.
at::Tensor letterbox_input(const at::Tensor& rgb_u8, const Letterbox& box, const std::array<float, 3>& mean,
                           const std::array<float, 3>& std);

// 1xKxin_hxin_w logits -> 1xKxsrc_hxsrc_w: crop the padding, bilinear (align_corners=false).
at::Tensor logits_to_source(const at::Tensor& logits, const Letterbox& box);

}  // namespace pl::core::data
