#pragma once
// Letterbox geometry without LibTorch or OpenCV (docs/model.md §7, docs/architecture.md "The video
// pipeline"): the size an image takes when it is resized, keeping its aspect ratio, to fit the
// network input. The predictor's letterbox (core/data/letterbox.h) and the video sources' model
// branch (core/video/frame_source.h) both use this, so a frame GStreamer scales for the model has
// exactly the size the predictor expects.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace pl::core {

struct FitSize {
  int64_t h = 0, w = 0;
  bool empty() const { return h <= 0 || w <= 0; }
};

// src_h x src_w fitted into box_h x box_w: s = min(box_h / src_h, box_w / src_w), each side
// llround(side * s) clamped to [1, box side]. {0, 0} if any size is not positive.
inline FitSize fit_into(int64_t src_h, int64_t src_w, int64_t box_h, int64_t box_w) {
  if (src_h <= 0 || src_w <= 0 || box_h <= 0 || box_w <= 0) return {};
  const double s = std::min(static_cast<double>(box_h) / src_h, static_cast<double>(box_w) / src_w);
  return {std::clamp<int64_t>(std::llround(src_h * s), 1, box_h), std::clamp<int64_t>(std::llround(src_w * s), 1, box_w)};
}

}  // namespace pl::core
