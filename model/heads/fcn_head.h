#pragma once
// mmseg `FCNHead` as the ANN config uses it for the auxiliary loss (docs/model.md §6): one 3x3 ConvModule
// (convs.0) -> Dropout2d -> 1x1 conv_seg. Training only; inference uses the decode head alone.
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/pimpl.h>

namespace pl::model {

class FCNHeadImpl : public torch::nn::Module {
 public:
  FCNHeadImpl(int64_t in_channels, int64_t channels, int64_t num_classes, double dropout);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Sequential convs{nullptr};
  torch::nn::Dropout2d dropout{nullptr};
  torch::nn::Conv2d conv_seg{nullptr};
};
TORCH_MODULE(FCNHead);

}  // namespace pl::model
