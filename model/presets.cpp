#include "model/presets.h"

#include <functional>
#include <stdexcept>

namespace pl::model {
namespace {

struct Preset {
  const char* name;
  const char* description;
  std::function<SegmentorOptions()> make;
};

SegmentorOptions ann_r50() { return SegmentorOptions{}; }

SegmentorOptions ann_r101() {
  SegmentorOptions o;
  o.preset = "ann-r101";
  o.depth = 101;
  return o;
}

// Same decoder (AFNB + APNB + FCN aux) at a quarter of the widths on a dilated ResNet-18.
// Sizes chosen by measuring forward latency with 2 threads on the project's CPU (see model README
// in the report): fresh masks for live video, and ~minutes per epoch to train from scratch.
SegmentorOptions ann_r18_live() {
  SegmentorOptions o;
  o.preset = "ann-r18-live";
  o.depth = 18;
  o.output_stride = 8;
  o.channels = 128;
  o.project_channels = 64;
  o.aux_channels = 64;
  o.input_h = 256;
  o.input_w = 256;
  return o;
}

const std::vector<Preset>& presets() {
  static const std::vector<Preset> all{
      {"ann-r50",
       "the paper's model: mmseg ann_r50-d8 (ResNet-50, output stride 8, AFNB+APNB, FCN aux), "
       "torchvision stem; 512x512 inference (the paper trained on 512x1024 crops)",
       ann_r50},
      {"ann-r101", "ANN with ResNet-101 (the original ANN paper's backbone), output stride 8", ann_r101},
      {"ann-r18-live",
       "CPU live preset: ResNet-18 D8, head widths 128/64, 256x256 input; trains from scratch on a CPU",
       ann_r18_live},
  };
  return all;
}

const Preset& find(const std::string& name) {
  for (const auto& p : presets())
    if (name == p.name) return p;
  std::string valid;
  for (const auto& p : presets()) valid += (valid.empty() ? "" : ", ") + std::string(p.name);
  throw std::invalid_argument("unknown model preset '" + name + "'; valid presets: " + valid);
}

}  // namespace

SegmentorOptions preset(const std::string& name) { return find(name).make(); }

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& p : presets()) names.emplace_back(p.name);
  return names;
}

std::string preset_description(const std::string& name) { return find(name).description; }

}  // namespace pl::model
