#pragma once
// Every number that defines an ANN segmenter. A checkpoint stores all of them, so one struct
// rebuilds its model. Defaults are mmseg `ann_r50-d8` with torchvision's 7x7 stem (docs/model.md §1, §12).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace pl::model {

struct SegmentorOptions {
  std::string preset = "ann-r50";
  int depth = 50;                 // 18, 34, 50, 101 (BasicBlock for 18/34)
  int output_stride = 8;          // 8 or 16 (torchvision replace_stride_with_dilation)
  int num_classes = 2;
  int channels = 512;             // head bottleneck width (mmseg `channels`)
  int project_channels = 256;     // key/query/value width
  std::vector<int64_t> key_pool_scales{1, 3, 6, 8};
  double dropout = 0.1;
  bool with_aux = true;           // FCN auxiliary head on stage 4 (layer3)
  int aux_channels = 256;
  int input_h = 512, input_w = 512;   // default inference input size (H, W)
  std::array<float, 3> mean{123.675f, 116.28f, 103.53f};  // RGB, 0..255 scale
  std::array<float, 3> std{58.395f, 57.12f, 57.375f};

  // Throws std::invalid_argument naming the field and its bad value.
  void validate() const;
};

// The one list of SegmentorOptions' fields, by their checkpoint key: the checkpoint writer and
// reader (model/checkpoint.cpp) are made from it. v(const char* key, T& value) with T one of
// std::string, int, double, bool, std::vector<int64_t>, std::array<float, 3>.
template <typename O, typename V>
void visit_fields(O& o, V&& v) {
  v("preset", o.preset);
  v("depth", o.depth);
  v("output_stride", o.output_stride);
  v("num_classes", o.num_classes);
  v("channels", o.channels);
  v("project_channels", o.project_channels);
  v("key_pool_scales", o.key_pool_scales);
  v("dropout", o.dropout);
  v("with_aux", o.with_aux);
  v("aux_channels", o.aux_channels);
  v("input_h", o.input_h);
  v("input_w", o.input_w);
  v("mean", o.mean);
  v("std", o.std);
}

}  // namespace pl::model
