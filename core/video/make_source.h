#pragma once
// make_frame_source(): the right FrameSource for a SourceSpec (GStreamer for files, URIs, devices
// and test patterns; ImageFolderSource for folders). What the UI's Open dialogs and the CLI call.
#include <memory>
#include <string>

#include "core/video/frame_source.h"
#include "core/video/source_spec.h"

namespace pl::core {

// Throws std::invalid_argument when the spec is invalid (message names the bad value).
std::unique_ptr<FrameSource> make_frame_source(const SourceSpec& spec);

// Shorthand: SourceSpec::parse(input) with the given playback mode.
std::unique_ptr<FrameSource> make_frame_source(const std::string& input, Playback playback = Playback::Realtime);

}  // namespace pl::core
