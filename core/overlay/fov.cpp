#include "core/overlay/fov.h"

#include <algorithm>
#include <cmath>
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

cv::Mat FieldOfView::to_mask() const {
  cv::Mat m = cv::Mat::zeros(size_, CV_8UC1);
  for (int y = 0; y < m.rows; ++y) {
    const auto s = span(y);
    if (s[1] > s[0]) m.row(y).colRange(s[0], s[1]).setTo(255);
  }
  return m;
}

std::optional<FieldOfView> detect_field_of_view(const cv::Mat& bgr, const FovOptions& o) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("detect_field_of_view: the frame must be a non-empty CV_8UC3 image, got type " +
                                std::to_string(bgr.type()));
  const int w = std::min(o.work_width, bgr.cols);
  const int h = std::max(1, static_cast<int>(std::lround(static_cast<double>(bgr.rows) * w / bgr.cols)));
  cv::Mat small;
  cv::resize(bgr, small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  cv::Mat ch[3], bright;
  cv::split(small, ch);
  cv::max(ch[0], ch[1], bright);
  cv::max(bright, ch[2], bright);
  cv::Mat lit = bright > o.threshold;
  cv::morphologyEx(lit, lit, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(lit, labels, stats, centroids, 8, CV_32S);
  int best = -1, best_area = 0;
  for (int i = 1; i < n; ++i) {
    const int a = stats.at<int>(i, cv::CC_STAT_AREA);
    if (a > best_area) best_area = a, best = i;
  }
  const double total = static_cast<double>(w) * h;
  if (best < 0 || best_area < o.min_fraction * total) return std::nullopt;
  std::vector<cv::Point> points;
  cv::findNonZero(labels == best, points);
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
