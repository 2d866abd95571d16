#include "core/pipeline/latency_probe.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <filesystem>
#include <numeric>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "core/overlay/overlay.h"
#include "core/pipeline/latest_slot.h"
#include "core/video/frame_pool.h"
#include "core/video/gst_frame_source.h"
#include "core/video/index_pattern.h"
#include "core/video/video_writer.h"

namespace pl::core {
namespace fs = std::filesystem;

StageStats summarize(std::vector<double> v) {
  StageStats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.samples = static_cast<int>(v.size());
  s.mean_ms = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  s.median_ms = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  s.p95_ms = v[std::min(v.size() - 1, static_cast<size_t>(std::ceil(0.95 * v.size())) - 1)];
  s.min_ms = v.front();
  s.max_ms = v.back();
  return s;
}

void LatencyProbeOptions::validate() const {
  if (size.width < 16 || size.height < 16 || size.width > 8192 || size.height > 8192)
    throw std::invalid_argument("latency probe: size must be 16..8192 per side, got " + std::to_string(size.width) +
                                "x" + std::to_string(size.height));
  if (frames < 5 || frames > 10000) throw std::invalid_argument("latency probe: frames must be in [5, 10000], got " + std::to_string(frames));
  if (segment_frames < 1) throw std::invalid_argument("latency probe: segment_frames must be >= 1, got " + std::to_string(segment_frames));
}

std::string LatencyReport::to_text() const {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "per-stage latency at %dx%d (%s)\n", size.width, size.height,
                segmenter.empty() ? "no model" : segmenter.c_str());
  out += line;
  out += "  stage                   min   median      p95      max   (ms)\n";
  auto row = [&](const char* name, const StageStats& s) {
    if (s.samples == 0) return;
    std::snprintf(line, sizeof line, "  %-18s %8.3f %8.3f %8.3f %8.3f   n=%d\n", name, s.min_ms, s.median_ms, s.p95_ms,
                  s.max_ms, s.samples);
    out += line;
  };
  row("decode+convert", decode);
  row("copy-out", copy_out);
  row("preprocess", preprocess);
  row("inference", inference);
  row("postprocess", postprocess);
  row("overlay", overlay);
  row("hand-off", handoff);
  row("added video delay", added_video_delay);
  if (!segmenter.empty()) {
    std::snprintf(line, sizeof line, "  annotation delay (median sum) %.1f ms\n", annotation_delay_ms);
    out += line;
  }
  return out;
}

std::vector<double> decode_intervals(const std::string& clip, cv::Size model_box, int64_t* model_frames) {
  SourceSpec spec = SourceSpec::parse(clip);
  spec.playback = Playback::EveryFrame;
  GstFrameSource src(spec);
  if (!model_box.empty()) src.set_model_box(model_box.height, model_box.width);
  std::vector<double> intervals;
  Clock::time_point last{};
  std::mutex mu;
  std::atomic<int64_t> small{0};
  SourceCallbacks cb;
  cb.on_frame = [&](const Frame& f) {
    std::lock_guard<std::mutex> lock(mu);
    if (last != Clock::time_point{}) intervals.push_back(ms_between(last, f.captured));
    last = f.captured;
  };
  cb.on_model_frame = [&](const Frame&) { ++small; };
  src.set_callbacks(cb);
  src.open();
  src.start();
  const SourceState s = src.wait_for({SourceState::EndOfStream, SourceState::Failed}, std::chrono::seconds(120));
  src.stop();
  if (s != SourceState::EndOfStream) throw std::runtime_error("latency probe: could not decode '" + clip + "'");
  if (model_frames) *model_frames = small.load();
  return intervals;
}

