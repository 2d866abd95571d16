#pragma once
// Scores a model on decoded samples: letterbox to the model's input size, decode logits back to
// the sample size, argmax, both metric conventions (core/metrics/seg_metrics.h).
#include <vector>

#include <c10/core/Device.h>

#include "core/data/sample_cache.h"
#include "core/train/progress.h"
#include "model/segmentor.h"

namespace pl::core::train {

// Puts the model in eval mode for the pass and restores its previous mode.
ValidationResult validate_model(pl::model::AnnSegmentor& model, const std::vector<data::Sample>& samples,
                                const c10::Device& device);

}  // namespace pl::core::train
