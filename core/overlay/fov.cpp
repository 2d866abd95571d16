#include "core/overlay/fov.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <opencv2/imgproc.hpp>

namespace pl::core {

FieldOfView FieldOfView::full(cv::Size size) {
  FieldOfView v;
  v.size_ = size;
  v.full_ = true;
  return v;
}

FieldOfView FieldOfView::from_mask(const cv::Mat& inside) {
  CV_Assert(inside.type() == CV_8UC1);
  FieldOfView v;
  v.size_ = inside.size();
  v.full_ = false;
  v.spans_.assign(static_cast<size_t>(inside.rows), cv::Vec2i(0, 0));
  for (int y = 0; y < inside.rows; ++y) {
    const uchar* r = inside.ptr<uchar>(y);
    int x0 = 0, x1 = inside.cols;
    while (x0 < inside.cols && !r[x0]) ++x0;
    while (x1 > x0 && !r[x1 - 1]) --x1;
    v.spans_[static_cast<size_t>(y)] = x0 < x1 ? cv::Vec2i(x0, x1) : cv::Vec2i(0, 0);
  }
  return v;
}

double FieldOfView::area_fraction() const {
  if (full_) return 1.0;
  const double total = static_cast<double>(size_.area());
  if (total <= 0) return 0.0;
  double n = 0;
  for (const auto& s : spans_) n += s[1] - s[0];
  return n / total;
}

cv::Mat FieldOfView::clip(const cv::Mat& mask) const {
  if (mask.empty() || full_) return mask;
  if (mask.size() != size_ || mask.type() != CV_8UC1)
    throw std::invalid_argument("FieldOfView::clip: the mask must be CV_8UC1 of the view's size");
  cv::Mat out = mask.clone();
  for (int y = 0; y < out.rows; ++y) {
    uchar* r = out.ptr<uchar>(y);
    const auto s = span(y);
    std::fill(r, r + s[0], uchar(0));
    std::fill(r + s[1], r + out.cols, uchar(0));
  }
  return out;
}

FieldOfView FieldOfView::scaled(cv::Size size) const {
  if (size.width <= 0 || size.height <= 0) throw std::invalid_argument("FieldOfView::scaled: empty size");
  if (full_) return full(size);
  if (size == size_) return *this;
  FieldOfView v;
  v.size_ = size;
  v.full_ = false;
  v.spans_.resize(static_cast<size_t>(size.height));
  const double sx = static_cast<double>(size.width) / size_.width;
  for (int y = 0; y < size.height; ++y) {
    const int from = std::min(size_.height - 1, static_cast<int>((y + 0.5) * size_.height / size.height));
    const auto s = spans_[static_cast<size_t>(from)];
    const int x0 = std::clamp(static_cast<int>(std::lround(s[0] * sx)), 0, size.width);
    const int x1 = std::clamp(static_cast<int>(std::lround(s[1] * sx)), x0, size.width);
    v.spans_[static_cast<size_t>(y)] = cv::Vec2i(x0, x1);
  }
  return v;
}

bool same_shape(cv::Size a, cv::Size b) {
  if (a.empty() || b.empty()) return false;
  const double ra = static_cast<double>(a.width) / a.height, rb = static_cast<double>(b.width) / b.height;
  return std::abs(ra / rb - 1.0) <= 0.02;
}

std::shared_ptr<const FieldOfView> view_for_frame(const std::shared_ptr<const FieldOfView>& view, cv::Size frame) {
  if (!view || frame.empty()) return nullptr;
  if (view->size() == frame) return view;
  if (!same_shape(view->size(), frame)) return nullptr;
  return std::make_shared<const FieldOfView>(view->scaled(frame));
}

cv::Mat FieldOfView::to_mask() const {
  cv::Mat m = cv::Mat::zeros(size_, CV_8UC1);
  for (int y = 0; y < m.rows; ++y) {
    const auto s = span(y);
    if (s[1] > s[0]) m.row(y).colRange(s[0], s[1]).setTo(255);
  }
  return m;
}

namespace {

// Everything below runs on the caller's thread alone (no OpenCV parallel loops): the inference worker
// calls it, and a tiny image gains nothing from a thread pool.

// Brightness max(B, G, R) of `bgr`, averaged over the w x h blocks that tile it (an area filter).
cv::Mat block_brightness(const cv::Mat& bgr, int w, int h) {
  std::vector<int> col_block(static_cast<size_t>(bgr.cols));
  for (int x = 0; x < bgr.cols; ++x) col_block[static_cast<size_t>(x)] = static_cast<int>(int64_t(x) * w / bgr.cols);
  std::vector<uint64_t> sum(static_cast<size_t>(w) * h, 0), count(static_cast<size_t>(w) * h, 0);
  for (int y = 0; y < bgr.rows; ++y) {
    const size_t row = static_cast<size_t>(int64_t(y) * h / bgr.rows) * static_cast<size_t>(w);
    const uchar* p = bgr.ptr<uchar>(y);
    for (int x = 0; x < bgr.cols; ++x, p += 3) {
      const size_t i = row + static_cast<size_t>(col_block[static_cast<size_t>(x)]);
      sum[i] += std::max({p[0], p[1], p[2]});
      ++count[i];
    }
  }
  cv::Mat out(h, w, CV_8UC1);
  for (int i = 0; i < w * h; ++i)
    out.data[i] = static_cast<uchar>(count[static_cast<size_t>(i)] ? (sum[static_cast<size_t>(i)] + count[static_cast<size_t>(i)] / 2) /
                                                                       count[static_cast<size_t>(i)]
                                                                 : 0);
  return out;
}

// 3x3 min (erode) or max (dilate) of a 0/255 image over the neighbours inside the image.
cv::Mat filter3x3(const cv::Mat& in, bool take_min) {
  cv::Mat out(in.size(), CV_8UC1);
  for (int y = 0; y < in.rows; ++y)
    for (int x = 0; x < in.cols; ++x) {
      uchar v = in.at<uchar>(y, x);
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int yy = y + dy, xx = x + dx;
          if (yy < 0 || xx < 0 || yy >= in.rows || xx >= in.cols) continue;
          const uchar n = in.at<uchar>(yy, xx);
          v = take_min ? std::min(v, n) : std::max(v, n);
        }
      out.at<uchar>(y, x) = v;
    }
  return out;
}

cv::Mat open3x3(const cv::Mat& in) { return filter3x3(filter3x3(in, true), false); }

// The pixels of the largest 8-connected non-zero region.
std::vector<cv::Point> largest_region(const cv::Mat& lit) {
  cv::Mat seen = cv::Mat::zeros(lit.size(), CV_8UC1);
  std::vector<cv::Point> best, region, stack;
  for (int y = 0; y < lit.rows; ++y)
    for (int x = 0; x < lit.cols; ++x) {
      if (!lit.at<uchar>(y, x) || seen.at<uchar>(y, x)) continue;
      region.clear();
      stack.assign(1, cv::Point(x, y));
      seen.at<uchar>(y, x) = 1;
      while (!stack.empty()) {
        const cv::Point p = stack.back();
        stack.pop_back();
        region.push_back(p);
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            const int yy = p.y + dy, xx = p.x + dx;
            if (yy < 0 || xx < 0 || yy >= lit.rows || xx >= lit.cols) continue;
            if (!lit.at<uchar>(yy, xx) || seen.at<uchar>(yy, xx)) continue;
            seen.at<uchar>(yy, xx) = 1;
            stack.emplace_back(xx, yy);
          }
      }
      if (region.size() > best.size()) best.swap(region);
    }
  return best;
}

}  // namespace

