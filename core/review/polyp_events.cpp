#include "core/review/polyp_events.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <opencv2/imgproc.hpp>

namespace pl::core::review {
namespace {

std::string size_text(const cv::Size& s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

}  // namespace

void EventOptions::validate() const {
  if (!(min_region_area >= 0 && min_region_area < 1))
    throw std::invalid_argument("events: min_region_area must be in [0, 1), got " + std::to_string(min_region_area));
  if (max_gap < 0) throw std::invalid_argument("events: max_gap must be >= 0, got " + std::to_string(max_gap));
  if (!(min_duration_s >= 0 && std::isfinite(min_duration_s)))
    throw std::invalid_argument("events: min_duration_s must be >= 0, got " + std::to_string(min_duration_s));
}

EventTracker::EventTracker(const EventOptions& options, double fps) : options_(options), fps_(fps) {
  options_.validate();
  if (!(fps > 0 && std::isfinite(fps)))
    throw std::invalid_argument("events: fps must be > 0 to measure durations, got " + std::to_string(fps));
}

void EventTracker::close_stale(int64_t frame) {
  // Open while frame - last_frame - 1 <= max_gap for the next frame that can come (frame + 1).
  for (auto it = open_.begin(); it != open_.end();) {
    const auto& e = events_[static_cast<size_t>(it->first - 1)];
    it = frame - e.last_frame > options_.max_gap ? open_.erase(it) : std::next(it);
  }
}

const cv::Mat& EventTracker::add(int64_t frame, const cv::Mat& mask, const cv::Mat& prob, const cv::Mat& identity) {
  const std::string where = "events: frame " + std::to_string(frame);
  if (frame <= last_frame_)
    throw std::invalid_argument(where + " comes after frame " + std::to_string(last_frame_) + " (frames must increase)");
  if (mask.empty() || mask.type() != CV_8UC1) throw std::invalid_argument(where + ": the mask must be a non-empty CV_8U image");
  if (size_.empty()) size_ = mask.size();
  if (mask.size() != size_)
    throw std::invalid_argument(where + ": the mask is " + size_text(mask.size()) + ", earlier frames were " +
                                size_text(size_));
  if (!prob.empty() && (prob.type() != CV_32FC1 || prob.size() != size_))
    throw std::invalid_argument(where + ": the probability map must be CV_32F of the mask's size " + size_text(size_));
  if (!identity.empty() && (identity.type() != CV_8UC1 || identity.size() != size_))
    throw std::invalid_argument(where + ": the identity map must be CV_8U of the mask's size " + size_text(size_));
  // Frames skipped since the last call count as unseen: events past the gap cannot continue.
  close_stale(frame - 1);
  last_frame_ = frame;
  started_.clear();

  // Regions: 8-connected components of the mask, or of each polyp's pixels in a named ground truth.
  const double total = static_cast<double>(mask.total());
  const int min_px = std::max(1, static_cast<int>(std::ceil(options_.min_region_area * total - 1e-9)));
  std::vector<int> area{0}, name{0};  // per region (index 0: background)
  std::vector<cv::Rect> box{cv::Rect()};
  const auto add_components = [&](const cv::Mat& binary, int polyp_name, bool first) {
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8, CV_32S);
    const int offset = static_cast<int>(area.size()) - 1;
    if (first) {
      labels_ = labels;
    } else if (n > 1) {
      cv::Mat shifted = labels + offset;
      shifted.copyTo(labels_, labels > 0);
    }
    for (int c = 1; c < n; ++c) {
      area.push_back(stats.at<int>(c, cv::CC_STAT_AREA));
      name.push_back(polyp_name);
      box.emplace_back(stats.at<int>(c, cv::CC_STAT_LEFT), stats.at<int>(c, cv::CC_STAT_TOP),
                       stats.at<int>(c, cv::CC_STAT_WIDTH), stats.at<int>(c, cv::CC_STAT_HEIGHT));
    }
  };
  if (identity.empty()) {
    add_components(mask != 0, 0, true);
  } else {
    labels_ = cv::Mat::zeros(size_, CV_32S);
    int hist[256] = {};
    for (int y = 0; y < size_.height; ++y) {
      const uint8_t* r = identity.ptr<uint8_t>(y);
      for (int x = 0; x < size_.width; ++x) ++hist[r[x]];
    }
    for (int v = 1; v < 256; ++v)
      if (hist[v] > 0) add_components(identity == v, v < 255 ? v : 0, false);
  }
  const int n = static_cast<int>(area.size());

