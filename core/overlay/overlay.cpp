#include "core/overlay/overlay.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <optional>
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

}  // namespace

MaskUpsampler::MaskUpsampler(cv::Size frame, cv::Size mask) : frame_(frame), mask_(mask) {
  if (frame.width <= 0 || frame.height <= 0 || mask.width <= 0 || mask.height <= 0)
    throw std::invalid_argument("MaskUpsampler: sizes must be positive");
  const float scale_x = static_cast<float>(mask.width) / static_cast<float>(frame.width);
  x0_.resize(static_cast<size_t>(frame.width));
  x1_.resize(x0_.size());
  fx_.resize(x0_.size());
  for (int x = 0; x < frame.width; ++x) {
    float fx = 0;
    int i0 = 0, i1 = 0;
    source_position(x, scale_x, mask.width, i0, i1, fx);
    x0_[static_cast<size_t>(x)] = i0;
    x1_[static_cast<size_t>(x)] = i1;
    fx_[static_cast<size_t>(x)] = fx;
  }
  scale_y_ = static_cast<float>(mask.height) / static_cast<float>(frame.height);
}

void MaskUpsampler::source_position(int x, float scale, int n, int& i0, int& i1, float& f) {
  const float s = (static_cast<float>(x) + 0.5f) * scale - 0.5f;
  const float fl = std::floor(s);
  f = s - fl;
  const int i = static_cast<int>(fl);
  i0 = std::clamp(i, 0, n - 1);
  i1 = std::clamp(i + 1, 0, n - 1);
}

std::vector<cv::Vec2i> MaskUpsampler::column_bounds(const cv::Mat& mask) {
  std::vector<cv::Vec2i> b(static_cast<size_t>(mask.rows), cv::Vec2i(mask.cols, -1));
  for (int j = 0; j < mask.rows; ++j) {
    const uchar* r = mask.ptr<uchar>(j);
    int first = 0, last = mask.cols - 1;
    while (first < mask.cols && !r[first]) ++first;
    if (first == mask.cols) continue;
    while (!r[last]) --last;
    b[static_cast<size_t>(j)] = cv::Vec2i(first, last);
  }
  return b;
}

bool MaskUpsampler::row_span(const cv::Mat& mask, const std::vector<cv::Vec2i>& bounds, int y, float* m, int& xb,
                             int& xe) const {
  int j0 = 0, j1 = 0;
  float fy = 0;
  source_position(y, scale_y_, mask_.height, j0, j1, fy);
  const cv::Vec2i b0 = bounds[static_cast<size_t>(j0)], b1 = bounds[static_cast<size_t>(j1)];
  const int first = std::min(b0[0], b1[0]), last = std::max(b0[1], b1[1]);
  if (first > last) return false;
  // Frame columns whose taps reach [first, last]: x1 >= first and x0 <= last (both non-decreasing in x).
  xb = static_cast<int>(std::lower_bound(x1_.begin(), x1_.end(), first) - x1_.begin());
  xe = static_cast<int>(std::upper_bound(x0_.begin(), x0_.end(), last) - x0_.begin());
  const uchar* r0 = mask.ptr<uchar>(j0);
  const uchar* r1 = mask.ptr<uchar>(j1);
  for (int x = xb; x < xe; ++x) {
    const size_t i = static_cast<size_t>(x);
    const float a = r0[x0_[i]] ? 1.0f : 0.0f, b = r0[x1_[i]] ? 1.0f : 0.0f;
    const float c = r1[x0_[i]] ? 1.0f : 0.0f, d = r1[x1_[i]] ? 1.0f : 0.0f;
    const float top = a + (b - a) * fx_[i];
    const float bottom = c + (d - c) * fx_[i];
    m[x] = top + (bottom - top) * fy;
  }
  return xb < xe;
}

bool MaskUpsampler::row(const cv::Mat& mask, int y, float* m) const {
  const std::vector<cv::Vec2i> bounds = column_bounds(mask);
  int xb = 0, xe = 0;
  if (!row_span(mask, bounds, y, m, xb, xe)) return false;
  std::fill(m, m + xb, 0.0f);
  std::fill(m + xe, m + frame_.width, 0.0f);
  return true;
}

namespace {

// Blends pixel x of a row with colour bg + (polyp - bg) * m, rounded half up like the fixed-point path:
// out = floor((v * (256 - a) + colour * a) / 256 + 0.5). For m in {0, 1} this is exactly blend_span.
inline void blend_weighted(const uchar* src, uchar* dst, float m, int a, const cv::Vec3b& polyp,
                           const cv::Vec3b& bg) {
  for (int c = 0; c < 3; ++c) {
    const float colour = static_cast<float>(bg[c]) + (static_cast<float>(polyp[c]) - static_cast<float>(bg[c])) * m;
    const float v = (static_cast<float>(src[c]) * static_cast<float>(256 - a) + colour * static_cast<float>(a)) / 256.0f;
    dst[c] = static_cast<uchar>(std::floor(v + 0.5f));
  }
}

// The polyp pixels at the frame's size (0/255): the mask itself at the frame's size, else the
// upsampled weight >= 0.5; nothing outside the view.
cv::Mat polyp_pixels(const cv::Mat& mask, cv::Size size, const FieldOfView* view) {
  cv::Mat p;
  if (mask.size() == size) {
    p = mask != 0;
  } else {
    p = cv::Mat::zeros(size, CV_8UC1);
    const MaskUpsampler up(size, mask.size());
    const std::vector<cv::Vec2i> bounds = MaskUpsampler::column_bounds(mask);
    std::vector<float> m(static_cast<size_t>(size.width));
    for (int y = 0; y < size.height; ++y) {
      int xb = 0, xe = 0;
      if (!up.row_span(mask, bounds, y, m.data(), xb, xe)) continue;
      uchar* r = p.ptr<uchar>(y);
      for (int x = xb; x < xe; ++x) r[x] = m[static_cast<size_t>(x)] >= 0.5f ? 255 : 0;
    }
  }
  return view ? view->clip(p) : p;
}

}  // namespace

