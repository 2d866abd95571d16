#include "core/bench/pipeline_bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <ATen/Parallel.h>
#include <QTemporaryDir>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/inference/predictor.h"
#include "core/overlay/overlay.h"
#include "core/pipeline/frame_segmenter.h"
#include "core/pipeline/latency_probe.h"
#include "core/pipeline/live_session.h"
#include "core/pipeline/predictor_segmenter.h"
#include "core/video/fake_frame_source.h"
#include "core/video/index_pattern.h"
#include "model/checkpoint.h"
#include "model/presets.h"
#include "model/segmentor.h"

namespace pl::core::bench {
namespace fs = std::filesystem;

namespace {

void say(const PipelineBenchOptions& o, const std::string& s) {
  if (o.progress) o.progress(s);
}

// Frames for the clip: the content video upscaled, or a synthetic scene when there is none.
std::vector<cv::Mat> content_frames(const PipelineBenchOptions& o, int count, std::string& what) {
  std::vector<cv::Mat> out;
  std::string path = o.content_video;
#ifdef POLYPLENS_SOURCE_DIR
  if (path.empty()) path = std::string(POLYPLENS_SOURCE_DIR) + "/resources/samples/sample.mp4";
#endif
  std::error_code ec;
  if (!path.empty() && fs::is_regular_file(path, ec)) {
    cv::VideoCapture cap(path, cv::CAP_GSTREAMER);
    cv::Mat f;
    while (int(out.size()) < count && cap.read(f)) {
      cv::Mat big;
      cv::resize(f, big, cv::Size(o.frame_w, o.frame_h), 0, 0, cv::INTER_LINEAR);
      out.push_back(big);
    }
    if (!out.empty()) what = fs::path(path).filename().string() + " upscaled";
  }
  if (out.empty()) {
    what = "synthetic";
    for (int i = 0; i < count; ++i) {
      cv::Mat f(o.frame_h, o.frame_w, CV_8UC3, cv::Scalar(40, 60, 150));
      cv::circle(f, cv::Point(o.frame_w / 4 + i * 7 % (o.frame_w / 2), o.frame_h / 2), o.frame_h / 6,
                 cv::Scalar(60, 90, 200), cv::FILLED, cv::LINE_AA);
      cv::GaussianBlur(f, f, cv::Size(31, 31), 0);
      out.push_back(f);
    }
  }
  while (int(out.size()) < count) out.push_back(out[out.size() % std::max<size_t>(1, out.size())]);
  return out;
}

std::string make_clip(const PipelineBenchOptions& o, const std::string& dir, std::string& what) {
  const std::string path = dir + "/bench_" + std::to_string(o.frame_w) + "x" + std::to_string(o.frame_h) + ".mp4";
  const auto frames = content_frames(o, o.frames, what);
  // A broadcast-like H.264 stream: 8 Mbit/s, a key frame per second.
  const std::string pipeline =
      "appsrc ! videoconvert ! video/x-raw,format=I420 ! x264enc bitrate=8000 speed-preset=veryfast key-int-max=30"
      " ! video/x-h264,profile=high ! mp4mux ! filesink location=\"" + path + "\"";
  cv::VideoWriter writer(pipeline, cv::CAP_GSTREAMER, 0, 30.0, cv::Size(o.frame_w, o.frame_h), true);
  if (!writer.isOpened()) throw std::runtime_error("cannot open the H.264 writer for '" + path + "' (needs x264enc)");
  for (const auto& f : frames) writer.write(f);
  writer.release();
  return path;
}

StageResult stage(const std::string& name, const StageStats& s) {
  return {name, s.samples, s.min_ms, s.median_ms, s.p95_ms, s.mean_ms, s.max_ms};
}

// `branch`: the source scales a copy for the model on its own thread (FakeFrameSource's model branch,
// standing in for GStreamer's), masks stay at the model's size and the display loop shows them with
// the GPU view when there is one.
LiveResult run_live(const PipelineBenchOptions& o, std::shared_ptr<inference::Predictor> predictor, bool branch) {
  FakeSourceOptions so;
  so.size = cv::Size(o.frame_w, o.frame_h);
  so.fps = o.live_fps;
  so.live = true;
  so.model_branch = branch;
  auto segmenter = std::make_unique<PredictorSegmenter>(std::move(predictor), o.threads);
  segmenter->set_mask_at_model_resolution(branch);
  LiveSession session(std::move(segmenter));
  std::mutex mutex;
  std::vector<double> latency;
  SessionCallbacks cb;
  cb.on_mask = [&](const MaskResult& m) {
    std::lock_guard<std::mutex> lock(mutex);
    latency.push_back(m.latency_ms());
  };
  session.set_callbacks(cb);
  session.set_source(std::make_unique<FakeFrameSource>(so));
  session.start();

  std::vector<double> mask_age, frame_age, take_ms;
  int64_t shown = 0;
  cv::Mat composed;
  const OverlayOptions overlay;
  const auto start = Clock::now();
  const auto period = std::chrono::microseconds(16667);  // a 60 Hz display
  auto next = start;
  bool first_mask = false;
  auto measure_from = start;
  SessionStats last;
  while (ms_between(start, Clock::now()) < o.live_seconds * 1000.0 || !first_mask) {
    if (ms_between(start, Clock::now()) > o.live_seconds * 1000.0 + 60000.0) break;  // never got a mask
    next += period;
    std::this_thread::sleep_until(next);
    const double t0 = now_ms();
    auto u = session.take_update();
    const double dt = now_ms() - t0;
    last = u.stats;
    if (!u.new_frame || u.frame.empty()) continue;
    const auto now = Clock::now();
    // Count from the first mask on: before it the model is warming up, not running.
    if (!first_mask && u.mask) {
      first_mask = true;
      measure_from = now;
    }
    if (!first_mask) continue;
    take_ms.push_back(dt);
    frame_age.push_back(ms_between(u.frame.captured, now));
    if (u.mask) {
      mask_age.push_back(u.stats.mask_age_ms);
      if (branch && o.gpu_present) {
        o.gpu_present(u.frame.bgr, u.mask->mask);
      } else {
        compose_overlay_into(u.frame.bgr, u.mask->mask, overlay, composed, u.mask->view.get());
      }
    }
    ++shown;
  }
  const double seconds = ms_between(measure_from, Clock::now()) / 1000.0;
  session.stop();

  LiveResult r;
  r.seconds = seconds;
  r.source_fps = o.live_fps;
  r.capture_fps = last.capture_fps;
  r.inference_fps = last.inference_fps;
  r.display_fps = seconds > 0 ? shown / seconds : 0;
  r.frames_captured = last.frames_captured;
  r.masks = last.masks;
  r.dropped_inference = last.dropped_inference;
  r.dropped_display = last.dropped_display;
  r.mask_age = summarize(mask_age);
  {
    std::lock_guard<std::mutex> lock(mutex);
    r.mask_latency = summarize(latency);
  }
  r.frame_age = summarize(frame_age);
  r.take_update = summarize(take_ms);
  return r;
}

// 3. in the header: the model branch + GPU view path's stages.
void measure_branch(const PipelineBenchOptions& o, const std::string& clip, std::shared_ptr<inference::Predictor> predictor,
                    const LatencyReport& cpu, PipelineBenchReport& r) {
  const StageStats decode =
      ::pl::core::summarize(decode_intervals(clip, cv::Size(r.model_w, r.model_h), &r.branch_model_frames));
  // The frame and a polyp-sized blob, as the CPU path's probe uses (core/pipeline/latency_probe.cpp).
  const cv::Size size(o.frame_w, o.frame_h);
  const cv::Mat frame = make_index_pattern(7, size);
  int ch = 0, cw = 0;
  predictor->content_size(size.height, size.width, ch, cw);
  cv::Mat small;  // what the branch hands the model (GStreamer scaled it on its own thread)
  cv::resize(frame, small, cv::Size(cw, ch), 0, 0, cv::INTER_AREA);
  PredictorSegmenter seg(predictor, o.threads);
  seg.set_mask_at_model_resolution(true);
  seg.segment(small, size);  // warm-up
  std::vector<double> pre, inf, post;
  cv::Mat mask;
  for (int i = 0; i < o.segment_frames; ++i) {
    const SegmentResult s = seg.segment(small, size);
    pre.push_back(s.preprocess_ms);
    inf.push_back(s.infer_ms);
    post.push_back(s.postprocess_ms);
  }
  mask = cv::Mat::zeros(ch, cw, CV_8UC1);
  cv::ellipse(mask, {cw / 2, ch / 2}, {cw / 6, ch / 5}, 0, 0, 360, cv::Scalar(1), cv::FILLED);
  std::vector<double> view, draw;
  const OverlayOptions overlay;
  cv::Mat composed;
  if (o.gpu_present) o.gpu_present(frame, mask);  // first upload allocates the textures
  for (int i = 0; i < o.frames; ++i) {
    if (o.gpu_present) {
      const auto [gui, gpu] = o.gpu_present(frame, mask);
      view.push_back(gui);
      draw.push_back(gpu);
    } else {
      const double t0 = now_ms();
      compose_overlay_into(frame, mask, overlay, composed);
      view.push_back(now_ms() - t0);
    }
  }
  r.view_kind = o.gpu_present ? "GPU: " + o.gpu_renderer : "CPU composite from the model-size mask (no GPU view: " + o.gpu_missing + ")";
  const auto as_stage = [](const std::string& name, const StageStats& s) {
    return StageResult{name, s.samples, s.min_ms, s.median_ms, s.p95_ms, s.mean_ms, s.max_ms};
  };
  const StageStats p = ::pl::core::summarize(pre), n = ::pl::core::summarize(inf), q = ::pl::core::summarize(post),
                   v = ::pl::core::summarize(view);
  r.branch_stages = {as_stage("decode", decode), as_stage("copy-out", cpu.copy_out), as_stage("preprocess", p),
                     as_stage("inference", n),   as_stage("postprocess", q),        as_stage("overlay", v),
                     as_stage("hand-off", cpu.handoff)};
  if (!draw.empty()) r.gpu_draw = as_stage("gpu draw", ::pl::core::summarize(draw));
  r.branch_app_overhead_ms = cpu.copy_out.median_ms + p.median_ms + q.median_ms + v.median_ms + cpu.handoff.median_ms;
  r.branch_video_added_delay_ms = cpu.copy_out.median_ms + v.median_ms + cpu.handoff.median_ms;
  r.branch_annotation_delay_ms = r.branch_video_added_delay_ms + p.median_ms + n.median_ms + q.median_ms;
  r.branch_ran = true;
}

}  // namespace

void PipelineBenchOptions::validate() const {
  pl::model::preset(preset);  // throws listing the valid names
  if (model_h < 0 || model_w < 0 || (model_h == 0) != (model_w == 0) || (model_h > 0 && (model_h < 32 || model_w < 32)))
    throw std::invalid_argument("PipelineBenchOptions model size = " + std::to_string(model_h) + "x" +
                                std::to_string(model_w) + ": give both sides (>= 32) or neither");
  if (frame_w < 16 || frame_h < 16 || frame_w % 2 || frame_h % 2)
    throw std::invalid_argument("PipelineBenchOptions frame = " + std::to_string(frame_w) + "x" + std::to_string(frame_h) +
                                ": both sides must be even and >= 16");
  if (frames < 5) throw std::invalid_argument("PipelineBenchOptions.frames = " + std::to_string(frames) + ": must be >= 5");
  if (segment_frames < 1)
    throw std::invalid_argument("PipelineBenchOptions.segment_frames = " + std::to_string(segment_frames) + ": must be >= 1");
  if (live_seconds < 0) throw std::invalid_argument("PipelineBenchOptions.live_seconds must be >= 0");
  if (!(live_fps > 0)) throw std::invalid_argument("PipelineBenchOptions.live_fps must be > 0");
  if (device != "cpu" && device != "cuda" && device != "auto")
    throw std::invalid_argument("PipelineBenchOptions.device = '" + device + "': valid: cpu, cuda, auto");
  if (threads < 0) throw std::invalid_argument("PipelineBenchOptions.threads must be >= 0");
}

const StageResult* PipelineBenchReport::find(const std::string& stage) const {
  for (const auto& s : stages)
    if (s.stage == stage) return &s;
  return nullptr;
}

PipelineBenchReport run_pipeline_bench(const PipelineBenchOptions& o) {
  o.validate();
  // OpenCV's GStreamer backend warns that a freshly muxed clip has no duration to query: noise here.
  struct QuietOpenCv {
    cv::utils::logging::LogLevel prev = cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    ~QuietOpenCv() { cv::utils::logging::setLogLevel(prev); }
  } quiet;
  if (o.threads > 0) at::set_num_threads(o.threads);
  QTemporaryDir tmp;
  const std::string dir = o.work_dir.empty() ? tmp.path().toStdString() : o.work_dir;
  if (o.work_dir.empty() && !tmp.isValid()) throw std::runtime_error("cannot create a temporary folder");
  fs::create_directories(dir);

  PipelineBenchReport r;
  r.preset = o.preset;
  r.device = o.device;
  r.threads = at::get_num_threads();
  r.frame_w = o.frame_w;
  r.frame_h = o.frame_h;

  // The app's path to a model: a checkpoint file read by the Predictor (BN folding etc. applied).
  say(o, "pipeline: writing a " + o.preset + " checkpoint");
  auto mopts = pl::model::preset(o.preset);
  if (o.model_h > 0) {
    mopts.input_h = o.model_h;
    mopts.input_w = o.model_w;
  }
  const std::string ck = dir + "/bench_model.pt";
  {
    pl::model::AnnSegmentor model(mopts);
    pl::model::save_checkpoint(ck, model, {});
  }
  inference::PredictorOptions po;
  po.device = o.device;
  po.threads = o.threads;
  auto predictor = std::make_shared<inference::Predictor>(ck, po);
  r.model_h = predictor->info().input_h;
  r.model_w = predictor->info().input_w;
  r.model_info = predictor->info().preset + " on " + predictor->info().device;

  say(o, "pipeline: encoding a " + std::to_string(o.frame_w) + "x" + std::to_string(o.frame_h) + " clip");
  std::string what;
  LatencyProbeOptions probe;
  probe.size = cv::Size(o.frame_w, o.frame_h);
  probe.frames = o.frames;
  probe.segment_frames = o.segment_frames;
  probe.clip = make_clip(o, dir, what);
  say(o, "pipeline: per-stage latency (decode, copy-out, model, overlay, hand-off)");
  PredictorSegmenter segmenter(predictor, o.threads);
  const LatencyReport lr = measure_latency(probe, &segmenter);
  r.frames = o.frames;
  r.clip = std::to_string(o.frames) + " frames H.264 8 Mbit/s from " + what;
  r.stages = {stage("decode", lr.decode),       stage("copy-out", lr.copy_out),
              stage("preprocess", lr.preprocess), stage("inference", lr.inference),
              stage("postprocess", lr.postprocess), stage("overlay", lr.overlay),
              stage("hand-off", lr.handoff)};
  for (const auto& s : r.stages)
    if (s.stage != "inference" && s.stage != "decode") r.app_overhead_ms += s.median_ms;
  r.inference_ms = lr.inference.median_ms;
  r.video_added_delay_ms = lr.added_video_delay.median_ms;
  r.annotation_delay_ms = lr.annotation_delay_ms;

  if (o.live_seconds > 0) {
    say(o, "pipeline: live run, " + std::to_string(int(o.live_fps)) + " fps source for " +
               std::to_string(int(std::lround(o.live_seconds))) + " s");
    r.live = run_live(o, predictor, false);
    r.live_ran = true;
  } else {
    r.live_skipped = "not requested";
  }
  if (o.branch) {
    say(o, "pipeline: the model branch + view path (decode with the branch, model at its size, view)");
    measure_branch(o, probe.clip, predictor, lr, r);
    if (o.live_seconds > 0) {
      say(o, "pipeline: live run with the model branch and the view");
      r.branch_live = run_live(o, predictor, true);
      r.branch_live_ran = true;
    }
  }
  return r;
}

}  // namespace pl::core::bench
