#pragma once
// One way of running the segmenter for inference. The bench times each variant side by side, so
// the report shows what each optimisation buys on this machine. No torch in this header.
//   dtype "fp32"           weights and activations in fp32
//   dtype "bf16"           weights and activations cast to bf16 (oneDNN bf16 kernels on AVX-512 BF16)
//   dtype "bf16-autocast"  fp32 weights, at::autocast picks bf16 per op (Python's torch.autocast)
//   dtype "fp16"           CUDA only
//   fold_bn                BatchNorm folded into the preceding convolution
//   channels_last          NHWC weights and input (oneDNN's native layout: no reorders per conv)
#include <string>

namespace pl::core::bench {

struct ModelVariant {
  std::string dtype = "fp32";
  bool fold_bn = false;
  bool channels_last = false;

  // "eager", "fold_bn", "channels_last", "fold_bn+channels_last".
  std::string label() const;
  void validate() const;  // throws std::invalid_argument naming the bad value
};

// Empty when this build can run the variant on `device`, otherwise the reason it cannot.
std::string variant_unsupported_reason(const ModelVariant& variant, const std::string& device);

}  // namespace pl::core::bench
