#include "core/review/event_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

namespace pl::core::review {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : kNaN; }

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

pl::json::Json event_json(const PolypEvent& e) {
  return {{"id", e.id},
          {"identity", e.identity},
          {"first_frame", e.first_frame},
          {"last_frame", e.last_frame},
          {"frames", e.length()},
          {"frames_seen", e.frames_seen},
          {"duration_s", e.duration_s},
          {"peak_frame", e.peak_frame},
          {"peak_area", e.peak_area},
          {"mean_confidence", pl::json::number(e.mean_confidence)},
          {"flicker", e.flicker}};
}

}  // namespace

DelayStats delay_stats(const std::vector<PolypOutcome>& polyps, double fps) {
  std::vector<int64_t> d;
  for (const auto& p : polyps)
    if (p.found && !p.in_view_at_start) d.push_back(p.delay_frames);
  DelayStats s;
  s.n = static_cast<int>(d.size());
  if (d.empty()) return s;
  std::sort(d.begin(), d.end());
  const size_t n = d.size();
  s.median_frames = n % 2 ? static_cast<double>(d[n / 2]) : 0.5 * static_cast<double>(d[n / 2 - 1] + d[n / 2]);
  s.p90_frames = static_cast<double>(d[static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n) - 1e-9)) - 1]);
  s.max_frames = static_cast<double>(d.back());
  const double ms = 1000.0 / fps;
  s.median_ms = s.median_frames * ms;
  s.p90_ms = s.p90_frames * ms;
  s.max_ms = s.max_frames * ms;
  return s;
}

EventEvaluator::EventEvaluator(const EventOptions& options, double fps) : truth_(options, fps), pred_(options, fps) {}

void EventEvaluator::add(const cv::Mat& truth, const cv::Mat& pred, const cv::Mat& prob, const cv::Mat& truth_identity) {
  const int64_t frame = frames_;
  if (truth.type() != CV_8UC1 || pred.type() != CV_8UC1)
    throw std::invalid_argument("evaluation: frame " + std::to_string(frame) + ": truth and prediction must be CV_8U masks");
  if (truth.size() != pred.size())
    throw std::invalid_argument("evaluation: frame " + std::to_string(frame) + ": the truth mask is " +
                                std::to_string(truth.cols) + "x" + std::to_string(truth.rows) + ", the prediction " +
                                std::to_string(pred.cols) + "x" + std::to_string(pred.rows));
  const cv::Mat t = truth_.add(frame, truth, {}, truth_identity).clone();
  const cv::Mat& p = pred_.add(frame, pred, prob);
  ++frames_;
  hits_.resize(truth_.events().size());
  pred_hit_.resize(pred_.events().size(), false);

  std::set<std::pair<int, int>> pairs;
  std::pair<int, int> last{0, 0};
  bool truth_present = false, pred_present = false;
  for (int y = 0; y < t.rows; ++y) {
    const int32_t* tr = t.ptr<int32_t>(y);
    const int32_t* pr = p.ptr<int32_t>(y);
    for (int x = 0; x < t.cols; ++x) {
      truth_present |= tr[x] != 0;
      pred_present |= pr[x] != 0;
      if (tr[x] == 0 || pr[x] == 0) continue;
      const std::pair<int, int> pair{tr[x], pr[x]};
      if (pair != last) pairs.insert(last = pair);
    }
  }
  std::set<int> truth_hit;
  for (const auto& [ti, pi] : pairs) {
    auto& h = hits_[static_cast<size_t>(ti - 1)];
    if (h.first < 0) h.first = frame;
    if (truth_hit.insert(ti).second) ++h.frames;
    if (std::find(h.predicted.begin(), h.predicted.end(), pi) == h.predicted.end()) h.predicted.push_back(pi);
    pred_hit_[static_cast<size_t>(pi - 1)] = true;
  }
  if (truth_present) {
    if (!pairs.empty()) {
      ++tp_;
    } else {
      ++fn_;
      if (pred_present) ++misplaced_;
    }
  } else {
    ++(pred_present ? fp_ : tn_);
  }
}

