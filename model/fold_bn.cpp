#include "model/fold_bn.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include <ATen/ops/cudnn_convolution_add_relu.h>
#include <ATen/ops/cudnn_convolution_relu.h>
#include <c10/util/Exception.h>
#include <torch/version.h>

namespace pl::model {
namespace {

// The conv options' padding is a c10::variant in LibTorch 1.x and a std::variant in 2.x.
#if TORCH_VERSION_MAJOR >= 2
namespace var = std;
#else
namespace var = c10;
#endif

std::atomic<bool>& fusion_flag() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("POLYPLENS_CUDA_FUSION");
    return !(v && std::strcmp(v, "0") == 0);
  }()};
  return on;
}

}  // namespace

void set_cuda_conv_fusion(bool on) { fusion_flag().store(on); }
bool cuda_conv_fusion() { return fusion_flag().load(); }

torch::Tensor conv_add_relu(torch::nn::Conv2d conv, const torch::Tensor& x, const torch::Tensor& z) {
  const auto& o = conv->options;
  const auto* pad = var::get_if<torch::ExpandingArray<2>>(&o.padding());
  if (x.is_cuda() && pad && var::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()) &&
      fusion_flag().load() && !torch::GradMode::is_enabled()) {
    try {
      const auto& w = conv->weight;
      const c10::optional<torch::Tensor> bias =
          conv->bias.defined() ? c10::optional<torch::Tensor>(conv->bias) : c10::nullopt;
      if (z.defined())
        return at::cudnn_convolution_add_relu(x, w, z, c10::Scalar(1.0), bias, *o.stride(), **pad, *o.dilation(),
                                              o.groups());
      return at::cudnn_convolution_relu(x, w, bias, *o.stride(), **pad, *o.dilation(), o.groups());
    } catch (const c10::Error& e) {
      // cuDNN has no fused engine for this case (dtype, layout, version): plain ops from now on.
      fusion_flag().store(false);
      TORCH_WARN("PolypLens: cuDNN conv+bias+add+ReLU fusion unavailable, using separate ops: ",
                 std::string(e.what_without_backtrace()).substr(0, 200));
    }
  }
  auto y = conv->forward(x);
  if (z.defined()) y += z;
  return torch::relu(y);
}

torch::nn::Conv2d fold_conv_bn(const torch::nn::Conv2d& conv, const torch::nn::BatchNorm2d& bn) {
  torch::NoGradGuard no_grad;
  const auto& o = conv->options;
  torch::nn::Conv2d fused(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                              .stride(o.stride())
                              .padding(o.padding())
                              .dilation(o.dilation())
                              .groups(o.groups())
                              .bias(true));
  fused->to(conv->weight.device(), conv->weight.scalar_type());
  const auto w = conv->weight.to(torch::kDouble);
  const auto scale = bn->weight.to(torch::kDouble) / (bn->running_var.to(torch::kDouble) + bn->options.eps()).sqrt();
  auto b = -bn->running_mean.to(torch::kDouble);
  if (conv->bias.defined()) b = b + conv->bias.to(torch::kDouble);
  fused->weight.copy_(w * scale.reshape({-1, 1, 1, 1}));
  fused->bias.copy_(b * scale + bn->bias.to(torch::kDouble));
  fused->eval();
  return fused;
}

}  // namespace pl::model
