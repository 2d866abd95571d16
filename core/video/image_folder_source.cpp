#include "core/video/image_folder_source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>

namespace pl::core {
namespace fs = std::filesystem;

bool ImageFolderSource::is_image_file(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".tif" || ext == ".tiff";
}

ImageFolderSource::ImageFolderSource(SourceSpec spec) : spec_(std::move(spec)) {
  if (spec_.kind != SourceKind::ImageFolder)
    throw std::invalid_argument("ImageFolderSource needs an image folder, got a " + std::string(to_string(spec_.kind)));
  spec_.validate();
  std::error_code ec;
  if (fs::is_directory(spec_.location, ec)) {
    for (const auto& entry : fs::directory_iterator(spec_.location, ec)) {
      if (entry.is_regular_file(ec) && is_image_file(entry.path().string())) paths_.push_back(entry.path().string());
    }
  }
  std::sort(paths_.begin(), paths_.end());
  for (const auto& p : paths_) names_.push_back(fs::path(p).filename().string());
  update_info([&](SourceInfo& i) {
    i.description = spec_.describe();
    i.live = false;
    i.seekable = !paths_.empty();
    i.fps = spec_.fps;
    i.frame_count = static_cast<int64_t>(paths_.size());
    i.duration_ns = static_cast<int64_t>(paths_.size() * 1e9 / spec_.fps);
  });
}

ImageFolderSource::~ImageFolderSource() { stop(); }

bool ImageFolderSource::seek_to_frame(int64_t index) {
  if (index < 0 || index >= static_cast<int64_t>(paths_.size())) return false;
  request_seek(index);
  return true;
}

bool ImageFolderSource::seek_to_time(int64_t pts_ns) {
  return seek_to_frame(static_cast<int64_t>(pts_ns * spec_.fps / 1e9 + 1e-6));
}

bool ImageFolderSource::step(int frames) {
  pause();
  const int64_t last = static_cast<int64_t>(paths_.size()) - 1;
  return seek_to_frame(std::clamp<int64_t>(last_frame_index() + frames, 0, std::max<int64_t>(0, last)));
}

bool ImageFolderSource::set_rate(double rate) {
  if (!(rate >= 0.0625 && rate <= 16.0)) return false;
  store_rate(rate);
  return true;
}

bool ImageFolderSource::read(int64_t index, bool preroll) {
  Frame f;
  f.bgr = cv::imread(paths_[static_cast<size_t>(index)], cv::IMREAD_COLOR);
  if (f.bgr.empty()) {
    report_error({VideoErrorCategory::DecodeError,
                  "Cannot read the image '" + paths_[static_cast<size_t>(index)] + "' (not an image, or damaged).", "",
                  false});
    set_state(SourceState::Failed);
    return false;
  }
  f.index = index;
  f.pts_ns = static_cast<int64_t>(index * 1e9 / spec_.fps);
  f.captured = Clock::now();
  f.preroll = preroll;
  deliver(f);
  return true;
}

void ImageFolderSource::run() {
  if (paths_.empty()) {
    report_error({VideoErrorCategory::NotFound,
                  "The folder '" + spec_.location + "' contains no images (png, jpg, bmp, tif).", "", false});
    set_state(SourceState::Failed);
    return;
  }
  if (spec_.playback == Playback::Realtime && !read(0, true)) return;
  set_state(SourceState::Paused);
  int64_t next = spec_.playback == Playback::Realtime ? 1 : 0;
  Clock::time_point due = Clock::now();
  const int64_t count = static_cast<int64_t>(paths_.size());
  while (true) {
    int64_t seek = -1;
    double rate = 1.0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!play_requested_ && state() == SourceState::Playing) {
        lock.unlock();
        set_state(SourceState::Paused);
        lock.lock();
      }
      wake_.wait(lock, [&] { return stop_requested_ || seek_target_ >= 0 || (play_requested_ && next < count); });
      if (stop_requested_) return;
      std::swap(seek, seek_target_);
      rate = rate_;
      if (seek >= 0 && !play_requested_) {
        lock.unlock();
        if (!read(seek, true)) return;
        next = seek + 1;
        set_state(SourceState::Paused);
        continue;
      }
    }
    if (seek >= 0) next = seek;
    if (state() != SourceState::Playing) {
      set_state(SourceState::Playing);
      due = Clock::now();
    }
    if (spec_.playback == Playback::Realtime) {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_until(lock, due, [&] { return stop_requested_ || seek_target_ >= 0 || !play_requested_; }))
        continue;
      due += std::chrono::nanoseconds(static_cast<int64_t>(1e9 / (spec_.fps * rate)));
    }
    if (!read(next, false)) return;
    if (++next >= count) set_state(SourceState::EndOfStream);
  }
}

}  // namespace pl::core
