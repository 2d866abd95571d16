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
  // Why a network source failed, in a few words (network_cause()): from the error's own text, the
  // element's last warning, or what GStreamer logged on the element's thread just before. rtspsrc's
  // error says only "Could not open resource for reading and writing"; "Connection refused" is in
  // its log. Empty when unknown.
  std::string cause;
};

VideoError classify(const GError* error, const std::string& debug, const ErrorContext& ctx);

// What the text of a network failure says, in a few words a person can act on: "connection refused",
// "could not resolve host", "timeout", "401 Unauthorized", ...; empty when it names no cause we know.
std::string network_cause(const std::string& text);

// GStreamer's log routing (gst_runtime.cpp) notes the last network cause each thread logged at
// warning level or above; an element posts its error from the thread that logged the cause, so a bus
// sync handler running there takes it (and clears it). A note older than 10 s is not returned.
void note_thread_network_cause(const std::string& cause);
std::string take_thread_network_cause();

// The error for a stream without any video (decodebin exposed only audio/subtitle pads, or none).
VideoError no_video_error(const SourceSpec& spec, const std::vector<std::string>& streams_seen);

}  // namespace pl::core::gst
