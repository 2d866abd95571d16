#pragma once
// The ANN segmenter: dilated ResNet backbone -> ANN decode head on (layer3, layer4), plus an FCN
// auxiliary head on layer3 for training. State-dict names: backbone.* (torchvision),
// decode_head.* and auxiliary_head.* (mmseg).
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "model/backbone/resnet.h"
#include "model/heads/ann_head.h"
#include "model/heads/fcn_head.h"
#include "model/options.h"

namespace pl::model {

struct SegmentorOutput {
  torch::Tensor decode;  // N x K x H/s x W/s logits at the feature stride s
  torch::Tensor aux;     // same shape; undefined when !with_aux
};

class AnnSegmentorImpl : public torch::nn::Module {
 public:
  explicit AnnSegmentorImpl(const SegmentorOptions& opts = {});  // validates opts

  // x: N x 3 x H x W, normalised. Runs the aux head whenever it exists (train or eval).
  SegmentorOutput forward(const torch::Tensor& x);
  // Decode logits bilinearly resized (align_corners=false) to x's H x W, as float32; no aux head.
  torch::Tensor predict(const torch::Tensor& x);

  const SegmentorOptions& options() const { return opts_; }

  ResNet backbone{nullptr};
  ANNHead decode_head{nullptr};
  FCNHead auxiliary_head{nullptr};  // null when !with_aux

 private:
  SegmentorOptions opts_;
};
TORCH_MODULE(AnnSegmentor);

}  // namespace pl::model
