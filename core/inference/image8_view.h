#pragma once
// A decoded data-set image (core/data/decode.h) seen as the Predictor's input, without a copy.
#include "core/data/decode.h"
#include "core/inference/predictor.h"

namespace pl::core::inference {

inline ImageView view_of(const data::Image8& rgb) {
  ImageView v;
  v.data = rgb.pixels.data();
  v.height = rgb.height;
  v.width = rgb.width;
  v.channels = rgb.channels;
  v.order = ImageView::Order::RGB;
  return v;
}

}  // namespace pl::core::inference
