#include "core/review/detection_track.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <opencv2/imgproc.hpp>

namespace pl::core::review {

DetectionTrack::DetectionTrack(int64_t frame_count, double fps, SegmentOptions options) : options_(options) {
  options_.validate();
  reset(frame_count, fps);
}

void DetectionTrack::reset(int64_t frame_count, double fps) {
  std::lock_guard<std::mutex> lock(mutex_);
  area_.assign(static_cast<size_t>(std::max<int64_t>(frame_count, 0)), kUnknownArea);
  footprint_.assign(area_.size(), Footprint{});
  has_footprint_.assign(area_.size(), 0);
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

namespace {

// The footprint of a mask's regions of at least `min_area` of the frame: a cell is set when such a
// region covers any of its pixels.
std::array<uint32_t, 24> footprint_of(const cv::Mat& mask, double min_area) {
  std::array<uint32_t, 24> fp{};
  cv::Mat regions = mask != 0;
  if (min_area > 0 && cv::countNonZero(regions) > 0) {
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(regions, labels, stats, centroids, 8, CV_32S);
    const double min_px = min_area * static_cast<double>(mask.total());
    for (int c = 1; c < n; ++c)
      if (stats.at<int>(c, cv::CC_STAT_AREA) < min_px) regions.setTo(0, labels == c);
  }
  for (int y = 0; y < regions.rows; ++y) {
    const uint8_t* r = regions.ptr<uint8_t>(y);
    uint32_t& row = fp[static_cast<size_t>(y * 24 / regions.rows)];
    for (int x = 0; x < regions.cols; ++x)
      if (r[x]) row |= 1u << (x * 32 / regions.cols);
  }
  return fp;
}

}  // namespace

void DetectionTrack::record(int64_t frame, double area_fraction) { record_impl(frame, area_fraction, nullptr); }

void DetectionTrack::record_impl(int64_t frame, double area_fraction, const Footprint* footprint) {
  if (frame < 0) return;
  const float a = std::isfinite(area_fraction) ? static_cast<float>(std::clamp(area_fraction, 0.0, 1.0)) : 0.0f;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto i = static_cast<size_t>(frame);
  if (i >= area_.size()) {
    area_.resize(i + 1, kUnknownArea);
    footprint_.resize(i + 1, Footprint{});
    has_footprint_.resize(i + 1, 0);
  }
  if (area_[i] < 0) ++known_;
  area_[i] = a;
  has_footprint_[i] = footprint != nullptr;
  if (footprint) footprint_[i] = *footprint;
  ++revision_;
}

void DetectionTrack::record_mask(int64_t frame, const cv::Mat& mask) {
  if (mask.empty() || frame < 0) return;
  const Footprint fp = footprint_of(mask, event_options().min_region_area);
  record_impl(frame, static_cast<double>(cv::countNonZero(mask)) / static_cast<double>(mask.total()), &fp);
}

void DetectionTrack::forget(int64_t frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (frame < 0 || static_cast<size_t>(frame) >= area_.size()) return;
  auto& a = area_[static_cast<size_t>(frame)];
  if (a >= 0) --known_;
  a = kUnknownArea;
  has_footprint_[static_cast<size_t>(frame)] = 0;
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

// --- Polyp events ------------------------------------------------------------------------------

void DetectionTrack::set_event_options(const EventOptions& options) {
  options.validate();
  std::lock_guard<std::mutex> lock(mutex_);
  event_options_ = options;
  ++revision_;
}

EventOptions DetectionTrack::event_options() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return event_options_;
}

double DetectionTrack::event_fps() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fps_ > 0 ? fps_ : 25.0;
}

cv::Mat DetectionTrack::Snapshot::grid(size_t i) const {
  cv::Mat g(kGridH, kGridW, CV_8U, cv::Scalar(0));
  if (area[i] < 0) return g;
  if (!has_footprint[i]) {
    // Recorded by area alone: one region of unknown place.
    if (area[i] > 0 && area[i] >= options.min_region_area) g.setTo(1);
    return g;
  }
  for (int y = 0; y < kGridH; ++y)
    for (int x = 0; x < kGridW; ++x) g.at<uint8_t>(y, x) = (footprint[i][static_cast<size_t>(y)] >> x) & 1u;
  return g;
}

DetectionTrack::Snapshot DetectionTrack::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Snapshot s;
  s.area = area_;
  s.footprint = footprint_;
  s.has_footprint = has_footprint_;
  s.options = event_options_;
  s.fps = fps_ > 0 ? fps_ : 25.0;
  s.revision = revision_;
  return s;
}

