#pragma once
// Scores a predictor on image/mask pairs at the ORIGINAL image resolution, in both conventions
// (seg_metrics.h): mmseg dataset-level two-class metrics and per-image polyp Dice/IoU.
// Optionally writes the predicted masks as PNG (0/255) named like the images.
//
// Threading model: evaluate() runs on the caller's thread; progress is called on it too.
#include <functional>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/metrics/seg_metrics.h"

namespace pl::core::inference {
class Predictor;
}

namespace pl::core::metrics {

struct EvalOptions {
  std::string save_masks_dir;  // "" = do not write masks
};

struct EvalReport {
  std::string data_root, split, checkpoint;
  DatasetScores dataset;
  PerImageScores per_image;
  std::vector<ImageScore> images;
  std::vector<data::Problem> problems;  // pairs that could not be scored (skipped)
  double seconds = 0;
  double mean_infer_ms = 0, mean_total_ms = 0;  // predictor timings per image

  // Human-readable table with both conventions labelled.
  std::string to_table() const;
  // Everything above as JSON (per-image scores included).
  std::string to_json() const;
};

// progress(done, total, name) after each image.
using EvalProgress = std::function<void(int, int, const std::string&)>;

EvalReport evaluate(inference::Predictor& predictor, const std::vector<data::SamplePair>& pairs,
                    const EvalOptions& options = {}, const EvalProgress& progress = {});

}  // namespace pl::core::metrics
