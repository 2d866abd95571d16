#include "core/pipeline/cv_predict.h"

#include <chrono>
#include <stdexcept>
#include <string>

#include <opencv2/imgproc.hpp>

namespace pl::core {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

cv::Mat to_bgr(const cv::Mat& frame) {
  if (frame.empty()) throw std::invalid_argument("predict: empty frame");
  if (frame.depth() != CV_8U)
    throw std::invalid_argument("predict: frame must be 8-bit, got depth " + std::to_string(frame.depth()));
  cv::Mat bgr;
  switch (frame.channels()) {
    case 3: return frame;
    case 1: cv::cvtColor(frame, bgr, cv::COLOR_GRAY2BGR); return bgr;
    case 4: cv::cvtColor(frame, bgr, cv::COLOR_BGRA2BGR); return bgr;
    default: throw std::invalid_argument("predict: unsupported channel count " + std::to_string(frame.channels()));
  }
}

}  // namespace

inference::ImageView image_view(const cv::Mat& m) {
  if (m.empty() || m.depth() != CV_8U || (m.channels() != 1 && m.channels() != 3 && m.channels() != 4))
    throw std::invalid_argument("image_view: need an 8-bit image with 1, 3 or 4 channels");
  inference::ImageView v;
  v.data = m.data;
  v.height = m.rows;
  v.width = m.cols;
  v.channels = m.channels();
  v.row_bytes = m.step[0];
  v.order = inference::ImageView::Order::BGR;
  return v;
}

CvPrediction cv_predict(inference::Predictor& predictor, const cv::Mat& frame, bool with_prob) {
  return cv_predict(predictor, frame, cv::Size(), with_prob);
}

CvPrediction cv_predict(inference::Predictor& predictor, const cv::Mat& frame, cv::Size source_size, bool with_prob,
                        MaskAt at) {
  const auto t0 = Clock::now();
  const cv::Mat bgr = to_bgr(frame);
  // The frame the mask is for: `frame` itself, or the full frame a video source scaled it from.
  const cv::Size source = source_size.empty() ? bgr.size() : source_size;
  int ch = 0, cw = 0;
  predictor.content_size(source.height, source.width, ch, cw);
  cv::Mat content = bgr;  // already at the content size when the source's model branch scaled it
  if (ch != bgr.rows || cw != bgr.cols)
    cv::resize(bgr, content, cv::Size(cw, ch), 0, 0, ch < bgr.rows ? cv::INTER_AREA : cv::INTER_LINEAR);
  const double resize_ms = ms_since(t0);
  auto logits = predictor.infer(image_view(content), source.height, source.width);

  CvPrediction out;
  out.timings = logits.timings;
  out.timings.preprocess_ms += resize_ms;
  const auto t2 = Clock::now();
  const cv::Size frame_size = at == MaskAt::Content ? cv::Size(logits.width, logits.height) : source;
  auto to_frame = [&](float* plane) {
    cv::Mat small(logits.height, logits.width, CV_32F, plane), full;
    if (small.size() == frame_size) full = small.clone();
    else cv::resize(small, full, frame_size, 0, 0, cv::INTER_LINEAR);
    return full;
  };
  if (logits.classes == 2) {
    const cv::Mat full = to_frame(logits.values.data());
    out.mask = (full > 0.0f) / 255;  // comparisons give 0/255; class ids are 0/1
    if (with_prob) {
      cv::exp(-full, out.prob);
      out.prob = 1.0f / (1.0f + out.prob);
    }
  } else {
    const size_t plane = static_cast<size_t>(logits.height) * static_cast<size_t>(logits.width);
    cv::Mat best, best_cls = cv::Mat::zeros(frame_size, CV_8U), sum_exp;
    cv::Mat first;
    for (int k = 0; k < logits.classes; ++k) {
      const cv::Mat full = to_frame(logits.values.data() + plane * static_cast<size_t>(k));
      if (k == 0) {
        best = full.clone();
        first = full.clone();
      } else {
        const cv::Mat better = full > best;
        full.copyTo(best, better);
        best_cls.setTo(k, better);
      }
      if (with_prob) {
        cv::Mat e;
        cv::exp(full, e);
        if (k == 0) sum_exp = e;
        else sum_exp += e;
      }
    }
    out.mask = best_cls;
    if (with_prob) {  // 1 - softmax(background), as predict() reports it
      cv::Mat e0;
      cv::exp(first, e0);
      out.prob = 1.0f - e0 / sum_exp;
    }
  }
  out.timings.postprocess_ms = ms_since(t2);
  return out;
}

}  // namespace pl::core
