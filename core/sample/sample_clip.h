#pragma once
// The bundled sample clip: a short H.264 MP4 made from real Kvasir-SEG validation images by a smooth
// virtual camera (pan, zoom, slight rotation, motion blur) with cross-fades, and the matching per-frame
// ground-truth masks (the same transform applied to the masks) in a mask track beside it.
// Deterministic for a given seed and data set.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pl::core {

struct SampleClipOptions {
  std::string data_dir;                 // Kvasir-SEG root (images/, masks/, val.txt)
  std::string split = "val";            // images come from <split>.txt only
  std::string out_video;                // .mp4
  std::string out_masks;                // mask track (.plmasks)
  int width = 640, height = 512;        // Kvasir's typical 5:4 aspect
  double fps = 25.0;
  int images = 7;
  double seconds_per_image = 2.5;       // including the cross-fade into the next image
  double crossfade_seconds = 0.6;
  int bitrate_kbps = 1600;
  uint32_t seed = 20261126;

  void validate() const;  // throws std::invalid_argument naming the bad field
};

struct SampleClipResult {
  int frames = 0;
  double seconds = 0;
  std::vector<std::string> images;      // names used, in order
  std::vector<double> polyp_area;       // ground-truth polyp fraction of each source image
};

SampleClipResult make_sample_clip(const SampleClipOptions& opts,
                                  const std::function<void(int done, int total)>& progress = {});

}  // namespace pl::core
