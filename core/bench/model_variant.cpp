#include "core/bench/model_variant.h"

#include <stdexcept>

namespace pl::core::bench {

std::string ModelVariant::label() const {
  if (fold_bn && channels_last) return "fold_bn+channels_last";
  if (fold_bn) return "fold_bn";
  if (channels_last) return "channels_last";
  return "eager";
}

void ModelVariant::validate() const {
  if (dtype != "fp32" && dtype != "bf16" && dtype != "bf16-autocast" && dtype != "fp16")
    throw std::invalid_argument("ModelVariant.dtype = '" + dtype + "': valid: fp32, bf16, bf16-autocast, fp16");
}

std::string variant_unsupported_reason(const ModelVariant& v, const std::string& device) {
  v.validate();
  if (v.dtype == "fp16" && device != "cuda") return "fp16 runs on CUDA only";
  return {};
}

}  // namespace pl::core::bench
