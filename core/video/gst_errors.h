#pragma once
// Turns GStreamer errors into VideoErrors with a category and a sentence that names the input.
// Internal to core/video (includes GStreamer headers).
#include <string>
#include <vector>

#include <gst/gst.h>

#include "core/video/source_spec.h"
#include "core/video/video_error.h"

namespace pl::core::gst {

struct ErrorContext {
  const SourceSpec* spec = nullptr;
  bool had_frames = false;                    // the source delivered frames before (a loss, not a failure to open)
  std::vector<std::string> missing_plugins;   // descriptions from missing-plugin messages
};

VideoError classify(const GError* error, const std::string& debug, const ErrorContext& ctx);

// The error for a stream without any video (decodebin exposed only audio/subtitle pads, or none).
VideoError no_video_error(const SourceSpec& spec, const std::vector<std::string>& streams_seen);

}  // namespace pl::core::gst
