#pragma once
// One frame in, one mask out: the test-time path of spec §1.6 for a BGR cv::Mat of any size.
//   BGR -> RGB, resize keeping the aspect ratio to fit the model's input size (area filter when
//   shrinking), pad bottom/right, normalise -> model (InferenceMode, GPU when available) ->
//   crop the padding -> bilinear (align_corners=false) to the frame size -> argmax.
// For two classes the last two steps run on the logit difference (bilinear resizing is linear, so
// resize(l1) - resize(l0) = resize(l1 - l0)): half the work, the same mask, and the polyp
// probability is sigmoid(l1 - l0) = softmax(l)[1].
//
// Used by `polyplens eval`, the video pipeline and exports. No torch in this header (pimpl), so Qt
// code includes it cheaply.
//
// Threading model: a Predictor is not thread-safe; use it from one thread at a time (the pipeline's
// inference thread). Construction may happen on another thread than use.
#include <memory>
#include <string>

#include <opencv2/core.hpp>

namespace pl::model {
class AnnSegmentorImpl;
}

namespace pl::core::inference {

struct PredictorOptions {
  std::string device = "auto";  // auto | cpu | cuda
  int input_h = 0, input_w = 0; // network input; 0 = the model's own (preset) size
  int threads = 0;              // > 0: at::set_num_threads for the calling thread at construction
  // Checkpoints only (a shared in-memory model always runs as it is, in fp32):
  bool fold_bn = true;          // fold BatchNorm into the convs
  std::string dtype = "auto";   // auto (model/inference.h's measured default: bf16 on CPUs with native
                                // bf16, fp16 on CUDA, else fp32) | fp32 | bf16 | fp16

  void validate() const;        // throws std::invalid_argument naming the bad value
};

struct PredictTimings {
  double preprocess_ms = 0, infer_ms = 0, postprocess_ms = 0;
  double total_ms() const { return preprocess_ms + infer_ms + postprocess_ms; }
};

struct Prediction {
  cv::Mat mask;  // CV_8U, frame size, class ids (0 background, 1 polyp)
  cv::Mat prob;  // CV_32F, frame size, polyp probability; empty unless asked for
  PredictTimings timings;
};

struct PredictorInfo {
  std::string preset, device, dtype, checkpoint, content_hash;
  int input_h = 0, input_w = 0, num_classes = 0;
};

class Predictor {
 public:
  // Loads a checkpoint (model/checkpoint.h). Throws pl::model::CheckpointError or
  // std::invalid_argument / std::runtime_error (e.g. cuda asked for but absent).
  explicit Predictor(const std::string& checkpoint_path, const PredictorOptions& options = {});
  // Uses a model in memory (shared, not copied; it is switched to eval mode for each call).
  explicit Predictor(std::shared_ptr<pl::model::AnnSegmentorImpl> model, const PredictorOptions& options = {});
  ~Predictor();
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;

  // frame: CV_8UC3 BGR (CV_8UC1 gray and CV_8UC4 BGRA are converted). Throws std::invalid_argument
  // for empty or unsupported frames.
  Prediction predict(const cv::Mat& frame, bool with_prob = false);

  const PredictorInfo& info() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pl::core::inference
