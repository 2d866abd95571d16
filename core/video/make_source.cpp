#include "core/video/make_source.h"

#include "core/video/gst_frame_source.h"
#include "core/video/image_folder_source.h"

namespace pl::core {

std::unique_ptr<FrameSource> make_frame_source(const SourceSpec& spec) {
  if (spec.kind == SourceKind::ImageFolder) return std::make_unique<ImageFolderSource>(spec);
  return std::make_unique<GstFrameSource>(spec);
}

std::unique_ptr<FrameSource> make_frame_source(const std::string& input, Playback playback) {
  SourceSpec spec = SourceSpec::parse(input);
  spec.playback = playback;
  return make_frame_source(spec);
}

}  // namespace pl::core