std::optional<FieldOfView> detect_field_of_view(const cv::Mat& bgr, const FovOptions& o) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("detect_field_of_view: the frame must be a non-empty CV_8UC3 image, got type " +
                                std::to_string(bgr.type()));
  const int w = std::min(o.work_width, bgr.cols);
  const int h = std::max(1, static_cast<int>(std::lround(static_cast<double>(bgr.rows) * w / bgr.cols)));
  const cv::Mat bright = block_brightness(bgr, w, h);
  cv::Mat lit = bright > o.threshold;
  lit = open3x3(lit);
  const double total = static_cast<double>(w) * h;
  std::vector<cv::Point> points = largest_region(lit);
  if (points.empty() || static_cast<double>(points.size()) < o.min_fraction * total) return std::nullopt;
  std::vector<cv::Point> hull;
  cv::convexHull(points, hull);
  if (cv::contourArea(hull) >= o.full_fraction * total) return FieldOfView::full(bgr.size());
  // Back to the frame: the hull's pixel centres, scaled (a small pixel x covers [x, x + 1)). The area
  // filter already lit the small pixels that the view only partly covers; a quarter of a small pixel
  // more, outward from the centre, keeps the polyps that annotators drew up to the rim (on Kvasir-SEG
  // a hull without it cut up to 0.2 % of a polyp touching the rim).
  const double sx = static_cast<double>(bgr.cols) / w, sy = static_cast<double>(bgr.rows) / h;
  cv::Point2d c(0, 0);
  for (const auto& p : hull) c += cv::Point2d((p.x + 0.5) * sx, (p.y + 0.5) * sy);
  c *= 1.0 / static_cast<double>(hull.size());
  const double grow = 0.25 * std::max(sx, sy);
  std::vector<cv::Point> scaled;
  scaled.reserve(hull.size());
  for (const auto& p : hull) {
    const cv::Point2d q((p.x + 0.5) * sx, (p.y + 0.5) * sy);
    const cv::Point2d d = q - c;
    const cv::Point2d r = q + d * (grow / std::max(1e-9, std::hypot(d.x, d.y)));
    // Where the view runs off the frame (a small pixel on the edge), it reaches the frame's edge.
    const int x = p.x == 0 ? 0 : p.x == w - 1 ? bgr.cols - 1 : static_cast<int>(std::lround(r.x));
    const int y = p.y == 0 ? 0 : p.y == h - 1 ? bgr.rows - 1 : static_cast<int>(std::lround(r.y));
    scaled.emplace_back(std::clamp(x, 0, bgr.cols - 1), std::clamp(y, 0, bgr.rows - 1));
  }
  cv::Mat inside = cv::Mat::zeros(bgr.size(), CV_8UC1);
  cv::fillConvexPoly(inside, scaled, cv::Scalar(255), cv::LINE_8);
  auto view = FieldOfView::from_mask(inside);
  if (view.area_fraction() >= o.full_fraction) return FieldOfView::full(bgr.size());
  return view;
}

std::shared_ptr<const FieldOfView> FieldOfViewTracker::update(const cv::Mat& bgr) {
  const bool due = !current_ || bgr.size() != size_ || ++since_ >= interval_;
  if (!due) return current_;
  since_ = 0;
  if (bgr.size() != size_) current_.reset();  // another source: the old view does not apply
  size_ = bgr.size();
  if (auto v = detect_field_of_view(bgr, options_)) current_ = std::make_shared<const FieldOfView>(std::move(*v));
  return current_;
}

void FieldOfViewTracker::reset() {
  current_.reset();
  since_ = 0;
  size_ = cv::Size();
}

}  // namespace pl::core
