#pragma once
// A randomly initialised segmenter prepared for one ModelVariant through model/inference.h
// (prepare_for_inference + infer_logits). The bench adds autocast, the Python user's way to bf16,
// as the peer of cast bf16 weights.
#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/bench/model_variant.h"
#include "model/options.h"

namespace pl::model {
class AnnSegmentorImpl;
}

namespace pl::core::bench {

// Seeded, so every variant gets the same weights; eval mode; on the device. Not thread-safe.
class PreparedModel {
 public:
  // Throws std::invalid_argument for bad options or an unsupported variant.
  PreparedModel(const pl::model::SegmentorOptions& options, const ModelVariant& variant,
                const std::string& device = "cpu", uint64_t seed = 0);
  ~PreparedModel();

  // x: N x 3 x H x W fp32 on any device; returns fp32 decode logits at x's size on the model's
  // device (input conversion included, as in the app). Waits for the device, so the call's wall
  // time is the latency.
  at::Tensor forward(const at::Tensor& x);

  const ModelVariant& variant() const { return variant_; }

 private:
  std::shared_ptr<pl::model::AnnSegmentorImpl> model_;
  ModelVariant variant_;
  std::string device_;
};

}  // namespace pl::core::bench
