#include "core/overlay/overlay.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace pl::core {
namespace {

// 3-channel lookup table: lut[v] = round(v * (1 - a) + c * a) per channel. Blending by table lookup
// gives the same bytes on every machine and costs one OpenCV LUT pass (SIMD, multi-threaded).
cv::Mat blend_lut(const cv::Vec3b& colour, double alpha) {
  cv::Mat lut(1, 256, CV_8UC3);
  for (int v = 0; v < 256; ++v) {
    for (int c = 0; c < 3; ++c) {
      const double x = v * (1.0 - alpha) + colour[c] * alpha;
      lut.at<cv::Vec3b>(0, v)[c] = cv::saturate_cast<uchar>(std::floor(x + 0.5));
    }
  }
  return lut;
}

void check_inputs(const cv::Mat& bgr, const cv::Mat& mask) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("compose_overlay: the frame must be a non-empty CV_8UC3 image, got type " +
                                std::to_string(bgr.type()));
  if (!mask.empty() && mask.type() != CV_8UC1)
    throw std::invalid_argument("compose_overlay: the mask must be CV_8UC1, got type " + std::to_string(mask.type()));
}

cv::Mat mask_at_frame_size(const cv::Mat& mask, cv::Size size) {
  if (mask.size() == size) return mask;
  cv::Mat resized;
  cv::resize(mask, resized, size, 0, 0, cv::INTER_NEAREST);
  return resized;
}

}  // namespace

const char* to_string(OverlayMode m) {
  switch (m) {
    case OverlayMode::Off: return "off";
    case OverlayMode::Fill: return "fill";
    case OverlayMode::Outline: return "outline";
  }
  return "unknown";
}

OverlayMode overlay_mode_from_string(const std::string& s) {
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "fill") return OverlayMode::Fill;
  if (l == "outline") return OverlayMode::Outline;
  if (l == "off" || l == "none") return OverlayMode::Off;
  throw std::invalid_argument("overlay mode must be fill, outline or off, got '" + s + "'");
}

void OverlayOptions::validate() const {
  if (!(alpha >= 0.0 && alpha <= 1.0))
    throw std::invalid_argument("overlay alpha must be in [0, 1], got " + std::to_string(alpha));
  if (outline_thickness < 1 || outline_thickness > 64)
    throw std::invalid_argument("overlay outline thickness must be in [1, 64] px, got " +
                                std::to_string(outline_thickness));
}

void compose_overlay_into(const cv::Mat& bgr, const cv::Mat& mask, const OverlayOptions& options,
                          cv::Mat& out) {
  options.validate();
  check_inputs(bgr, mask);
  if (mask.empty() || options.mode == OverlayMode::Off || options.alpha == 0.0) {
    bgr.copyTo(out);
    return;
  }
  const cv::Mat m = mask_at_frame_size(mask, bgr.size());
  if (options.mode == OverlayMode::Fill) {
    cv::LUT(bgr, blend_lut(options.background_bgr, options.alpha), out);
    // Polyps cover a small part of the frame: blend only their bounding box a second time.
    const cv::Rect box = cv::boundingRect(m);
    if (box.area() > 0) {
      cv::Mat polyp;
      cv::LUT(bgr(box), blend_lut(options.polyp_bgr, options.alpha), polyp);
      cv::Mat roi = out(box);
      polyp.copyTo(roi, m(box));
    }
    return;
  }
  // Outline: draw the contours into a stencil, then blend only the stencil's pixels.
  bgr.copyTo(out);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(m != 0, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
  if (contours.empty()) return;
  cv::Mat stencil = cv::Mat::zeros(bgr.size(), CV_8UC1);
  cv::drawContours(stencil, contours, -1, cv::Scalar(255), options.outline_thickness, cv::LINE_8);
  if (options.alpha == 1.0) {
    out.setTo(cv::Scalar(options.polyp_bgr[0], options.polyp_bgr[1], options.polyp_bgr[2]), stencil);
  } else {
    cv::Mat polyp;
    cv::LUT(bgr, blend_lut(options.polyp_bgr, options.alpha), polyp);
    polyp.copyTo(out, stencil);
  }
}

cv::Mat compose_overlay(const cv::Mat& bgr, const cv::Mat& mask, const OverlayOptions& options) {
  cv::Mat out;
  compose_overlay_into(bgr, mask, options, out);
  return out;
}

double polyp_area_percent(const cv::Mat& mask) {
  if (mask.empty()) return 0.0;
  CV_Assert(mask.type() == CV_8UC1);
  return 100.0 * cv::countNonZero(mask) / static_cast<double>(mask.total());
}

}  // namespace pl::core
