#pragma once
// ImageFolderSource: the images of a folder (png, jpg, jpeg, bmp, tif, tiff; sorted by name) played
// as a seekable, non-live video. Every image keeps its own size; `names()` maps frame index -> file,
// so tools can name their outputs after the inputs.
//
// Threading model: one internal thread reads/decodes images and calls on_frame (streaming thread)
// and the state/error callbacks (control thread role). Control methods from any thread; stop() joins.
#include <string>
#include <vector>

#include "core/video/threaded_frame_source.h"
#include "core/video/source_spec.h"

namespace pl::core {

class ImageFolderSource : public ThreadedFrameSource {
 public:
  // Lists the folder now (throws std::invalid_argument if the spec is not an ImageFolder).
  explicit ImageFolderSource(SourceSpec spec);
  ~ImageFolderSource() override;

  bool seek_to_frame(int64_t index) override;
  bool seek_to_time(int64_t pts_ns) override;
  bool step(int frames) override;
  bool set_rate(double rate) override;

  const std::vector<std::string>& names() const { return names_; }  // file names, in frame order

  static bool is_image_file(const std::string& path);

 private:
  void run() override;
  bool read(int64_t index, bool preroll);

  SourceSpec spec_;
  std::vector<std::string> paths_, names_;
};

}  // namespace pl::core