EventEvalReport EventEvaluator::report() const {
  EventEvalReport r;
  r.fps = truth_.fps();
  r.frames = frames_;
  r.minutes = static_cast<double>(frames_) / r.fps / 60.0;
  r.options = truth_.options();
  r.truth_events = truth_.events();
  r.predicted_events = pred_.events();
  for (const auto& e : r.truth_events) {
    if (e.flicker) {
      ++r.truth_flicker;
      continue;
    }
    PolypOutcome o;
    o.truth = e;
    o.in_view_at_start = e.first_frame == 0;
    const auto& h = hits_[static_cast<size_t>(e.id - 1)];
    o.found = h.first >= 0;
    if (o.found) {
      o.first_detection_frame = h.first;
      o.delay_frames = h.first - e.first_frame;
      o.delay_ms = static_cast<double>(o.delay_frames) * 1000.0 / r.fps;
      o.frames_detected = h.frames;
      o.predicted_events = h.predicted;
      std::sort(o.predicted_events.begin(), o.predicted_events.end());
      ++r.polyps_found;
    }
    r.polyps.push_back(o);
  }
  r.polyp_sensitivity = ratio(r.polyps_found, static_cast<int64_t>(r.polyps.size()));
  r.delay = delay_stats(r.polyps, r.fps);
  for (const auto& e : r.predicted_events) {
    if (e.flicker) ++r.predicted_flicker;
    if (pred_hit_[static_cast<size_t>(e.id - 1)]) continue;
    r.false_positive_events.push_back(e.id);
    ++r.fp_events;
    if (e.duration_s > 0.5) ++r.fp_events_over_0_5s;
    if (e.duration_s > 1.0) ++r.fp_events_over_1s;
  }
  const auto per_minute = [&](int n) { return r.minutes > 0 ? n / r.minutes : kNaN; };
  r.fp_per_minute = per_minute(r.fp_events);
  r.fp_per_minute_over_0_5s = per_minute(r.fp_events_over_0_5s);
  r.fp_per_minute_over_1s = per_minute(r.fp_events_over_1s);
  r.frames_tp = tp_;
  r.frames_fn = fn_;
  r.frames_misplaced = misplaced_;
  r.frames_fp = fp_;
  r.frames_tn = tn_;
  r.frame_sensitivity = ratio(tp_, tp_ + fn_);
  r.frame_specificity = ratio(tn_, tn_ + fp_);
  return r;
}

std::string EventEvalReport::to_text() const {
  std::ostringstream s;
  const size_t n = polyps.size();
  s << "polyp events (docs/metrics.md §6; regions >= " << fixed(options.min_region_area * 100, 2)
    << " % of the frame, gaps <= " << options.max_gap << " frames, flicker < " << fixed(options.min_duration_s, 2)
    << " s)\n";
  s << "  ground truth: " << n << " polyp(s), " << truth_flicker << " flicker event(s) not scored\n";
  s << "  model:        " << predicted_events.size() - static_cast<size_t>(predicted_flicker) << " event(s), "
    << predicted_flicker << " flicker event(s)\n";
  s << "per-polyp sensitivity         " << fixed(polyp_sensitivity, 4) << " (" << polyps_found << " of " << n
    << " found)\n";
  s << "time to first detection       ";
  if (delay.n > 0)
    s << "median " << fixed(delay.median_ms, 0) << " ms (" << fixed(delay.median_frames, 1) << " frames), p90 "
      << fixed(delay.p90_ms, 0) << " ms (" << fixed(delay.p90_frames, 0) << "), max " << fixed(delay.max_ms, 0)
      << " ms (" << fixed(delay.max_frames, 0) << "), over " << delay.n << " found polyp(s) appearing in the clip\n";
  else
    s << "n/a (no polyp found that appears during the clip)\n";
  s << "false-positive events         " << fp_events << " (" << fixed(fp_per_minute, 2) << "/min); > 0.5 s: "
    << fp_events_over_0_5s << " (" << fixed(fp_per_minute_over_0_5s, 2) << "/min); > 1 s: " << fp_events_over_1s
    << " (" << fixed(fp_per_minute_over_1s, 2) << "/min) over " << fixed(minutes * 60, 1) << " s\n";
  s << "per-frame sensitivity         " << fixed(frame_sensitivity, 4) << " (" << frames_tp << " of "
    << frames_tp + frames_fn << " polyp frames; " << frames_misplaced << " missed frames had a mask elsewhere)\n";
  s << "per-frame specificity         " << fixed(frame_specificity, 4) << " (" << frames_tn << " of "
    << frames_tn + frames_fp << " polyp-free frames)\n";
  for (const auto& p : polyps) {
    s << "  polyp " << p.truth.id << ": frames " << p.truth.first_frame << "-" << p.truth.last_frame << " ("
      << fixed(p.truth.duration_s, 2) << " s, peak " << fixed(p.truth.peak_area * 100, 1) << " %): ";
    if (p.found)
      s << "found at frame " << p.first_detection_frame << ", +" << p.delay_frames << " frames (" << fixed(p.delay_ms, 0)
        << " ms" << (p.in_view_at_start ? ", in view from the clip's start: not timed" : "") << "), detected in "
        << p.frames_detected << " of " << p.truth.frames_seen << " frames\n";
    else
      s << "MISSED\n";
  }
  return s.str();
}

