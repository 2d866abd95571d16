#pragma once
// mmcv's ConvModule: conv (no bias, a BN follows) -> BN -> optional ReLU, parameters named
// `conv.*` and `bn.*` like mmseg's state dicts. Kaiming-normal (fan_out, relu) conv, BN 1/0.
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace pl::model {

class ConvModuleImpl : public torch::nn::Module {
 public:
  ConvModuleImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size, bool with_relu = true);
  torch::Tensor forward(const torch::Tensor& x);
  void fold_bn();  // inference only, see model/fold_bn.h

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};

 private:
  bool with_relu_;
  bool folded_ = false;
};
TORCH_MODULE(ConvModule);

}  // namespace pl::model