namespace {

std::vector<double> measure_handoff(int n) {
  LatestSlot<Clock::time_point> slot;
  std::vector<double> out;
  std::atomic<int> taken{0};
  std::thread consumer([&] {
    for (int i = 0; i < n; ++i) {
      auto t = slot.take(std::chrono::seconds(5));
      if (!t) return;
      out.push_back(ms_between(*t, Clock::now()));
      taken.store(i + 1);
    }
  });
  for (int i = 0; i < n; ++i) {
    // One value in flight: on a loaded machine a consumer descheduled past the sleep would otherwise
    // find two puts, keep the newest (latest wins) and lose a sample.
    while (taken.load() < i) std::this_thread::sleep_for(std::chrono::microseconds(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the consumer block first
    slot.put(Clock::now());
  }
  consumer.join();
  return out;
}

}  // namespace

LatencyReport measure_latency(const LatencyProbeOptions& options, FrameSegmenter* segmenter) {
  options.validate();
  LatencyReport r;
  r.size = options.size;
  r.segmenter = segmenter ? segmenter->describe() : "";

  // A test clip of the requested size, if none was given.
  std::string clip = options.clip;
  fs::path temp;
  if (clip.empty()) {
    temp = fs::temp_directory_path() / ("polyplens-latency-" + std::to_string(::getpid()) + ".mp4");
    Mp4WriterOptions w;
    w.path = temp.string();
    w.speed_preset = "ultrafast";
    Mp4Writer writer(w);
    for (int i = 0; i < options.frames; ++i) writer.write(make_index_pattern(i, options.size));
    writer.finish();
    clip = temp.string();
  }
  r.clip = clip;
  std::vector<double> decode;
  try {
    decode = decode_intervals(clip);
  } catch (...) {
    if (!temp.empty()) fs::remove(temp);
    throw;
  }
  if (!temp.empty()) fs::remove(temp);
  r.decode = summarize(decode);

  // Copy-out and overlay on a frame of the probe size with a polyp-like blob.
  const cv::Mat frame = make_index_pattern(7, options.size);
  cv::Mat mask = cv::Mat::zeros(options.size, CV_8UC1);
  cv::ellipse(mask, {options.size.width / 2, options.size.height / 2},
              {options.size.width / 6, options.size.height / 5}, 0, 0, 360, cv::Scalar(1), cv::FILLED);
  FramePool pool;
  std::vector<double> copy, overlay;
  OverlayOptions ov;
  cv::Mat composed;
  std::vector<cv::Mat> held(3);  // like the display and worker holding recent frames
  for (int i = 0; i < options.frames; ++i) {
    auto a = Clock::now();
    cv::Mat dst = pool.acquire(options.size);
    frame.copyTo(dst);
    copy.push_back(ms_between(a, Clock::now()));
    held[static_cast<size_t>(i) % held.size()] = dst;
    a = Clock::now();
    compose_overlay_into(frame, mask, ov, composed);
    overlay.push_back(ms_between(a, Clock::now()));
  }
  r.copy_out = summarize(copy);
  r.overlay = summarize(overlay);
  r.handoff = summarize(measure_handoff(options.frames));
  std::vector<double> added;
  for (size_t i = 0; i < copy.size() && i < overlay.size() && i < static_cast<size_t>(r.handoff.samples); ++i)
    added.push_back(copy[i] + overlay[i] + r.handoff.median_ms);
  r.added_video_delay = summarize(added);

  if (segmenter) {
    segmenter->segment(frame);  // warm-up (allocations, lazy init)
    std::vector<double> pre, inf, post;
    for (int i = 0; i < options.segment_frames; ++i) {
      const SegmentResult s = segmenter->segment(frame);
      pre.push_back(s.preprocess_ms);
      inf.push_back(s.infer_ms);
      post.push_back(s.postprocess_ms);
    }
    r.preprocess = summarize(pre);
    r.inference = summarize(inf);
    r.postprocess = summarize(post);
    r.annotation_delay_ms = r.copy_out.median_ms + r.handoff.median_ms + r.preprocess.median_ms +
                            r.inference.median_ms + r.postprocess.median_ms + r.overlay.median_ms;
  }
  return r;
}

}  // namespace pl::core
