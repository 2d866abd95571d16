// polyplens annotate: every frame of a video, stream or image folder through the model and the mask
// overlay into an H.264 MP4 or PNG files (core/pipeline/annotate.h), with a progress line.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include "app/commands.h"
#include "core/pipeline/annotate.h"
#include "core/pipeline/predictor_segmenter.h"
#include "core/video/video_writer.h"

namespace pl::app {
namespace {
namespace fs = std::filesystem;

std::atomic<bool> g_cancel{false};

// The checkpoint shipped with the program: $POLYPLENS_CHECKPOINT, else the bundled default.
std::string bundled_checkpoint(std::vector<std::string>& looked) {
  if (const char* env = std::getenv("POLYPLENS_CHECKPOINT"); env && *env) {
    looked.emplace_back(env);
    std::error_code ec;
    if (fs::is_regular_file(env, ec)) return env;
  }
  return bundled_resource("models/default.pt", &looked);
}

void print_progress(const pl::core::AnnotateProgress& p) {
  static auto last = std::chrono::steady_clock::time_point{};
  const auto now = std::chrono::steady_clock::now();
  if (p.done != p.total && now - last < std::chrono::milliseconds(250)) return;
  last = now;
  char line[160];
  if (p.total > 0) {
    std::snprintf(line, sizeof line, "\rannotate: %lld/%lld frames (%.0f%%), %.1f fps, ETA %.0f s   ",
                  static_cast<long long>(p.done), static_cast<long long>(p.total), 100.0 * p.done / p.total, p.fps,
                  p.eta_s < 0 ? 0.0 : p.eta_s);
  } else {
    std::snprintf(line, sizeof line, "\rannotate: %lld frames, %.1f fps, %.0f s   ", static_cast<long long>(p.done),
                  p.fps, p.elapsed_s);
  }
  // A terminal gets one updating line; a log file gets a line per update.
  std::cerr << (isatty(STDERR_FILENO) ? line : line + 1) << (isatty(STDERR_FILENO) ? "" : "\n") << std::flush;
}

int annotate_main(const Argv& argv) {
  Args args("annotate",
            "Render a video file, stream (rtsp://, http://, udp://), capture device (/dev/videoN) or image folder\n"
            "with the polyp mask overlay. Every frame of a file or folder is processed (none dropped); live\n"
            "inputs run until --max-frames or Ctrl-C. Output: an H.264 .mp4, or a folder of PNG files\n"
            "(named after the input images, or frame_000000.png ...).");
  args.option("input", "video file, image folder, URI or /dev/videoN")
      .option("output", "OUT.mp4 or a folder for PNG frames")
      .option("checkpoint", "trained model (.pt); default: $POLYPLENS_CHECKPOINT or the bundled model")
      .option("mode", "overlay: fill (polyp red, background green), outline or off", "fill")
      .option("alpha", "overlay opacity in [0, 1]", "0.5")
      .flag("overlay-everywhere",
            "paint the overlay over the whole frame, the black border around the scope's field of view\n"
            "      too (by default it stays inside the view, found per source; for footage whose border is misread)")
      .option("device", "auto, cpu or cuda", "auto")
      .option("threads", "CPU threads for the model (0 = all hardware threads, as the window and eval)", "0")
      .option("max-frames", "stop after N frames (0 = all)", "0")
      .option("fps", "frame rate of the MP4 (0 = the input's; 30 for folders)", "0");
  if (!args.parse(argv)) return 0;

  pl::core::AnnotateOptions o;
  o.input = args.get("input");
  o.output = args.get("output");
  if (o.input.empty()) throw UsageError("--input FILE|URI|DIR is required");
  if (o.output.empty()) throw UsageError("--output OUT.mp4|DIR is required");
  const int max_frames = args.get_int("max-frames");
  if (max_frames < 0) throw UsageError("--max-frames must be >= 0, got " + std::to_string(max_frames));
  o.max_frames = max_frames > 0 ? max_frames : -1;
  o.fps = args.get_double("fps");
  o.overlay.alpha = args.get_double("alpha");
  o.overlay.limit_to_view = !args.has("overlay-everywhere");
  pl::core::inference::PredictorOptions po;
  po.device = args.get("device");
  po.threads = args.get_int("threads");
  if (po.threads < 0) throw UsageError("--threads must be >= 0, got " + std::to_string(po.threads));
  // Left at 0, LibTorch ran the model on one thread (it runs on the pipeline's worker thread).
  if (po.threads == 0) po.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  try {
    o.overlay.mode = pl::core::overlay_mode_from_string(args.get("mode"));
    o.validate();
    po.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  std::string checkpoint = args.get("checkpoint");
  if (checkpoint.empty()) {
    std::vector<std::string> looked;
    checkpoint = bundled_checkpoint(looked);
    if (checkpoint.empty()) {
      std::string where;
      for (const auto& l : looked) where += "\n  " + l;
      throw UsageError("no checkpoint given (--checkpoint FILE) and no bundled model found. Looked in:" + where +
                       "\nTrain one with 'polyplens train' (it writes best.pt into its run folder) and pass it "
                       "with --checkpoint.");
    }
    std::cerr << "annotate: using the bundled model " << checkpoint << "\n";
  } else if (!fs::is_regular_file(checkpoint)) {
    throw UsageError("--checkpoint " + checkpoint + ": no such file");
  }

  pl::core::PredictorSegmenter segmenter(checkpoint, po);
  std::cerr << "annotate: " << o.input << " -> " << o.output << " with " << segmenter.describe() << ", overlay "
            << pl::core::to_string(o.overlay.mode) << " alpha " << o.overlay.alpha
            << (o.overlay.limit_to_view ? "" : " over the whole frame") << "\n";

  g_cancel = false;
  auto previous = std::signal(SIGINT, [](int) { g_cancel = true; });
  pl::core::AnnotateReport r;
  try {
    r = pl::core::annotate_video(o, segmenter, [](const pl::core::AnnotateProgress& p) { print_progress(p); },
                                 &g_cancel);
  } catch (const pl::core::VideoException& e) {
    std::signal(SIGINT, previous);
    std::cerr << (isatty(STDERR_FILENO) ? "\n" : "") << "polyplens annotate: " << e.error().to_string() << "\n";
    return 1;
  }
  std::signal(SIGINT, previous);
  if (isatty(STDERR_FILENO)) std::cerr << "\n";
  std::fprintf(stderr,
               "annotate: %s %lld frames to %s in %.1f s (per frame: preprocess %.1f ms, inference %.1f ms, "
               "postprocess %.1f ms, overlay %.2f ms)\n",
               r.cancelled ? "cancelled after" : "wrote", static_cast<long long>(r.frames), r.output.c_str(), r.seconds,
               r.mean_preprocess_ms, r.mean_infer_ms, r.mean_postprocess_ms, r.mean_overlay_ms);
  return r.cancelled ? 130 : 0;
}

}  // namespace

int cmd_annotate(const Argv& argv) { return annotate_main(argv); }

}  // namespace pl::app