  // 1. Match every region against the events as they were before this frame.
  std::vector<int> owner(static_cast<size_t>(n), 0);
  for (int c = 1; c < n; ++c) {
    if (area[static_cast<size_t>(c)] < min_px) continue;
    int best = 0, best_overlap = 0;
    if (const int nm = name[static_cast<size_t>(c)]) {  // a named polyp: its open event, if any
      for (const auto& entry : open_)
        if (events_[static_cast<size_t>(entry.first - 1)].identity == nm) best = entry.first;
      owner[static_cast<size_t>(c)] = best;
      continue;
    }
    const cv::Rect& b = box[static_cast<size_t>(c)];
    const cv::Mat region = labels_(b) == c;
    for (const auto& [id, o] : open_) {  // ascending id: ties stay with the older event
      if (events_[static_cast<size_t>(id - 1)].identity != 0) continue;
      const int overlap = cv::countNonZero(region & o.footprint(b));
      if (overlap > best_overlap) best = id, best_overlap = overlap;
    }
    owner[static_cast<size_t>(c)] = best;
  }
  // 2. New events for unmatched regions, in the order of their components (top to bottom). Two
  //    regions of one new named polyp start one event.
  for (int c = 1; c < n; ++c) {
    if (area[static_cast<size_t>(c)] < min_px || owner[static_cast<size_t>(c)] != 0) continue;
    const int nm = name[static_cast<size_t>(c)];
    if (nm != 0) {
      const auto same = std::find_if(started_.begin(), started_.end(),
                                     [&](int id) { return events_[static_cast<size_t>(id - 1)].identity == nm; });
      if (same != started_.end()) {
        owner[static_cast<size_t>(c)] = *same;
        continue;
      }
    }
    PolypEvent e;
    e.id = static_cast<int>(events_.size()) + 1;
    e.identity = nm;
    e.first_frame = e.last_frame = frame;
    events_.push_back(e);
    open_[e.id];
    started_.push_back(e.id);
    owner[static_cast<size_t>(c)] = e.id;
  }
  // 3. The id map, then each event's footprint, area and confidence for this frame.
  ids_.create(size_, CV_32S);
  std::vector<int32_t> lut(static_cast<size_t>(n), 0);
  for (int c = 1; c < n; ++c) lut[static_cast<size_t>(c)] = owner[static_cast<size_t>(c)];
  for (int y = 0; y < size_.height; ++y) {
    const int32_t* l = labels_.ptr<int32_t>(y);
    int32_t* o = ids_.ptr<int32_t>(y);
    for (int x = 0; x < size_.width; ++x) o[x] = lut[static_cast<size_t>(l[x])];
  }
  std::vector<int> seen(owner.begin(), owner.end());
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  for (int id : seen) {
    if (id == 0) continue;
    auto& o = open_[id];
    o.footprint = ids_ == id;
    const int px = cv::countNonZero(o.footprint);
    auto& e = events_[static_cast<size_t>(id - 1)];
    const double area = px / total;
    e.last_frame = frame;
    ++e.frames_seen;
    if (area > e.peak_area) e.peak_area = area, e.peak_frame = frame;
    if (!prob.empty()) {
      o.confidence_sum += cv::mean(prob, o.footprint)[0];
      ++o.confidence_frames;
      e.mean_confidence = o.confidence_sum / static_cast<double>(o.confidence_frames);
    }
    e.duration_s = static_cast<double>(e.length()) / fps_;
    e.flicker = e.duration_s < options_.min_duration_s;
  }
  close_stale(frame);
  return ids_;
}

std::vector<int> EventTracker::open_events() const {
  std::vector<int> ids;
  for (const auto& [id, o] : open_) ids.push_back(id);
  return ids;
}

const PolypEvent& EventTracker::event(int id) const {
  if (id < 1 || static_cast<size_t>(id) > events_.size())
    throw std::out_of_range("events: no event " + std::to_string(id));
  return events_[static_cast<size_t>(id - 1)];
}

std::vector<PolypEvent> EventTracker::events() const { return events_; }

std::vector<PolypEvent> track_events(const std::vector<cv::Mat>& masks, const EventOptions& options, double fps) {
  EventTracker t(options, fps);
  for (size_t i = 0; i < masks.size(); ++i)
    if (!masks[i].empty()) t.add(static_cast<int64_t>(i), masks[i]);
  return t.events();
}

EventSummary summarize_events(const std::vector<PolypEvent>& events, double fps) {
  EventSummary s;
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const auto& e : events) {
    if (e.flicker) {
      ++s.flicker;
      continue;
    }
    ++s.events;
    spans.emplace_back(e.first_frame, e.last_frame);
  }
  std::sort(spans.begin(), spans.end());
  int64_t end = -1;  // last frame counted so far
  for (const auto& [a, b] : spans) {
    if (b <= end) continue;
    s.frames_on_screen += b - std::max(a, end + 1) + 1;
    end = b;
  }
  s.seconds_on_screen = fps > 0 ? static_cast<double>(s.frames_on_screen) / fps : 0;
  return s;
}

}  // namespace pl::core::review
