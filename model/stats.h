#pragma once
// Parameter counts per part (from the model itself) and multiply-accumulates at an input size
// (analytic walk over the convs and attention matmuls; BN, activations, pooling and resizes are
// not counted), as in docs/model.md §8.
#include <cstdint>
#include <string>
#include <vector>

#include "model/segmentor.h"

namespace pl::model {

struct PartStats {
  std::string name;  // backbone, afnb, bottleneck, apnb, classifier, aux
  int64_t params = 0;
  double macs = 0;   // at the requested input size; aux only counts in training
};

struct ModelStats {
  int64_t input_h = 0, input_w = 0;
  int64_t feature_h = 0, feature_w = 0;  // stride-8/16 map the heads run on
  std::vector<PartStats> parts;
  int64_t params_total = 0;      // every trainable parameter (aux included when present)
  int64_t params_inference = 0;  // without the aux head
  double macs_inference = 0;     // this implementation: shared APNB projection computed once
  double macs_inference_mmseg = 0;  // as mmseg runs it (projection twice); docs/model.md §8's figure
  double macs_training = 0;      // inference + aux head (forward only)
  const PartStats& part(const std::string& name) const;  // throws std::out_of_range
};

// Throws std::invalid_argument for a size below 32 px.
ModelStats model_stats(AnnSegmentor& model, int64_t input_h, int64_t input_w);

// "46.20 M", "183.9 G" style.
std::string format_count(double v);

}  // namespace pl::model
