#include "core/overlay/overlay.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

namespace pl::core {
namespace {

// Fixed-point blending: alpha in 1/256 steps, out = (v * (256 - a) + c * a + 128) >> 8. The sum is at
// most 255 * 256 + 128, so it fits in 16 bits and the row loop vectorises (SSE/AVX) as it is.
int alpha_256(double alpha) { return static_cast<int>(std::lround(alpha * 256.0)); }

// Per-position additive constants for a row of BGR pixels: c[ch] * a + 128, repeated.
std::vector<uint16_t> row_constants(const cv::Vec3b& colour, int a, int cols) {
  std::vector<uint16_t> k(static_cast<size_t>(cols) * 3);
  for (int x = 0; x < cols; ++x)
    for (int c = 0; c < 3; ++c) k[static_cast<size_t>(x) * 3 + c] = static_cast<uint16_t>(colour[c] * a + 128);
  return k;
}

inline void blend_span(const uchar* src, uchar* dst, int n, uint16_t w, const uint16_t* k) {
  for (int i = 0; i < n; ++i) dst[i] = static_cast<uchar>((src[i] * w + k[i]) >> 8);
}

// Blends the pixels of row y where mask != 0 (x in [x0, x1)) with the constants k.
inline void blend_masked(const uchar* src, uchar* dst, const uchar* m, int x0, int x1, uint16_t w, const uint16_t* k) {
  for (int x = x0; x < x1; ++x) {
    if (!m[x]) continue;
    for (int c = 0; c < 3; ++c) dst[x * 3 + c] = static_cast<uchar>((src[x * 3 + c] * w + k[x * 3 + c]) >> 8);
  }
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
                          cv::Mat& out, const FieldOfView* view) {
  options.validate();
  check_inputs(bgr, mask);
  if (view && view->size() != bgr.size())
    throw std::invalid_argument("compose_overlay: the field of view is " + std::to_string(view->size().width) + "x" +
                                std::to_string(view->size().height) + " but the frame is " +
                                std::to_string(bgr.cols) + "x" + std::to_string(bgr.rows));
  if (view && (view->is_full() || !options.limit_to_view)) view = nullptr;
  if (mask.empty() || options.mode == OverlayMode::Off || options.alpha == 0.0) {
    bgr.copyTo(out);
    return;
  }
  const cv::Mat m = view ? view->clip(mask_at_frame_size(mask, bgr.size()) != 0) : mask_at_frame_size(mask, bgr.size());
  const int a = alpha_256(options.alpha);
  const auto w = static_cast<uint16_t>(256 - a);
  const std::vector<uint16_t> kp = row_constants(options.polyp_bgr, a, bgr.cols);
  out.create(bgr.size(), CV_8UC3);
  if (options.mode == OverlayMode::Fill) {
    const std::vector<uint16_t> kb = row_constants(options.background_bgr, a, bgr.cols);
    const cv::Rect box = cv::boundingRect(m);
    cv::parallel_for_(cv::Range(0, bgr.rows), [&](const cv::Range& rows) {
      for (int y = rows.start; y < rows.end; ++y) {
        const uchar* src = bgr.ptr<uchar>(y);
        uchar* dst = out.ptr<uchar>(y);
        if (view) {  // outside the view the frame stays as it is
          const auto s = view->span(y);
          std::copy(src, src + s[0] * 3, dst);
          std::copy(src + s[1] * 3, src + bgr.cols * 3, dst + s[1] * 3);
          blend_span(src + s[0] * 3, dst + s[0] * 3, (s[1] - s[0]) * 3, w, kb.data() + s[0] * 3);
        } else {
          blend_span(src, dst, bgr.cols * 3, w, kb.data());
        }
        if (y >= box.y && y < box.y + box.height) blend_masked(src, dst, m.ptr<uchar>(y), box.x, box.x + box.width, w, kp.data());
      }
    });
    return;
  }
  // Outline: the contours are drawn into a stencil, then only the stencil's pixels are blended.
  bgr.copyTo(out);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(m != 0, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
  if (contours.empty()) return;
  cv::Mat stencil = cv::Mat::zeros(bgr.size(), CV_8UC1);
  cv::drawContours(stencil, contours, -1, cv::Scalar(255), options.outline_thickness, cv::LINE_8);
  const cv::Rect box = cv::boundingRect(stencil);
  for (int y = box.y; y < box.y + box.height; ++y)
    blend_masked(bgr.ptr<uchar>(y), out.ptr<uchar>(y), stencil.ptr<uchar>(y), box.x, box.x + box.width, w, kp.data());
}

cv::Mat compose_overlay(const cv::Mat& bgr, const cv::Mat& mask, const OverlayOptions& options,
                        const FieldOfView* view) {
  cv::Mat out;
  compose_overlay_into(bgr, mask, options, out, view);
  return out;
}

double polyp_area_percent(const cv::Mat& mask) {
  if (mask.empty()) return 0.0;
  CV_Assert(mask.type() == CV_8UC1);
  return 100.0 * cv::countNonZero(mask) / static_cast<double>(mask.total());
}

}  // namespace pl::core
