#pragma once
// One frame in, one mask out: the test-time path of docs/model.md §7 for an 8-bit image of any size.
//   RGB -> resize keeping the aspect ratio to fit the model's input size (antialiased when
//   shrinking), pad bottom/right, normalise -> model (InferenceMode, GPU when available) ->
//   crop the padding -> bilinear (align_corners=false) to the frame size -> argmax.
// For two classes the last two steps run on the logit difference (bilinear resizing is linear, so
// resize(l1) - resize(l0) = resize(l1 - l0)): half the work, the same mask, and the polyp
// probability is sigmoid(l1 - l0) = softmax(l)[1].
//
// Needs LibTorch only: `polyplens eval` and `figure` use predict() in the headless build and the
// desktop build alike, so both print the same figures. The live half (OpenCV frames) resizes with
// its own filter and calls infer() on the resized image (core/pipeline/cv_predict.h). No torch in
// this header (pimpl), so Qt code includes it cheaply.
//
// Threading model: a Predictor is not thread-safe; use it from one thread at a time (the pipeline's
// inference thread). Construction may happen on another thread than use.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

// A borrowed 8-bit image: 1 (gray), 3 or 4 (alpha last, ignored) channels, rows `row_bytes` apart.
struct ImageView {
  enum class Order { BGR, RGB };
  const uint8_t* data = nullptr;
  int height = 0, width = 0, channels = 0;
  size_t row_bytes = 0;  // 0 = width * channels
  Order order = Order::BGR;
};

struct PredictTimings {
  double preprocess_ms = 0, infer_ms = 0, postprocess_ms = 0;
  double total_ms() const { return preprocess_ms + infer_ms + postprocess_ms; }
};

struct Prediction {
  int height = 0, width = 0;  // the frame's size
  std::vector<uint8_t> mask;  // height x width class ids (0 background, 1 polyp), row-major
  std::vector<float> prob;    // height x width polyp probability; empty unless asked for
  PredictTimings timings;
};

// The model's output before it is resized to the frame: at the letterbox content size.
struct ContentLogits {
  int height = 0, width = 0, classes = 0;
  // classes == 2: height x width logit differences l1 - l0 (> 0 = polyp);
  // otherwise classes x height x width logits.
  std::vector<float> values;
  PredictTimings timings;  // preprocess and infer only
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

  // The whole path on torch tensors. Throws std::invalid_argument for empty or unsupported images.
  Prediction predict(const ImageView& frame, bool with_prob = false);

  // The size an image of frame_h x frame_w is resized to before it is padded to the model's input.
  void content_size(int frame_h, int frame_w, int& content_h, int& content_w) const;
  // Normalise, pad and run the model on an image already resized to content_size(frame_h, frame_w)
  // by the caller. Throws std::invalid_argument if its size is not that.
  ContentLogits infer(const ImageView& content, int frame_h, int frame_w);

  const PredictorInfo& info() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pl::core::inference
