#include "core/bench/soak_bench.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include <unistd.h>

#include "core/bench/table.h"
#include "core/bench/timing.h"
#include "core/inference/predictor.h"
#include "core/overlay/overlay.h"
#include "core/pipeline/live_session.h"
#include "core/pipeline/predictor_segmenter.h"
#include "core/video/make_source.h"

namespace pl::core::bench {

namespace {

// Nearest-rank percentile of unsorted samples; 0 when empty.
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * double(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string fmt(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

}  // namespace

double resident_mb() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (!(in >> pages_total >> pages_resident)) return 0;
  return double(pages_resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

void SoakOptions::validate() const {
  if (!(minutes > 0) || minutes > 24 * 60)
    throw std::invalid_argument("soak minutes must be in (0, 1440], got " + std::to_string(minutes));
  if (!(window_seconds >= 1) || window_seconds > minutes * 60)
    throw std::invalid_argument("soak window must be >= 1 s and no longer than the run, got " +
                                std::to_string(window_seconds) + " s");
  if (warmup_seconds < 0) throw std::invalid_argument("soak warm-up must be >= 0 s");
  if (video.empty()) throw std::invalid_argument("soak needs a video to loop");
  if (checkpoint.empty()) throw std::invalid_argument("soak needs a model checkpoint");
  if (threads < 0) throw std::invalid_argument("soak threads must be >= 0");
}

SoakReport run_soak(const SoakOptions& o) {
  o.validate();
  SoakReport r;
  r.video = o.video;
  r.device = o.device;
  r.threads = o.threads;
  r.warmup_seconds = o.warmup_seconds;
  r.rss_start_mb = resident_mb();

  inference::PredictorOptions po;
  po.device = o.device;
  po.threads = o.threads;
  auto predictor = std::make_shared<inference::Predictor>(o.checkpoint, po);
  auto segmenter = std::make_unique<PredictorSegmenter>(predictor, o.threads);
  r.model = segmenter->describe();
  LiveSession session(std::move(segmenter));

  std::mutex mutex;  // guards latency and errors (worker / source threads)
  std::vector<double> latency;
  SessionCallbacks cb;
  cb.on_mask = [&](const MaskResult& m) {
    std::lock_guard<std::mutex> lock(mutex);
    latency.push_back(m.latency_ms());
  };
  cb.on_error = [&](const VideoError& e) {
    std::lock_guard<std::mutex> lock(mutex);
    ++r.errors;
    if (o.progress) o.progress("source error: " + e.message);
  };
  session.set_callbacks(cb);
  session.set_source(make_frame_source(o.video, Playback::Realtime));
  FrameSource* source = session.source();
  // The clip's rate, once the source has opened (frames decoded are checked against it).
  const auto open_deadline = Clock::now() + std::chrono::seconds(30);
  while (source->info().fps <= 0 && source->state() != SourceState::Failed && Clock::now() < open_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (source->state() == SourceState::Failed || source->info().fps <= 0)
    throw std::runtime_error("soak: cannot play '" + o.video + "' (no frame rate; see the log)");
  r.clip_fps = source->info().fps;
  const int64_t clip_frames = source->info().frame_count;
  session.start();

  const auto start = Clock::now();
  const auto period = std::chrono::microseconds(16667);  // a 60 Hz display
  auto next = start;
  auto window_start = start;
  const OverlayOptions overlay;
  cv::Mat composed;
  std::vector<double> mask_age;
  SoakWindow w;
  int64_t last_index = -1, frames_in_window = 0, masks_at_window = 0, dropped_at_window = 0;
  int64_t masks_total = 0, dropped_total = 0;
  bool rewinding = false;  // seeked to 0 at the end; until the first frame of the next loop arrives
  const double total_ms = o.minutes * 60000.0;
  while (ms_between(start, Clock::now()) < total_ms) {
    next += period;
    std::this_thread::sleep_until(next);
    auto u = session.take_update();
    masks_total = u.stats.masks;
    dropped_total = u.stats.dropped_inference;
    // Loop at the end, as a viewer's "repeat" would.
    if (u.stats.source_state == SourceState::EndOfStream && !rewinding) {
      if (!source->seek_to_frame(0)) throw std::runtime_error("soak: cannot seek '" + o.video + "' back to its start");
      source->start();
      rewinding = true;
      ++w.loops;
      ++r.loops;
    }
    if (u.new_frame && !u.frame.empty()) {
      if (rewinding && u.frame.index < last_index) rewinding = false;
      // Frames decoded, counted by index steps (the display may skip some; the source does not).
      if (last_index >= 0) {
        const int64_t step = u.frame.index > last_index ? u.frame.index - last_index
                                                        : u.frame.index + 1 + std::max<int64_t>(0, clip_frames - 1 - last_index);
        frames_in_window += step;
      } else {
        frames_in_window += u.frame.index + 1;
      }
      last_index = u.frame.index;
      if (u.mask) {
        mask_age.push_back(ms_between(u.mask->captured, Clock::now()));
        compose_overlay_into(u.frame.bgr, u.mask->mask, overlay, composed, u.mask->view.get());
      }
      ++w.shown;
    }
    const double window_ms = ms_between(window_start, Clock::now());
    if (window_ms >= o.window_seconds * 1000.0 || ms_between(start, Clock::now()) >= total_ms) {
      w.t_end_s = ms_between(start, Clock::now()) / 1000.0;
      w.rss_mb = resident_mb();
      w.frames = frames_in_window;
      w.expected_frames = window_ms / 1000.0 * r.clip_fps;
      w.masks = masks_total - masks_at_window;
      w.dropped_inference = dropped_total - dropped_at_window;
      w.mask_age_p50 = percentile(mask_age, 0.5);
      w.mask_age_p95 = percentile(mask_age, 0.95);
      w.mask_age_p99 = percentile(mask_age, 0.99);
      {
        std::lock_guard<std::mutex> lock(mutex);
        w.latency_p50 = percentile(latency, 0.5);
        w.latency_p95 = percentile(latency, 0.95);
        w.latency_p99 = percentile(latency, 0.99);
        latency.clear();
      }
      r.windows.push_back(w);
      r.frames_total += w.frames;
      if (o.progress) {
        std::ostringstream line;
        line << "soak " << fmt(w.t_end_s, 0) << " s: RSS " << fmt(w.rss_mb, 1) << " MiB, frames " << w.frames << "/"
             << fmt(w.expected_frames, 0) << ", masks " << w.masks << ", mask age p50/p95 " << fmt(w.mask_age_p50, 0)
             << "/" << fmt(w.mask_age_p95, 0) << " ms";
        o.progress(line.str());
      }
      mask_age.clear();
      frames_in_window = 0;
      masks_at_window = masks_total;
      dropped_at_window = dropped_total;
      window_start = Clock::now();
      w = SoakWindow{};
    }
  }
  session.stop();
  r.seconds = ms_between(start, Clock::now()) / 1000.0;
  r.masks_total = masks_total;

  // The verdict, over the windows after the warm-up.
  std::vector<const SoakWindow*> measured;
  for (const auto& win : r.windows)
    if (win.t_end_s > o.warmup_seconds + 1e-6) measured.push_back(&win);
  for (const auto& win : r.windows) r.rss_peak_mb = std::max(r.rss_peak_mb, win.rss_mb);
  if (!r.windows.empty()) r.rss_end_mb = r.windows.back().rss_mb;
  // The warm state: the window ending the warm-up (the last one not measured, else the first, which
  // then is not measured).
  const SoakWindow* warm = r.windows.empty() ? nullptr : &r.windows.front();
  for (const auto& win : r.windows)
    if (win.t_end_s <= o.warmup_seconds + 1e-6) warm = &win;
  if (!measured.empty() && warm == measured.front()) measured.erase(measured.begin());
  if (measured.size() < 2) {
    r.note = "too short for a verdict: fewer than two windows after the warm-up";
    return r;
  }
  r.rss_warm_mb = warm->rss_mb;
  r.rss_growth_percent = r.rss_warm_mb > 0 ? 100.0 * (r.rss_end_mb - r.rss_warm_mb) / r.rss_warm_mb : 0;
  // Creep: the median of the windows' median mask age, second half of the measured windows over the
  // first half (robust to one window slowed by other load on the machine).
  std::vector<double> early, late;
  for (size_t i = 0; i < measured.size(); ++i)
    (i < measured.size() / 2 ? early : late).push_back(measured[i]->mask_age_p50);
  const double first = percentile(early, 0.5), last = percentile(late, 0.5);
  r.latency_creep = first > 0 ? last / first : 0;
  double frames = 0, expected = 0;
  for (const auto* win : measured) {
    frames += double(win->frames);
    expected += win->expected_frames;
  }
  r.frame_drift_percent = expected > 0 ? 100.0 * (frames - expected) / expected : 0;
  r.memory_ok = r.rss_growth_percent <= 1.0;
  r.latency_ok = r.latency_creep > 0 && r.latency_creep <= 1.25;
  r.frames_ok = std::abs(r.frame_drift_percent) <= 2.0;
  return r;
}

std::string to_table(const SoakReport& r) {
  std::ostringstream out;
  out << "Soak: " << r.video << " looping at " << fmt(r.clip_fps, 2) << " fps through the live pipeline, model "
      << r.model << ", " << fmt(r.seconds / 60.0, 1) << " min (" << r.loops << " loops, " << r.errors
      << " source errors)\n";
  Table t({">t (s)", ">RSS MiB", ">frames", ">expected", ">masks", ">dropped", ">shown", ">age p50", ">age p95",
           ">age p99", ">lat p50", ">lat p95", ">lat p99"});
  for (const auto& w : r.windows)
    t.add({fmt(w.t_end_s, 0), fmt(w.rss_mb, 1), std::to_string(w.frames), fmt(w.expected_frames, 0),
           std::to_string(w.masks), std::to_string(w.dropped_inference), std::to_string(w.shown),
           fmt(w.mask_age_p50, 0), fmt(w.mask_age_p95, 0), fmt(w.mask_age_p99, 0), fmt(w.latency_p50, 0),
           fmt(w.latency_p95, 0), fmt(w.latency_p99, 0)});
  out << t.str() << "  (age: mask age at display, lat: capture -> mask; ms)\n";
  if (!r.note.empty()) {
    out << "  verdict: none (" << r.note << ")\n";
    return out.str();
  }
  const auto mark = [](bool ok) { return ok ? "ok" : "FAIL"; };
  out << "  memory:  RSS " << fmt(r.rss_start_mb, 1) << " MiB at start, " << fmt(r.rss_warm_mb, 1)
      << " after warm-up, " << fmt(r.rss_end_mb, 1) << " at the end (peak " << fmt(r.rss_peak_mb, 1) << "): growth "
      << fmt(r.rss_growth_percent, 2) << " % (limit 1 %)  " << mark(r.memory_ok) << "\n";
  out << "  latency: median mask age, later half / earlier half of the measured windows " << fmt(r.latency_creep, 3) << "x (limit 1.25x)  "
      << mark(r.latency_ok) << "\n";
  out << "  frames:  decoded vs clip rate x time " << fmt(r.frame_drift_percent, 2) << " % (limit +-2 %)  "
      << mark(r.frames_ok) << "\n";
  return out.str();
}

pl::json::Json to_json(const SoakReport& r) {
  using pl::json::Json;
  using pl::json::number;
  auto windows = Json::array();
  for (const auto& w : r.windows) {
    auto e = Json::object();
    e["t_end_s"] = number(w.t_end_s);
    e["rss_mb"] = number(w.rss_mb);
    e["frames"] = w.frames;
    e["expected_frames"] = number(w.expected_frames);
    e["masks"] = w.masks;
    e["dropped_inference"] = w.dropped_inference;
    e["shown"] = w.shown;
    e["loops"] = w.loops;
    e["mask_age_ms"] = Json::object(
        {{"p50", number(w.mask_age_p50)}, {"p95", number(w.mask_age_p95)}, {"p99", number(w.mask_age_p99)}});
    e["latency_ms"] = Json::object(
        {{"p50", number(w.latency_p50)}, {"p95", number(w.latency_p95)}, {"p99", number(w.latency_p99)}});
    windows.push_back(std::move(e));
  }
  auto o = Json::object();
  o["suite"] = "soak";
  o["video"] = r.video;
  o["model"] = r.model;
  o["device"] = r.device;
  o["threads"] = r.threads;
  o["clip_fps"] = number(r.clip_fps);
  o["seconds"] = number(r.seconds);
  o["warmup_seconds"] = number(r.warmup_seconds);
  o["loops"] = r.loops;
  o["errors"] = r.errors;
  o["frames"] = r.frames_total;
  o["masks"] = r.masks_total;
  o["windows"] = std::move(windows);
  if (r.note.empty()) {
    auto v = Json::object();
    v["rss_start_mb"] = number(r.rss_start_mb);
    v["rss_warm_mb"] = number(r.rss_warm_mb);
    v["rss_end_mb"] = number(r.rss_end_mb);
    v["rss_peak_mb"] = number(r.rss_peak_mb);
    v["rss_growth_percent"] = number(r.rss_growth_percent);
    v["latency_creep"] = number(r.latency_creep);
    v["frame_drift_percent"] = number(r.frame_drift_percent);
    v["memory_ok"] = r.memory_ok;
    v["latency_ok"] = r.latency_ok;
    v["frames_ok"] = r.frames_ok;
    o["verdict"] = std::move(v);
  } else {
    o["verdict"] = Json::object({{"none", r.note}});
  }
  return o;
}

}  // namespace pl::core::bench
