#pragma once
// FrameSegmenter: what the video pipeline needs from a model. The InferenceWorker owns one and calls
// it from its own thread only, so implementations need not be thread-safe (one call at a time).
#include <memory>
#include <string>

#include <opencv2/core.hpp>

namespace pl::core {

struct SegmentResult {
  cv::Mat mask;                 // CV_8U, 0 = background, 1 = polyp, the (source) frame's size or,
                                // when the segmenter was asked for it, the model's content size
  double preprocess_ms = 0.0;   // resize/normalise/upload
  double infer_ms = 0.0;        // the forward pass
  double postprocess_ms = 0.0;  // argmax, resize back, download
};

class FrameSegmenter {
 public:
  virtual ~FrameSegmenter();
  // `bgr` is CV_8UC3. Throws on failure (the worker catches, counts and reports it).
  virtual SegmentResult segment(const cv::Mat& bgr) = 0;
  // `bgr` is a frame of `source_size` already scaled down by the video source's model branch
  // (Frame::source_size; docs/architecture.md "The video pipeline"); the mask is at `source_size`.
  // An empty `source_size`, or bgr's own size, is segment(bgr). The default segments the small image
  // and scales the mask up (nearest); PredictorSegmenter skips its own resize when `bgr` already has
  // the model's content size for `source_size`.
  virtual SegmentResult segment(const cv::Mat& bgr, cv::Size source_size);
  // The network input (height x width) the model letterboxes frames into; {0, 0} = unknown (no
  // model branch is asked of the source).
  virtual cv::Size input_box() const { return {}; }
  // For the HUD/status bar: "ANN-R50 (ann_r50.pt) on CPU, 2 threads".
  virtual std::string describe() const = 0;
};

// The pipeline and the review jobs own their segmenter (unique_ptr); a model loaded once (e.g. on a
// loader thread, travelling through a QFuture) is a shared_ptr. This wraps it for one owner; the
// wrapper must be the only caller of segment() once handed over.
std::unique_ptr<FrameSegmenter> share_segmenter(std::shared_ptr<FrameSegmenter> segmenter);

}  // namespace pl::core
