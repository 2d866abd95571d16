#include "core/review/detection_track.h"

#include <algorithm>
#include <cmath>

namespace pl::core::review {

DetectionTrack::DetectionTrack(int64_t frame_count, double fps, SegmentOptions options) : options_(options) {
  options_.validate();
  reset(frame_count, fps);
}

void DetectionTrack::reset(int64_t frame_count, double fps) {
  std::lock_guard<std::mutex> lock(mutex_);
  area_.assign(static_cast<size_t>(std::max<int64_t>(frame_count, 0)), kUnknownArea);
  known_ = 0;
  fps_ = fps > 0 && std::isfinite(fps) ? fps : 0;
  ++revision_;
}

void DetectionTrack::set_source(const std::string& source) {
  std::lock_guard<std::mutex> lock(mutex_);
  source_ = source;
}

std::string DetectionTrack::source() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return source_;
}

void DetectionTrack::record(int64_t frame, double area_fraction) {
  if (frame < 0) return;
  const float a = std::isfinite(area_fraction) ? static_cast<float>(std::clamp(area_fraction, 0.0, 1.0)) : 0.0f;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto i = static_cast<size_t>(frame);
  if (i >= area_.size()) area_.resize(i + 1, kUnknownArea);
  if (area_[i] < 0) ++known_;
  area_[i] = a;
  ++revision_;
}

void DetectionTrack::record_mask(int64_t frame, const cv::Mat& mask) {
  if (mask.empty()) return;
  record(frame, static_cast<double>(cv::countNonZero(mask)) / static_cast<double>(mask.total()));
}

void DetectionTrack::forget(int64_t frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (frame < 0 || static_cast<size_t>(frame) >= area_.size()) return;
  auto& a = area_[static_cast<size_t>(frame)];
  if (a >= 0) --known_;
  a = kUnknownArea;
  ++revision_;
}

void DetectionTrack::set_options(const SegmentOptions& options) {
  options.validate();
  std::lock_guard<std::mutex> lock(mutex_);
  options_ = options;
  ++revision_;
}

SegmentOptions DetectionTrack::options() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return options_;
}

int64_t DetectionTrack::frame_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(area_.size());
}

double DetectionTrack::fps() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fps_;
}

int64_t DetectionTrack::known_frames() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return known_;
}

bool DetectionTrack::known(int64_t frame) const { return area(frame) >= 0; }

float DetectionTrack::area(int64_t frame) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (frame < 0 || static_cast<size_t>(frame) >= area_.size()) return kUnknownArea;
  return area_[static_cast<size_t>(frame)];
}

std::vector<float> DetectionTrack::areas() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return area_;
}

uint64_t DetectionTrack::revision() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return revision_;
}

const std::vector<DetectionSegment>& DetectionTrack::segments_locked() const {
  if (cached_revision_ != revision_) {
    cached_ = find_segments(area_, options_);
    cached_revision_ = revision_;
  }
  return cached_;
}

std::vector<DetectionSegment> DetectionTrack::segments() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return segments_locked();
}

int64_t DetectionTrack::next_detection(int64_t frame) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_segment_start(segments_locked(), frame);
}

int64_t DetectionTrack::previous_detection(int64_t frame) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return previous_segment_start(segments_locked(), frame);
}

int DetectionTrack::segment_at(int64_t frame) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto& segs = segments_locked();
  const auto it = std::upper_bound(segs.begin(), segs.end(), frame,
                                   [](int64_t f, const DetectionSegment& s) { return f < s.start; });
  if (it == segs.begin() || !std::prev(it)->contains(frame)) return -1;
  return static_cast<int>(std::prev(it) - segs.begin());
}

std::vector<StripCell> DetectionTrack::strip(int cells) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto n = static_cast<int64_t>(area_.size());
  if (n == 0 || cells < 1) return {};
  cells = static_cast<int>(std::min<int64_t>(cells, n));
  const auto& segs = segments_locked();
  std::vector<StripCell> out(static_cast<size_t>(cells));
  size_t s = 0;  // first segment that may overlap the current cell
  for (int c = 0; c < cells; ++c) {
    StripCell& cell = out[static_cast<size_t>(c)];
    cell.first = n * c / cells;
    cell.last = n * (c + 1) / cells - 1;
    int64_t known = 0;
    for (int64_t i = cell.first; i <= cell.last; ++i) {
      const float a = area_[static_cast<size_t>(i)];
      if (a < 0) continue;
      ++known;
      cell.peak_area = std::max(cell.peak_area, a);
    }
    cell.coverage = static_cast<float>(known) / static_cast<float>(cell.last - cell.first + 1);
    while (s < segs.size() && segs[s].end < cell.first) ++s;
    const bool detected = s < segs.size() && segs[s].start <= cell.last;
    cell.state = detected ? StripCell::State::Detected
                          : known > 0 ? StripCell::State::Clear : StripCell::State::Unknown;
  }
  return out;
}

}  // namespace pl::core::review
