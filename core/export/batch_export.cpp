#include "core/export/batch_export.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "core/export/file_writer.h"
#include "core/log/log.h"
#include "core/overlay/fov.h"
#include "core/review/video_reader.h"

namespace fs = std::filesystem;
using pl::core::review::JobRunner;

namespace pl::core::exporting {
namespace {

// A new folder for this batch: "<base>", "<base>_2", ... (create_directory fails when it exists, so
// two batches started in the same second still get different folders).
std::string make_batch_folder(const std::string& parent, const std::string& base) {
  ensure_writable_dir(parent);
  for (int n = 1;; ++n) {
    const fs::path p = fs::path(parent) / (n == 1 ? base : base + "_" + std::to_string(n));
    std::error_code ec;
    if (fs::create_directory(p, ec)) return p.string();
    if (ec) throw ExportError(ExportError::Kind::NotWritable, p.string(),
                              "cannot create the folder '" + p.string() + "': " + ec.message());
  }
}

}  // namespace

const char* to_string(BatchSelection s) {
  return s == BatchSelection::Detections ? "detections" : "every-nth";
}

BatchSelection batch_selection_from_string(const std::string& s) {
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "detections") return BatchSelection::Detections;
  if (l == "every-nth" || l == "nth") return BatchSelection::EveryNth;
  throw std::invalid_argument("batch selection must be 'detections' or 'every-nth', got '" + s + "'");
}

void BatchExportOptions::validate() const {
  if (every_n < 1) throw std::invalid_argument("batch export: every_n must be >= 1, got " + std::to_string(every_n));
  if (!(area_threshold >= 0 && area_threshold < 1))
    throw std::invalid_argument("batch export: area_threshold must be in [0, 1), got " + std::to_string(area_threshold));
  if (max_frames < 0) throw std::invalid_argument("batch export: max_frames must be >= 0, got " + std::to_string(max_frames));
  snapshot.validate();
}

BatchExporter::BatchExporter(pl::core::review::JobCallbacks callbacks) : job_(std::move(callbacks)) {}

BatchExporter::~BatchExporter() {
  job_.cancel();
  job_.wait();
}

void BatchExporter::start(const std::string& video_path, std::unique_ptr<FrameSegmenter> segmenter,
                          const SnapshotMeta& meta, const BatchExportOptions& options) {
  options.validate();
  if (!segmenter && options.selection == BatchSelection::Detections)
    throw std::invalid_argument("batch export: exporting detections needs a model (no segmenter given)");
  if (job_.running()) throw std::logic_error("batch export: already running");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    summary_ = BatchSummary{};
  }
  // The body owns the segmenter: it is used and destroyed on the job thread.
  std::shared_ptr<FrameSegmenter> seg = std::move(segmenter);
  job_.start([this, seg, video_path, meta, options](JobRunner& job) {
    auto log = pl::log::get("video");
    auto note_failure = [this](const ExportError& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      summary_.failed_path = e.path();
    };
    try {
      pl::core::review::VideoReader reader(video_path);
      const int64_t total = reader.frame_count();
      std::string folder = options.snapshot.out_dir;
      if (options.subfolder)
        folder = make_batch_folder(folder, source_stem(video_path) + "_frames_" + file_time(std::time(nullptr)));
      else
        ensure_writable_dir(folder);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        summary_.folder = folder;
      }
      log->info("batch export of '{}' ({}) into '{}'", video_path, to_string(options.selection), folder);

      SnapshotOptions snap = options.snapshot;
      snap.out_dir = folder;
      SnapshotMeta m = meta;
      if (m.source.empty()) m.source = video_path;
      const std::string stem = source_stem(m.source);
      cv::Mat frame;
      int64_t exported = 0;
      // The scope's field of view, followed over every decoded frame as the live worker does: masks
      // are clipped to it and the overlays leave the black border alone (docs/architecture.md, Overlay).
      FieldOfViewTracker view_tracker;
      while (!job.cancelled() && reader.read(frame)) {
        const int64_t index = reader.next_index() - 1;
        job.report(index + 1, std::max(total, index + 1));
        const auto view = view_tracker.update(frame);
        const bool candidate = options.selection == BatchSelection::Detections || index % options.every_n == 0;
        if (!candidate) continue;
        cv::Mat mask;
        if (seg) mask = seg->segment(frame).mask;
        if (view && !mask.empty() && mask.size() == view->size()) mask = view->clip(mask);
        if (options.selection == BatchSelection::Detections &&
            static_cast<double>(cv::countNonZero(mask)) <= options.area_threshold * static_cast<double>(mask.total()))
          continue;
        char name[32];
        std::snprintf(name, sizeof name, "_f%06lld", static_cast<long long>(index));
        snap.stem = stem + name;
        m.frame_index = m.mask_frame_index = index;
        m.pts_ns = reader.last_pts_ns();
        m.mask_age_ms = mask.empty() ? -1 : 0;  // the mask is of this very frame
        const SnapshotFiles files = write_snapshot(frame, mask, m, snap, view.get());
        ++exported;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          summary_.frames_exported = exported;
          summary_.files_written += files.count();
        }
        if (options.max_frames > 0 && exported >= options.max_frames) break;
      }
      if (!job.cancelled()) job.report(reader.next_index(), std::max(total, reader.next_index()));
      log->info("batch export of '{}': {} frames exported{}", video_path, exported, job.cancelled() ? " (cancelled)" : "");
    } catch (const ExportError& e) {
      note_failure(e);
      log->error("batch export of '{}' stopped: {}", video_path, e.what());
      throw;
    }
  });
}

void BatchExporter::cancel() { job_.cancel(); }
pl::core::review::JobResult BatchExporter::wait() { return job_.wait(); }
bool BatchExporter::running() const { return job_.running(); }
pl::core::review::JobProgress BatchExporter::progress() const { return job_.progress(); }
pl::core::review::JobResult BatchExporter::result() const { return job_.result(); }

BatchSummary BatchExporter::summary() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return summary_;
}

}  // namespace pl::core::exporting
