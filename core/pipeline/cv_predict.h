#pragma once
// The Predictor for OpenCV frames (the live pipeline, annotate, exports, the sample clip's score):
// OpenCV resizes the frame to the model's content size (area filter when shrinking) and the logits
// back to the frame (bilinear), around Predictor::infer(). `polyplens eval` uses Predictor::predict(),
// which does the same steps on torch tensors; the two agree to within resampling differences.
#include <opencv2/core.hpp>

#include "core/inference/predictor.h"

namespace pl::core {

// Where the mask is made: at the frame's size (logits resized bilinearly, then thresholded: eval,
// annotate, exports), or at the model's letterbox content size (thresholded where the model
// answered; the live view upsamples it on the GPU, docs/architecture.md "Overlay").
enum class MaskAt { Frame, Content };

struct CvPrediction {
  cv::Mat mask;  // CV_8U, class ids (0 background, 1 polyp): frame size, or content size (MaskAt)
  cv::Mat prob;  // CV_32F, the mask's size, polyp probability; empty unless asked for
  inference::PredictTimings timings;
};

// A view of an 8-bit BGR, gray or BGRA cv::Mat (no copy). Throws std::invalid_argument otherwise.
inference::ImageView image_view(const cv::Mat& bgr);

// frame: CV_8UC3 BGR (CV_8UC1 gray and CV_8UC4 BGRA are converted). Throws std::invalid_argument
// for empty or unsupported frames.
CvPrediction cv_predict(inference::Predictor& predictor, const cv::Mat& frame, bool with_prob = false);

// The same for a frame the video source's model branch already scaled (Frame::source_size;
// docs/architecture.md "The video pipeline"): `frame` is resized to content_size(source_size) only
// if it is not that size already, and the mask and prob are at `source_size`, the full frame's size.
// An empty `source_size` means `frame` is the full frame (the overload above).
CvPrediction cv_predict(inference::Predictor& predictor, const cv::Mat& frame, cv::Size source_size,
                        bool with_prob = false, MaskAt at = MaskAt::Frame);

}  // namespace pl::core