cv::Mat upsample_mask(const cv::Mat& mask, cv::Size size) {
  if (mask.empty()) return {};
  if (mask.type() != CV_8UC1) throw std::invalid_argument("upsample_mask: the mask must be CV_8UC1");
  return polyp_pixels(mask, size, nullptr) / 255;
}

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
  // A view found on the model's scaled copy of the frame has the frame's shape: scale it.
  std::optional<FieldOfView> scaled;
  if (view && view->size() != bgr.size()) {
    if (!same_shape(view->size(), bgr.size()))
      throw std::invalid_argument("compose_overlay: the field of view is " + std::to_string(view->size().width) + "x" +
                                  std::to_string(view->size().height) + " but the frame is " +
                                  std::to_string(bgr.cols) + "x" + std::to_string(bgr.rows));
    scaled = view->scaled(bgr.size());
    view = &*scaled;
  }
  if (view && (view->is_full() || !options.limit_to_view)) view = nullptr;
  if (mask.empty() || options.mode == OverlayMode::Off || options.alpha == 0.0) {
    bgr.copyTo(out);
    return;
  }
  const int a = alpha_256(options.alpha);
  const auto w = static_cast<uint16_t>(256 - a);
  const std::vector<uint16_t> kp = row_constants(options.polyp_bgr, a, bgr.cols);
  out.create(bgr.size(), CV_8UC3);
  if (options.mode == OverlayMode::Fill && mask.size() == bgr.size()) {
    const cv::Mat m = view ? view->clip(mask != 0) : mask;
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
  if (options.mode == OverlayMode::Fill) {
    // A mask at the model's resolution: each frame pixel's polyp weight is the mask upsampled
    // bilinearly (MaskUpsampler), so edges are smooth; the view's GPU compositor does the same.
    const MaskUpsampler up(bgr.size(), mask.size());
    const std::vector<cv::Vec2i> bounds = MaskUpsampler::column_bounds(mask);
    const std::vector<uint16_t> kb = row_constants(options.background_bgr, a, bgr.cols);
    cv::parallel_for_(cv::Range(0, bgr.rows), [&](const cv::Range& rows) {
      std::vector<float> m(static_cast<size_t>(bgr.cols));
      for (int y = rows.start; y < rows.end; ++y) {
        const uchar* src = bgr.ptr<uchar>(y);
        uchar* dst = out.ptr<uchar>(y);
        int x0 = 0, x1 = bgr.cols;
        if (view) {
          const auto s = view->span(y);
          x0 = s[0];
          x1 = std::max(s[0], s[1]);
          std::copy(src, src + x0 * 3, dst);
          std::copy(src + x1 * 3, src + bgr.cols * 3, dst + x1 * 3);
        }
        int xb = 0, xe = 0;
        if (!up.row_span(mask, bounds, y, m.data(), xb, xe) || xe <= x0 || xb >= x1) {
          blend_span(src + x0 * 3, dst + x0 * 3, (x1 - x0) * 3, w, kb.data() + x0 * 3);
          continue;
        }
        xb = std::max(xb, x0);
        xe = std::min(xe, x1);
        blend_span(src + x0 * 3, dst + x0 * 3, (xb - x0) * 3, w, kb.data() + x0 * 3);
        blend_span(src + xe * 3, dst + xe * 3, (x1 - xe) * 3, w, kb.data() + xe * 3);
        for (int x = xb; x < xe; ++x) {
          const float mx = m[static_cast<size_t>(x)];
          const uchar* s = src + x * 3;
          uchar* d = dst + x * 3;
          if (mx == 0.0f) {
            for (int c = 0; c < 3; ++c) d[c] = static_cast<uchar>((s[c] * w + kb[static_cast<size_t>(x) * 3 + c]) >> 8);
          } else if (mx == 1.0f) {
            for (int c = 0; c < 3; ++c) d[c] = static_cast<uchar>((s[c] * w + kp[static_cast<size_t>(x) * 3 + c]) >> 8);
          } else {
            blend_weighted(s, d, mx, a, options.polyp_bgr, options.background_bgr);
          }
        }
      }
    });
    return;
  }
  // Outline: the polyp pixels within outline_thickness (Chebyshev distance) of a non-polyp pixel,
  // frame edges replicated (a polyp cut by the frame's edge is not outlined along it).
  bgr.copyTo(out);
  const cv::Mat p = polyp_pixels(mask, bgr.size(), view);
  const int t = options.outline_thickness;
  cv::Mat inner;
  cv::erode(p, inner, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * t + 1, 2 * t + 1)), cv::Point(-1, -1), 1,
            cv::BORDER_REPLICATE);
  const cv::Mat band = p & ~inner;
  const cv::Rect box = cv::boundingRect(band);
  for (int y = box.y; y < box.y + box.height; ++y)
    blend_masked(bgr.ptr<uchar>(y), out.ptr<uchar>(y), band.ptr<uchar>(y), box.x, box.x + box.width, w, kp.data());
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
