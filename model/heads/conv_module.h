#pragma once
// mmcv's ConvModule: conv (no bias, a BN follows) -> BN -> optional ReLU, parameters named
// `conv.*` and `bn.*` like mmseg's state dicts. Kaiming-normal (fan_out, relu) conv, BN 1/0.
#include <cstdint>
#include <vector>

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

  // CPU inference: run the conv as `parts` convs over equal slices of the input channels, summed.
  // oneDNN runs a bf16 3x3 conv with 2048 input channels (ANN-R50's head bottleneck) at about 2/3
  // of its usual rate on this CPU; two half-width convs take 283 -> 195 ms alone on 2 threads, and
  // the whole ANN-R50 frame 30-75 ms less (prepare_for_inference turns it on for bf16 on the CPU).
  // Folded modules only (the BN is in the bias); call after the final device, dtype and memory
  // format, since the slices are copies of the weight. 1 = off.
  void split_input_channels(int parts);
  int input_split() const { return int(split_weights_.size()); }

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};

 private:
  bool with_relu_;
  bool folded_ = false;
  std::vector<torch::Tensor> split_weights_;  // empty: no split
};
TORCH_MODULE(ConvModule);

}  // namespace pl::model