std::vector<PolypEvent> DetectionTrack::track(const Snapshot& s,
                                              const std::function<void(int64_t, const cv::Mat&)>& each) {
  EventOptions o = s.options;
  o.min_region_area = 0;  // applied when the footprint was made
  EventTracker t(o, s.fps);
  std::map<int, std::pair<int64_t, double>> peak;  // event id -> (frame, area)
  for (size_t i = 0; i < s.area.size(); ++i) {
    if (s.area[i] < 0) continue;
    const cv::Mat& ids = t.add(static_cast<int64_t>(i), s.grid(i));
    if (each) each(static_cast<int64_t>(i), ids);
    std::map<int, int> cells;
    int all = 0;
    for (int y = 0; y < ids.rows; ++y)
      for (int x = 0; x < ids.cols; ++x)
        if (const int id = ids.at<int32_t>(y, x)) ++cells[id], ++all;
    for (const auto& [id, n] : cells) {
      const double a = static_cast<double>(s.area[i]) * n / all;  // the frame's area shared by cells
      auto& p = peak[id];
      if (a > p.second) p = {static_cast<int64_t>(i), a};
    }
  }
  auto events = t.events();
  for (auto& e : events) {
    const auto it = peak.find(e.id);
    if (it == peak.end()) continue;
    e.peak_frame = it->second.first;
    e.peak_area = it->second.second;
  }
  return events;
}

std::vector<PolypEvent> DetectionTrack::events() const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (events_revision_ == revision_) return events_;
  }
  // Tracking runs outside the lock: recording (the inference or scan thread) never waits for it.
  const Snapshot s = snapshot();
  auto events = track(s, {});
  std::lock_guard<std::mutex> lock(mutex_);
  if (revision_ == s.revision) {
    events_ = events;
    events_revision_ = s.revision;
  }
  return events;
}

int DetectionTrack::event_at(int64_t frame) const {
  const auto ev = events();
  int flicker = -1;
  for (size_t i = 0; i < ev.size(); ++i) {
    if (!ev[i].contains(frame)) continue;
    if (!ev[i].flicker) return static_cast<int>(i);
    if (flicker < 0) flicker = static_cast<int>(i);
  }
  return flicker;
}

std::vector<int> DetectionTrack::false_alarms(const DetectionTrack& truth) const {
  const Snapshot t = truth.snapshot();
  std::vector<bool> hit;
  const auto events = track(snapshot(), [&](int64_t frame, const cv::Mat& ids) {
    const auto f = static_cast<size_t>(frame);
    if (f >= t.area.size() || t.area[f] < 0) return;
    const cv::Mat g = t.grid(f);
    for (int y = 0; y < ids.rows; ++y)
      for (int x = 0; x < ids.cols; ++x) {
        const int id = ids.at<int32_t>(y, x);
        if (id == 0 || !g.at<uint8_t>(y, x)) continue;
        if (hit.size() < static_cast<size_t>(id)) hit.resize(static_cast<size_t>(id), false);
        hit[static_cast<size_t>(id - 1)] = true;
      }
  });
  std::vector<int> out;
  for (const auto& e : events)
    if (static_cast<size_t>(e.id) > hit.size() || !hit[static_cast<size_t>(e.id - 1)]) out.push_back(e.id);
  return out;
}

std::pair<int64_t, int64_t> DetectionTrack::known_range() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t first = -1, last = -1;
  for (size_t i = 0; i < area_.size(); ++i) {
    if (area_[i] < 0) continue;
    if (first < 0) first = static_cast<int64_t>(i);
    last = static_cast<int64_t>(i);
  }
  return {first, last};
}

}  // namespace pl::core::review
