#pragma once
// Inference-time preparation of a trained segmenter: eval mode, optional BN folding, memory format
// and precision. Measured on the project's 2-core AVX-512-BF16 CPU (see default_inference_options).
#include <string>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "model/segmentor.h"

namespace pl::model {

struct InferenceOptions {
  bool fold_bn = true;         // fold BN into the preceding convs (inference only)
  bool channels_last = false;  // NHWC weights and input
  std::string dtype = "fp32";  // fp32 | bf16 | fp16 (fp16 is for CUDA)
  void validate() const;       // throws std::invalid_argument naming the bad value
};

// The measured best for the device: CPU bf16 + folding + channels-last where the CPU has native
// bf16 (AVX-512 BF16, AMX), else fp32 + folding; CUDA fp16 + folding + channels-last.
InferenceOptions default_inference_options(const c10::Device& device);

// eval(), then folding (in fp32, before any cast), device and dtype (floating tensors only), then
// channels-last. After fold_bn the model is inference-only: do not train it or save it.
void prepare_for_inference(AnnSegmentor& model, const InferenceOptions& opts, c10::Device device);

// x: N x 3 x H x W normalised float (any device). Runs predict() under c10::InferenceMode on the
// model's device and dtype; returns float32 logits N x K x H x W on the model's device.
torch::Tensor infer_logits(AnnSegmentor& model, const torch::Tensor& x, const InferenceOptions& opts);

}  // namespace pl::model
