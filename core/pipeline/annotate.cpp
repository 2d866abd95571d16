#include "core/pipeline/annotate.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include <opencv2/imgcodecs.hpp>

#include "core/log/log.h"
#include "core/pipeline/bounded_queue.h"
#include "core/video/image_folder_source.h"
#include "core/video/make_source.h"
#include "core/video/video_writer.h"

namespace pl::core {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Where frames go: an MP4 or numbered/named PNGs.
class FrameSink {
 public:
  FrameSink(const AnnotateOptions& o, double fps, std::vector<std::string> names) : names_(std::move(names)) {
    if (o.writes_mp4()) {
      Mp4WriterOptions w;
      w.path = o.output;
      w.fps = fps;
      w.quantizer = o.quantizer;
      w.speed_preset = "faster";
      mp4_ = std::make_unique<Mp4Writer>(w);
      const fs::path parent = fs::path(o.output).parent_path();
      std::error_code ec;
      if (!parent.empty()) fs::create_directories(parent, ec);
    } else {
      dir_ = o.output;
      std::error_code ec;
      fs::create_directories(dir_, ec);
      if (ec || !fs::is_directory(dir_))
        throw VideoException({VideoErrorCategory::WriteError,
                              "Cannot create the output folder '" + o.output + "': " + ec.message(), "", false});
    }
  }

  void write(const cv::Mat& bgr, int64_t index) {
    if (mp4_) {
      mp4_->write(bgr);
      return;
    }
    std::string name;
    if (index >= 0 && index < static_cast<int64_t>(names_.size())) {
      name = fs::path(names_[static_cast<size_t>(index)]).stem().string() + ".png";
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "frame_%06lld.png", static_cast<long long>(index));
      name = buf;
    }
    const std::string path = (dir_ / name).string();
    bool ok = false;
    try {
      ok = cv::imwrite(path, bgr);
    } catch (const cv::Exception&) {
      ok = false;
    }
    if (!ok) throw VideoException({VideoErrorCategory::WriteError, "Cannot write '" + path + "'.", "", false});
  }

  void finish() {
    if (mp4_) mp4_->finish();
  }

 private:
  std::unique_ptr<Mp4Writer> mp4_;
  fs::path dir_;
  std::vector<std::string> names_;
};

}  // namespace

bool AnnotateOptions::writes_mp4() const {
  const std::string ext = lower(fs::path(output).extension().string());
  return ext == ".mp4" || ext == ".m4v";
}

void AnnotateOptions::validate() const {
  overlay.validate();
  if (input.empty()) throw std::invalid_argument("annotate: no input given (a video file, image folder, URI or device)");
  if (output.empty()) throw std::invalid_argument("annotate: no output given (OUT.mp4 or a folder for PNGs)");
  const std::string ext = lower(fs::path(output).extension().string());
  if (!ext.empty() && !writes_mp4())
    throw std::invalid_argument("annotate: output '" + output +
                                "' must end in .mp4 (H.264 video) or name a folder (PNG frames); " + ext +
                                " is not supported");
  if (fps < 0.0 || fps > 1000.0) throw std::invalid_argument("annotate: fps must be in [0, 1000], got " + std::to_string(fps));
  if (max_frames == 0 || max_frames < -1)
    throw std::invalid_argument("annotate: max_frames must be -1 (all) or > 0, got " + std::to_string(max_frames));
  if (quantizer < 0 || quantizer > 50)
    throw std::invalid_argument("annotate: quantizer must be in [0, 50], got " + std::to_string(quantizer));
}

