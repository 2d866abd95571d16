#include "model/inference.h"

#include <stdexcept>
#include <string>

#include <c10/core/InferenceMode.h>

#include "model/device.h"

namespace pl::model {
namespace {

c10::ScalarType scalar_type(const std::string& dtype) {
  if (dtype == "fp32") return torch::kFloat;
  if (dtype == "bf16") return torch::kBFloat16;
  if (dtype == "fp16") return torch::kHalf;
  throw std::invalid_argument("InferenceOptions.dtype = '" + dtype + "': expected fp32, bf16 or fp16");
}

}  // namespace

void InferenceOptions::validate() const { scalar_type(dtype); }

InferenceOptions default_inference_options(const c10::Device& device) {
  // Measured on the project's AVX-512-BF16 CPU, one thread, CPU time per forward (load made the
  // wall clock useless). ANN-R50 512x512: fp32 4.33 s, fp32 + folding 4.00 s, + channels-last 4.36 s;
  // bf16 + folding 2.33 s, bf16 + folding + channels-last 2.06 s. ann-r18-live 320x320: fp32 +
  // folding 148 ms (channels-last 150 ms), bf16 + folding 85 ms, + channels-last 72 ms.
  // Channels-last pays off only together with bf16.
  InferenceOptions o;
  if (device.is_cuda()) {
    o.dtype = "fp16";
    o.channels_last = true;
  } else if (cpu_has_native_bf16()) {
    o.dtype = "bf16";
    o.channels_last = true;
  }
  return o;
}

void prepare_for_inference(AnnSegmentor& model, const InferenceOptions& opts, c10::Device device) {
  opts.validate();
  const auto dtype = scalar_type(opts.dtype);
  if (dtype == torch::kHalf && device.is_cpu())
    throw std::invalid_argument("InferenceOptions.dtype = 'fp16' on the CPU: use fp32 or bf16");
  torch::NoGradGuard no_grad;
  model->eval();
  if (opts.fold_bn) {
    model->backbone->fold_bn();
    for (auto& m : model->modules(false))
      if (auto* c = m->as<ConvModule>()) c->fold_bn();
  }
  model->to(device);
  // Module::to(dtype) would also cast the integer BN counters; cast floating tensors only.
  auto cast = [&](torch::Tensor& t) {
    if (!t.defined() || !t.is_floating_point()) return;
    auto v = t.to(dtype);
    if (opts.channels_last && v.dim() == 4) v = v.contiguous(at::MemoryFormat::ChannelsLast);
    t.set_data(v);
  };
  for (auto& p : model->parameters()) cast(p);
  for (auto& b : model->buffers()) cast(b);
  // oneDNN's slow case on the CPU in bf16: 3x3 convs over >= 2048 channels run as two half-width
  // convs (ANN-R50 bf16 1064 -> 989 ms per frame in one A/B run; in fp32 it measured 1 % slower).
  if (opts.fold_bn && device.is_cpu() && dtype == torch::kBFloat16)
    for (auto& m : model->modules(false))
      if (auto* c = m->as<ConvModule>(); c && c->conv->weight.size(1) >= 2048 && c->conv->weight.size(2) > 1)
        c->split_input_channels(2);
}

torch::Tensor infer_logits(AnnSegmentor& model, const torch::Tensor& x, const InferenceOptions& opts) {
  c10::InferenceMode guard;
  const auto& w = model->backbone->conv1->weight;
  auto input = x.to(w.device(), w.scalar_type());
  if (opts.channels_last) input = input.contiguous(at::MemoryFormat::ChannelsLast);
  return model->predict(input).to(torch::kFloat);
}

}  // namespace pl::model
