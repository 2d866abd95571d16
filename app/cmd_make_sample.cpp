// polyplens make-sample: builds the bundled sample clip and its ground-truth mask track from
// Kvasir-SEG validation images (see core/sample/sample_clip.h).
#include <cstdlib>
#include <iostream>

#include "app/commands.h"
#include "core/log/log.h"
#include "core/sample/sample_clip.h"

namespace pl::app {

int cmd_make_sample(const Argv& argv) {
  const char* env = std::getenv("POLYPLENS_DATA");
  const std::string data = std::string(env && *env ? env : "../shared/data") + "/kvasir-seg";
  core::SampleClipOptions o;
  Args a("make-sample", "Render the sample clip (H.264 MP4) and its per-frame ground-truth masks from "
                        "Kvasir-SEG validation images with a smooth virtual camera.");
  a.option("data", "Kvasir-SEG folder", data)
      .option("split", "split whose images are used", o.split)
      .option("out", "output video", "resources/samples/sample.mp4")
      .option("masks", "output mask track", "resources/samples/sample.plmasks")
      .option("size", "frame size WxH", std::to_string(o.width) + "x" + std::to_string(o.height))
      .option("fps", "frames per second", "25")
      .option("images", "number of source images", std::to_string(o.images))
      .option("seed", "random seed", std::to_string(o.seed));
  if (!a.parse(argv)) return 0;
  o.data_dir = a.get("data");
  o.split = a.get("split");
  o.out_video = a.get("out");
  o.out_masks = a.get("masks");
  if (std::sscanf(a.get("size").c_str(), "%dx%d", &o.width, &o.height) != 2)
    throw UsageError("--size expects WxH, got '" + a.get("size") + "'");
  o.fps = a.get_double("fps");
  o.images = a.get_int("images");
  o.seed = static_cast<uint32_t>(a.get_int("seed"));
  auto r = core::make_sample_clip(o, [](int done, int total) {
    if (done % 25 == 0 || done == total)
      std::cerr << "\rmake-sample: frame " << done << "/" << total << std::flush;
  });
  std::cerr << "\n";
  std::cout << "wrote " << o.out_video << " (" << r.frames << " frames, " << r.seconds << " s) and "
            << o.out_masks << "\nimages:";
  for (size_t i = 0; i < r.images.size(); ++i)
    std::cout << " " << r.images[i] << " (" << int(r.polyp_area[i] * 1000) / 10.0 << "%)";
  std::cout << "\n";
  return 0;
}

}  // namespace pl::app
