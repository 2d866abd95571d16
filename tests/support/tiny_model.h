#pragma once
// The tiny ANN variant the unit tests build (R18, widths 16/8/8, pool scales 1 and 2): the same code
// paths as the real presets at a size that trains and runs in milliseconds.
#include "model/options.h"

namespace pl::test {

inline pl::model::SegmentorOptions tiny_options(int input_h = 32, int input_w = 32, int depth = 18,
                                                int classes = 2) {
  pl::model::SegmentorOptions o;
  o.preset = "tiny-test";
  o.depth = depth;
  o.num_classes = classes;
  o.channels = 16;
  o.project_channels = 8;
  o.aux_channels = 8;
  o.key_pool_scales = {1, 2};
  o.input_h = input_h;
  o.input_w = input_w;
  return o;
}

}  // namespace pl::test
