#include "core/bench/torch_util.h"

#include <stdexcept>

#include <ATen/Context.h>
#include <torch/cuda.h>

#include "model/device.h"

namespace pl::core::bench {

c10::ScalarType scalar_type_of(const std::string& dtype) {
  if (dtype == "fp32") return c10::kFloat;
  if (dtype == "bf16") return c10::kBFloat16;
  if (dtype == "fp16") return c10::kHalf;
  throw std::invalid_argument("unknown dtype '" + dtype + "'; valid: fp32, bf16, fp16");
}

c10::Device device_of(const std::string& device) {
  if (device == "cpu") return c10::Device(c10::kCPU);
  if (device == "cuda") {
    if (!at::globalContext().hasCUDA()) throw std::runtime_error("device 'cuda' asked for, but LibTorch sees no CUDA device");
    return c10::Device(c10::kCUDA, 0);
  }
  throw std::invalid_argument("unknown device '" + device + "'; valid: cpu, cuda");
}

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

bool cpu_has_native_bf16() { return pl::model::cpu_has_native_bf16(); }

}  // namespace pl::core::bench