pl::json::Json EventEvalReport::to_json() const {
  using pl::json::Json;
  using pl::json::number;
  Json truth = Json::array(), pred = Json::array(), outcomes = Json::array();
  for (const auto& e : truth_events) truth.push_back(event_json(e));
  for (const auto& e : predicted_events) pred.push_back(event_json(e));
  for (const auto& p : polyps)
    outcomes.push_back({{"truth_event", p.truth.id},
                        {"found", p.found},
                        {"first_detection_frame", p.found ? Json(p.first_detection_frame) : Json(nullptr)},
                        {"delay_frames", p.found ? Json(p.delay_frames) : Json(nullptr)},
                        {"delay_ms", p.found ? Json(p.delay_ms) : Json(nullptr)},
                        {"frames_detected", p.frames_detected},
                        {"in_view_at_start", p.in_view_at_start},
                        {"predicted_events", p.predicted_events}});
  return {{"definitions", "docs/metrics.md §6"},
          {"fps", fps},
          {"frames", frames},
          {"minutes", minutes},
          {"options",
           {{"min_region_area", options.min_region_area},
            {"max_gap_frames", options.max_gap},
            {"min_duration_s", options.min_duration_s}}},
          {"polyps", static_cast<int64_t>(polyps.size())},
          {"polyps_found", polyps_found},
          {"polyp_sensitivity", number(polyp_sensitivity)},
          {"truth_flicker_events", truth_flicker},
          {"time_to_first_detection",
           {{"polyps", delay.n},
            {"median_ms", delay.median_ms},
            {"p90_ms", delay.p90_ms},
            {"max_ms", delay.max_ms},
            {"median_frames", delay.median_frames},
            {"p90_frames", delay.p90_frames},
            {"max_frames", delay.max_frames}}},
          {"false_positive_events",
           {{"all", fp_events},
            {"over_0_5s", fp_events_over_0_5s},
            {"over_1s", fp_events_over_1s},
            {"per_minute", number(fp_per_minute)},
            {"per_minute_over_0_5s", number(fp_per_minute_over_0_5s)},
            {"per_minute_over_1s", number(fp_per_minute_over_1s)},
            {"ids", false_positive_events}}},
          {"predicted_flicker_events", predicted_flicker},
          {"per_frame",
           {{"tp", frames_tp},
            {"fn", frames_fn},
            {"fn_with_mask_elsewhere", frames_misplaced},
            {"fp", frames_fp},
            {"tn", frames_tn},
            {"sensitivity", number(frame_sensitivity)},
            {"specificity", number(frame_specificity)}}},
          {"polyp_outcomes", outcomes},
          {"truth_events", truth},
          {"predicted_events", pred}};
}

}  // namespace pl::core::review