AnnotateReport annotate_video(const AnnotateOptions& options, FrameSegmenter& segmenter,
                              const std::function<void(const AnnotateProgress&)>& progress,
                              const std::atomic<bool>* cancel) {
  options.validate();
  auto log = pl::log::get("video");
  SourceSpec spec = SourceSpec::parse(options.input);
  spec.playback = Playback::EveryFrame;
  spec.max_reconnects = 3;  // a command-line run should end on a dead camera, not retry forever
  std::unique_ptr<FrameSource> source = make_frame_source(spec);

  BoundedQueue<Frame> queue(4);
  std::mutex error_mutex;
  std::optional<VideoError> error;
  SourceCallbacks cb;
  cb.on_frame = [&](const Frame& f) { queue.push(f); };
  cb.on_error = [&](const VideoError& e) {
    std::lock_guard<std::mutex> lock(error_mutex);
    if (!error) error = e;
  };
  cb.on_state = [&](SourceState s, const SourceInfo&) {
    if (s == SourceState::EndOfStream || s == SourceState::Failed) queue.close();
  };
  source->set_callbacks(std::move(cb));
  source->open();
  source->start();

  // The output's frame rate is known once the source has negotiated (or failed).
  source->wait_for({SourceState::Paused, SourceState::Playing, SourceState::EndOfStream, SourceState::Failed},
                   std::chrono::seconds(spec.connect_timeout_ms / 1000 + 5));
  const SourceInfo info = source->info();
  const double fps = options.fps > 0 ? options.fps : (info.fps > 0 ? info.fps : 30.0);
  std::vector<std::string> names;
  if (auto* folder = dynamic_cast<ImageFolderSource*>(source.get())) names = folder->names();

  AnnotateReport report;
  report.output = options.output;
  report.expected_frames = info.frame_count;
  int64_t total = info.frame_count;
  if (options.max_frames > 0) total = total > 0 ? std::min(total, options.max_frames) : options.max_frames;

  std::unique_ptr<FrameSink> sink;
  const Clock::time_point t0 = Clock::now();
  double sum_pre = 0, sum_inf = 0, sum_post = 0, sum_overlay = 0;
  cv::Mat composed;
  FieldOfViewTracker view_tracker;  // the scope's field of view: no overlay on the black border
  auto finish_source = [&] {
    queue.close();  // unblocks a decoder waiting in push() before stop() joins it
    source->stop();
  };
  try {
    while (true) {
      if (cancel && cancel->load()) {
        report.cancelled = true;
        break;
      }
      if (options.max_frames > 0 && report.frames >= options.max_frames) break;
      std::optional<Frame> frame = queue.pop(std::chrono::milliseconds(200));
      if (!frame) {
        if (queue.drained()) break;
        continue;
      }
      if (!sink) sink = std::make_unique<FrameSink>(options, fps, names);
      const SegmentResult r = segmenter.segment(frame->bgr);
      const Clock::time_point a = Clock::now();
      const auto view = view_tracker.update(frame->bgr);
      compose_overlay_into(frame->bgr, r.mask, options.overlay, composed, view.get());
      sum_overlay += ms_between(a, Clock::now());
      sink->write(composed, frame->index);
      sum_pre += r.preprocess_ms;
      sum_inf += r.infer_ms;
      sum_post += r.postprocess_ms;
      ++report.frames;
      if (progress) {
        AnnotateProgress p;
        p.done = report.frames;
        p.total = total;
        p.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
        p.fps = p.elapsed_s > 0 ? report.frames / p.elapsed_s : 0.0;
        if (total > 0 && p.fps > 0) p.eta_s = (total - report.frames) / p.fps;
        progress(p);
      }
    }
  } catch (...) {
    finish_source();
    throw;
  }
  finish_source();
  {
    std::lock_guard<std::mutex> lock(error_mutex);
    if (error) throw VideoException(*error);
  }
  if (report.frames == 0 && !report.cancelled)
    throw VideoException({VideoErrorCategory::NoVideo, "No frames could be read from '" + spec.describe() + "'.", "", false});
  if (sink) sink->finish();
  report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double n = static_cast<double>(std::max<int64_t>(1, report.frames));
  report.mean_preprocess_ms = sum_pre / n;
  report.mean_infer_ms = sum_inf / n;
  report.mean_postprocess_ms = sum_post / n;
  report.mean_overlay_ms = sum_overlay / n;
  if (report.expected_frames > 0 && options.max_frames < 0 && !report.cancelled &&
      report.frames != report.expected_frames)
    log->warn("annotate: {} frames written, the input announced {}", report.frames, report.expected_frames);
  return report;
}

}  // namespace pl::core
