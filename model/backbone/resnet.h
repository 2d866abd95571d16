#pragma once
// Dilated ResNet backbone with torchvision's layout and parameter names (conv1, bn1, layer1..layer4,
// layerN.i.{conv1,bn1,...,downsample.0/1}), so a torchvision `resnet*().state_dict()` loads 1:1
// (fc.* aside). Output stride 8 equals torchvision's replace_stride_with_dilation=[F,T,T] and
// mmseg's ResNet-D8 stages (docs/model.md §2); 16 is [F,F,T].
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>
#include <torch/nn/pimpl.h>

namespace pl::model {

struct ResNetOptions {
  int depth = 50;          // 18, 34 (BasicBlock), 50, 101 (Bottleneck)
  int output_stride = 8;   // 8 or 16
  void validate() const;   // throws std::invalid_argument
};

// 3x3-3x3 block. torchvision refuses dilation here; like mmseg's BasicBlock only conv1 is dilated.
class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation,
                 torch::nn::Sequential downsample);
  torch::Tensor forward(const torch::Tensor& x);
  void fold_bn();  // inference only, see model/fold_bn.h

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};

 private:
  bool folded_ = false;
};
TORCH_MODULE(BasicBlock);

// 1x1-3x3-1x1 block, stride and dilation on the 3x3 ("pytorch" style).
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation,
                 torch::nn::Sequential downsample);
  torch::Tensor forward(const torch::Tensor& x);
  void fold_bn();  // inference only, see model/fold_bn.h

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};

 private:
  bool folded_ = false;
};
TORCH_MODULE(Bottleneck);

class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(const ResNetOptions& opts = {});

  // Outputs of layer1..layer4 (strides 4, 8, then 8/8 at OS8 or 16/16 at OS16).
  std::vector<torch::Tensor> forward_features(const torch::Tensor& x);
  // Only layer3 and layer4 (what the ANN heads read); skips keeping layer1/2 outputs alive.
  std::pair<torch::Tensor, torch::Tensor> forward_c4_c5(const torch::Tensor& x);

  // Output channels of layer1..layer4, stage = 1..4.
  int64_t stage_channels(int stage) const;
  const ResNetOptions& options() const { return opts_; }
  // Folds every BN into its conv (stem and all blocks); inference only, see model/fold_bn.h.
  void fold_bn();
  bool folded() const { return folded_; }

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::MaxPool2d maxpool{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};

  // conv1 -> bn1 (unless folded) -> ReLU -> maxpool: the input of layer1 (public for per-stage timing).
  torch::Tensor stem(const torch::Tensor& x);

 private:
  torch::nn::Sequential make_layer(int64_t planes, int64_t blocks, int64_t stride, bool dilate);
  void init_weights();

  ResNetOptions opts_;
  bool bottleneck_ = true;
  int64_t inplanes_ = 64;
  int64_t dilation_ = 1;
  bool folded_ = false;
};
TORCH_MODULE(ResNet);

}  // namespace pl::model
