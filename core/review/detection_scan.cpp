#include "core/review/detection_scan.h"

#include <stdexcept>

#include "core/log/log.h"
#include "core/review/video_reader.h"

namespace pl::core::review {

void ScanOptions::validate() const {
  if (stride < 1) throw std::invalid_argument("scan: stride must be >= 1, got " + std::to_string(stride));
}

DetectionScan::DetectionScan(std::shared_ptr<DetectionTrack> track, JobCallbacks callbacks)
    : track_(std::move(track)), job_(std::move(callbacks)) {
  if (!track_) throw std::invalid_argument("scan: the detection track is null");
}

DetectionScan::~DetectionScan() {
  job_.cancel();
  job_.wait();
}

void DetectionScan::start(const std::string& video_path, std::unique_ptr<FrameSegmenter> segmenter,
                          const ScanOptions& options) {
  options.validate();
  if (!segmenter) throw std::invalid_argument("scan: no segmenter (load a model first)");
  if (job_.running()) throw std::logic_error("scan: a pass is already running");
  auto track = track_;
  // The body owns the segmenter: it is used and destroyed on the job thread.
  std::shared_ptr<FrameSegmenter> seg = std::move(segmenter);
  job_.start([track, seg, video_path, options](JobRunner& job) {
    auto log = pl::log::get("video");
    VideoReader reader(video_path);
    const int64_t total = reader.frame_count();
    log->info("detection scan of '{}' started ({} frames, stride {})", video_path, total, options.stride);
    cv::Mat frame;
    int64_t segmented = 0;
    while (!job.cancelled() && reader.read(frame)) {
      const int64_t index = reader.next_index() - 1;
      if (index % options.stride == 0 && !(options.skip_known && track->known(index))) {
        const SegmentResult r = seg->segment(frame);
        track->record_mask(index, r.mask);
        ++segmented;
      }
      job.report(index + 1, std::max(total, index + 1));
    }
    if (!job.cancelled()) job.report(reader.next_index(), reader.next_index());  // the true count
    log->info("detection scan of '{}' {}: {} frames decoded, {} segmented", video_path,
              job.cancelled() ? "cancelled" : "finished", reader.next_index(), segmented);
  });
}

void DetectionScan::cancel() { job_.cancel(); }
JobResult DetectionScan::wait() { return job_.wait(); }
bool DetectionScan::running() const { return job_.running(); }
JobProgress DetectionScan::progress() const { return job_.progress(); }
JobResult DetectionScan::result() const { return job_.result(); }

}  // namespace pl::core::review
