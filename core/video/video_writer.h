#pragma once
// Mp4Writer: BGR frames -> H.264 in an MP4 file.
//   appsrc (BGR, timestamps i / fps) ! videoconvert ! x264enc ! mp4mux ! filesink
// finish() sends EOS and waits for the muxer to write the index; a file that was never finished
// is not playable, so the destructor finishes too (and logs instead of throwing).
//
// Threading model: one owner thread calls write()/finish(); GStreamer's threads are internal.
// write() blocks when the encoder is behind (appsrc block=true), so memory stays bounded.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>

#include "core/video/video_error.h"

namespace pl::core {

// Thrown by the video writer (and other synchronous video helpers) with a categorised error.
class VideoException : public std::runtime_error {
 public:
  explicit VideoException(VideoError e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const VideoError& error() const { return error_; }

 private:
  VideoError error_;
};

struct Mp4WriterOptions {
  std::string path;
  double fps = 30.0;
  int bitrate_kbps = 0;                // 0: constant quality (quantizer below) instead of a bitrate
  int quantizer = 20;                  // x264 QP when bitrate_kbps == 0 (lower = better, 0..50)
  std::string speed_preset = "veryfast";
  int keyframe_interval = 30;          // frames; short GOPs keep seeking in the result fast

  void validate() const;  // throws std::invalid_argument naming the bad value
};

class Mp4Writer {
 public:
  explicit Mp4Writer(Mp4WriterOptions options);  // checks the plugins; the file is created on the first frame
  ~Mp4Writer();
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  // The first frame fixes the video size; later frames of another size are resized to it.
  // Odd sizes are padded to even (x264 needs 4:2:0). Throws VideoException on pipeline errors.
  void write(const cv::Mat& bgr);
  // Ends the stream and waits until the file is complete. Throws VideoException. Idempotent.
  void finish();

  int64_t frames_written() const;
  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pl::core
