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

// Same decoder (AFNB + APNB + FCN aux) at a quarter of the widths on a ResNet-18. Chosen by
// measuring on the project's 2-core CPU (one-thread CPU time per 1x3xHxW forward, folded BN):
//   R18 OS8  256x256: 13.4 GMAC, fp32 258 ms, bf16 142 ms
//   R18 OS16 320x320:  6.7 GMAC, fp32 148 ms, bf16  85 ms   <- ann-r18-live
//   R18 OS16 256x256:  4.3 GMAC, fp32  99 ms, bf16  56 ms
// OS16 halves the dilated layer3/layer4 cost (most of an OS8 R18's compute), which is what makes
// from-scratch training on the CPU affordable; 320 px keeps a 20x20 map for the mask.
SegmentorOptions ann_r18_live() {
  SegmentorOptions o;
  o.preset = "ann-r18-live";
  o.depth = 18;
  o.output_stride = 16;
  o.channels = 128;
  o.project_channels = 64;
  o.aux_channels = 64;
  o.input_h = 320;
  o.input_w = 320;
  return o;
}

// The ANN-R18-D8 prototype of docs/recipe.md §4: output stride 8 (finer masks), twice the live preset's cost.
SegmentorOptions ann_r18_d8() {
  auto o = ann_r18_live();
  o.preset = "ann-r18-d8";
  o.output_stride = 8;
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
       "CPU live preset: ResNet-18 output stride 16, head widths 128/64/aux 64, 320x320 input; "
       "fresh masks on 2 cores and trainable from scratch on a CPU",
       ann_r18_live},
      {"ann-r18-d8",
       "ResNet-18 output stride 8, head widths 128/64, 256x256 input (finer masks, 2x the live preset's compute)",
       ann_r18_d8},
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
