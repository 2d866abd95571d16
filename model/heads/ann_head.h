#pragma once
// ANN decode head (mmseg `ANNHead`, docs/model.md §3-5):
//   fusion (AFNB: query = high, key/value = low) -> dropout -> bottleneck (3x3 ConvModule)
//   -> context (APNB self-attention) -> dropout -> conv_seg.
// Module names follow mmseg (fusion.stages.0.*, fusion.bottleneck, bottleneck, context, conv_seg).
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/pimpl.h>

#include "model/heads/attention.h"
#include "model/heads/conv_module.h"

namespace pl::model {

// Asymmetric Fusion Non-local Block: attention from high-level queries into pyramid-pooled
// low-level keys/values, then [context, high] -> 1x1 ConvModule without activation.
class AFNBImpl : public torch::nn::Module {
 public:
  AFNBImpl(int64_t low_in_channels, int64_t high_in_channels, int64_t channels, int64_t out_channels,
           std::vector<int64_t> key_pool_scales);
  torch::Tensor forward(const torch::Tensor& low_feats, const torch::Tensor& high_feats);

  torch::nn::ModuleList stages{nullptr};
  ConvModule bottleneck{nullptr};
};
TORCH_MODULE(AFNB);

// Asymmetric Pyramid Non-local Block: self-attention with one shared key/query projection, then
// [context, x] -> 1x1 ConvModule with ReLU.
class APNBImpl : public torch::nn::Module {
 public:
  APNBImpl(int64_t in_channels, int64_t channels, int64_t out_channels, std::vector<int64_t> key_pool_scales);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::ModuleList stages{nullptr};
  ConvModule bottleneck{nullptr};
};
TORCH_MODULE(APNB);

struct ANNHeadOptions {
  int64_t low_in_channels = 1024;   // layer3
  int64_t high_in_channels = 2048;  // layer4
  int64_t channels = 512;
  int64_t project_channels = 256;
  int64_t num_classes = 2;
  std::vector<int64_t> key_pool_scales{1, 3, 6, 8};
  double dropout = 0.1;
};

class ANNHeadImpl : public torch::nn::Module {
 public:
  explicit ANNHeadImpl(const ANNHeadOptions& opts);
  // low = layer3, high = layer4 (same spatial size); returns N x num_classes x H x W logits.
  torch::Tensor forward(const torch::Tensor& low_feats, const torch::Tensor& high_feats);

  AFNB fusion{nullptr};
  ConvModule bottleneck{nullptr};
  APNB context{nullptr};
  torch::nn::Dropout2d dropout{nullptr};  // one module, used twice as in mmseg
  torch::nn::Conv2d conv_seg{nullptr};
};
TORCH_MODULE(ANNHead);

}  // namespace pl::model
