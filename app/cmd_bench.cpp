// polyplens bench [model|pipeline|train|all|soak]: timings with their peers side by side (core/bench/),
// as tables on stdout and, with --json, one JSON file holding every figure.
//
// POLYPLENS_HAVE_LIVE = 0 (the headless build: LibTorch and header-only libraries, no Qt, OpenCV or
// GStreamer) keeps the model and train suites only; pipeline and soak need the live pipeline.
#ifndef POLYPLENS_HAVE_LIVE
#define POLYPLENS_HAVE_LIVE 1
#endif

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>
#include <tuple>
#include <utility>

#include "app/commands.h"
#include "core/base/json.h"
#include "core/bench/environment.h"
#include "core/bench/json_util.h"
#include "core/bench/model_bench.h"
#include "core/bench/train_bench.h"
#include "model/atomic_file.h"
#if POLYPLENS_HAVE_LIVE
#include <QGuiApplication>

#include "core/bench/pipeline_bench.h"
#include "core/bench/soak_bench.h"
#include "ui/gl_compositor.h"
#endif

namespace pl::app {
namespace {

namespace bench = pl::core::bench;

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::pair<int, int> parse_size(const std::string& option, const std::string& v) {
  int a = 0, b = 0;
  char x = 0, extra = 0;
  if (std::sscanf(v.c_str(), "%d%c%d%c", &a, &x, &b, &extra) != 3 || (x != 'x' && x != 'X') || a < 32 || b < 32)
    throw UsageError("--" + option + " expects HxW with both sides >= 32, got '" + v + "'");
  return {a, b};
}

void progress(const std::string& line) { std::cerr << "bench: " << line << std::endl; }

#if !POLYPLENS_HAVE_LIVE
int not_in_this_build(const std::string& suite) {
  std::cerr << "polyplens bench " << suite << ": not part of this build (headless: model and train only)" << std::endl;
  return 2;
}
#endif

}  // namespace

int cmd_bench(const Argv& argv) {
  Args a("bench",
         "Benchmarks with their peers side by side, in one run. SUITE is model (forward latency per preset, "
         "dtype and inference option, beside Python eager torchvision models on the same LibTorch and the "
         "machine's matmul floor), pipeline (per-stage latency at 1080p, video delay, mask age under a "
         "live-rate source), train (the Trainer's iteration, data augmentation included, in images/s per preset "
         "and crop, beside the forward-only cost and a Python torchvision DeepLabV3-ResNet50 training step) or all; "
         "soak (not in all) plays a looping clip through the whole live pipeline for --minutes and checks "
         "memory, latency creep and frame drift. "
         "Run on a quiet machine: other load slows every figure."
#if !POLYPLENS_HAVE_LIVE
         " This is a headless build: model and train only (all = model + train); pipeline and soak need "
         "the desktop build."
#endif
  );
  a.positional("SUITE", "model | pipeline | train | all | soak (default: all)")
      .flag("quick", "few runs and fewer variants (a smoke test, or a first look)")
      .option("json", "also write every figure to this JSON file")
      .option("threads", "intra-op threads for us and the Python peers (0 = all hardware threads)", "0")
      .option("size", "model input HxW for the model and pipeline suites, crop for train (default: each preset's)")
      .option("presets", "comma-separated presets (model/train: all listed; pipeline: the first)",
              "ann-r50,ann-r18-live")
      .option("dtypes", "model suite dtypes: fp32, bf16 (cast weights), bf16-autocast (default: all three); the "
              "train suite takes the fp32 and bf16-autocast among them (default: both)")
      .option("runs", "measured runs per figure (default: 10, quick: 3)")
      .option("warmup", "unmeasured runs before each figure (default: 2, quick: 1)")
      .option("python", "Python with torch + torchvision for the peers", "/usr/bin/python3")
      .flag("no-peers", "skip the Python peers")
      .option("batch", "train suite batch (default: 8 on CUDA; on the CPU 2 for ResNet-50/101 presets, 8 otherwise)", "0")
      .option("data-path", "train: where batches are augmented: auto (device on CUDA, host on the CPU, as the "
              "Trainer), device (whole batches, batch_augment.h) or host (the BatchLoader thread)", "auto")
      .option("train-window", "train: iterations per timed window (default: 20 on CUDA, 2 on the CPU)", "0")
      .option("train-data", "train: Kvasir-SEG folder for the training images, or 'synthetic' (default: the "
              "training default; synthetic images when it is missing)")
      .option("frame", "pipeline frame size WxH", "1920x1080")
      .option("live-seconds", "pipeline live run length (default: 10, quick: 3; 0 skips it)")
      .option("device", "cpu or cuda", "cpu")
      .option("minutes", "soak: run length in minutes", "10")
      .option("window", "soak: seconds per sample window", "30")
      .option("soak-warmup", "soak: seconds excluded from the verdict (default: a fifth of the run, at least one window)")
      .option("video", "soak: the clip to loop (default: the bundled sample)")
      .option("checkpoint", "soak: the model (default: the bundled default model)");
  if (!a.parse(argv)) return 0;

  const std::string suite = a.positionals().empty() ? "all" : a.positionals()[0];
  if (suite != "model" && suite != "pipeline" && suite != "train" && suite != "all" && suite != "soak")
    throw UsageError("unknown suite '" + suite + "' (valid: model, pipeline, train, all, soak)");
#if !POLYPLENS_HAVE_LIVE
  if (suite == "pipeline" || suite == "soak") return not_in_this_build(suite);
  if (suite == "all")
    std::cerr << "polyplens bench all: headless build: running the model and train suites only "
                 "(pipeline is not part of this build)" << std::endl;
#endif
  const bool quick = a.has("quick");
  int threads = a.get_int("threads");
  if (threads < 0) throw UsageError("--threads must be >= 0, got " + std::to_string(threads));
  if (threads == 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  int h = 0, w = 0;
  if (a.has("size")) std::tie(h, w) = parse_size("size", a.get("size"));
  const auto presets = split_list(a.get("presets"));
  if (presets.empty()) throw UsageError("--presets needs at least one preset name");
  bench::TimingOptions timing;
  timing.warmup = a.has("warmup") ? a.get_int("warmup") : (quick ? 1 : 2);
  timing.runs = a.has("runs") ? a.get_int("runs") : (quick ? 3 : 10);
  timing.max_seconds = quick ? 20 : 120;
  try {
    timing.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const std::string device = a.get("device");
  if (device != "cpu" && device != "cuda") throw UsageError("--device must be cpu or cuda, got '" + device + "'");
  if (suite == "train" || suite == "all") {  // the train suite's own options, checked before any suite runs
    const std::string data_path = a.get("data-path");
    if (data_path != "auto" && data_path != "device" && data_path != "host")
      throw UsageError("--data-path must be auto, device or host, got '" + data_path + "'");
    if (a.get_int("train-window") < 0) throw UsageError("--train-window must be >= 0");
    if (suite == "train" && a.has("dtypes")) {
      bool any = false;
      for (const auto& d : split_list(a.get("dtypes"))) any = any || d == "fp32" || d == "bf16-autocast";
      if (!any) throw UsageError("--dtypes: the train suite runs fp32 and/or bf16-autocast");
    }
  }

  auto env = bench::Environment::capture();
  std::cout << "PolypLens " POLYPLENS_VERSION " bench (" << (quick ? "quick" : "full") << "): " << env.line() << "\n\n";
  auto suites = pl::json::Json::object();

  if (suite == "model" || suite == "all") {
    bench::ModelBenchOptions o;
    o.presets = presets;
    o.height = h;
    o.width = w;
    if (a.has("dtypes")) o.dtypes = split_list(a.get("dtypes"));
    if (quick) {  // the plain model and everything on, per dtype
      for (const auto& d : o.dtypes) {
        o.variants.push_back({d, false, false});
        o.variants.push_back({d, true, true});
      }
      o.matmul_n = 1024;
    }
    o.device = device;
    o.threads = threads;
    o.timing = timing;
    o.peers = !a.has("no-peers");
    o.python = a.get("python");
    o.progress = progress;
    const auto r = bench::run_model_bench(o);
    std::cout << bench::to_table(r, timing) << "\n";
    suites["model"] = bench::to_json(r);
  }
#if POLYPLENS_HAVE_LIVE
  if (suite == "pipeline" || suite == "all") {
    bench::PipelineBenchOptions o;
    o.preset = a.has("presets") ? presets.front() : "ann-r18-live";
    o.model_h = h;
    o.model_w = w;
    const auto [fw, fh] = parse_size("frame", a.get("frame"));
    o.frame_w = fw;
    o.frame_h = fh;
    o.frames = quick ? 20 : 60;
    o.segment_frames = quick ? 5 : 20;
    o.live_seconds = a.has("live-seconds") ? a.get_double("live-seconds") : (quick ? 3 : 10);
    o.device = device;
    o.threads = threads;
    o.progress = progress;
    // The view's GPU compositor needs a display with OpenGL (the workstation's, or xvfb-run's).
    std::unique_ptr<QGuiApplication> gui;
    std::unique_ptr<ui::OffscreenCompositor> gl;
    static int gui_argc = 1;
    static char gui_name[] = "polyplens";
    static char* gui_argv[] = {gui_name, nullptr};
    if (!QGuiApplication::instance() && (qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY")))
      gui = std::make_unique<QGuiApplication>(gui_argc, gui_argv);
    QString why;
    if (QGuiApplication::instance() && ui::gpu_compositing_available(&why)) {  // as the app's view decides
      gl = std::make_unique<ui::OffscreenCompositor>();
      if (gl->ok()) {
        o.gpu_renderer = gl->renderer().toStdString();
        o.gpu_present = [&gl](const cv::Mat& frame, const cv::Mat& mask) {
          // A 1280x720 view: what the window's picture area is on a full-HD screen.
          static const QSize view(1280, 720);
          const double t0 = bench::now_ms();
          gl->compositor().set_frame(frame);
          gl->compositor().set_mask(mask, nullptr);
          gl->draw_offscreen(view);
          const double t1 = bench::now_ms();
          gl->finish();
          return std::make_pair(t1 - t0, bench::now_ms() - t1);
        };
      } else {
        o.gpu_missing = gl->error().toStdString();
      }
    } else {
      o.gpu_missing = QGuiApplication::instance() ? why.toStdString()
                                                  : "no display (run it on the workstation's screen or under xvfb-run)";
    }
    const auto r = bench::run_pipeline_bench(o);
    std::cout << bench::to_table(r) << "\n";
    suites["pipeline"] = bench::to_json(r);
  }
#endif
  if (suite == "train" || suite == "all") {
    bench::TrainBenchOptions o;
    o.cases.clear();
    for (const auto& p : presets) o.cases.push_back({p, h, w, a.get_int("batch")});
    o.device = device;
    o.threads = threads;
    o.timing = bench::TimingOptions{1, quick ? 2 : 3, quick ? 60.0 : 300.0};  // windows
    if (a.has("dtypes")) {  // the train suite's among them; none (with `all`): its default
      std::vector<std::string> dtypes;
      for (const auto& d : split_list(a.get("dtypes")))
        if (d == "fp32" || d == "bf16-autocast") dtypes.push_back(d);
      if (!dtypes.empty()) o.dtypes = dtypes;
    }
    o.window = a.get_int("train-window");
    o.data_path = a.get("data-path");
    if (a.has("train-data")) o.data_root = a.get("train-data");
    o.peers = !a.has("no-peers");
    o.python = a.get("python");
    o.progress = progress;
    try {
      o.validate();
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    const auto r = bench::run_train_bench(o);
    std::cout << bench::to_table(r, o.timing) << "\n";
    suites["train"] = bench::to_json(r);
  }

#if POLYPLENS_HAVE_LIVE
  if (suite == "soak") {
    bench::SoakOptions o;
    o.minutes = a.get_double("minutes");
    o.window_seconds = a.get_double("window");
    // Default warm-up: a fifth of the run, at least one window (the allocator and oneDNN's caches
    // settle over the first minutes: +4 MiB in the first 2 of a 10-minute run, then flat).
    o.warmup_seconds = a.has("soak-warmup") ? a.get_double("soak-warmup")
                                            : std::max(o.window_seconds, 0.2 * o.minutes * 60.0);
    std::vector<std::string> looked;
    o.video = a.has("video") ? a.get("video") : bundled_resource("samples/sample.mp4", &looked);
    o.checkpoint = a.has("checkpoint") ? a.get("checkpoint") : bundled_resource("models/default.pt", &looked);
    if (o.video.empty() || o.checkpoint.empty()) {
      std::string where;
      for (const auto& l : looked) where += "\n  " + l;
      throw UsageError("soak: the bundled sample or model is missing (give --video/--checkpoint); looked in:" + where);
    }
    o.device = device;
    o.threads = threads;
    o.progress = progress;
    try {
      o.validate();
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    const auto r = bench::run_soak(o);
    std::cout << bench::to_table(r) << "\n";
    suites["soak"] = bench::to_json(r);
  }
#endif

  env.finish();
  std::cout << "machine: " << env.line() << "\n";
  if (a.has("json")) {
    auto root = pl::json::Json::object();
    root["polyplens"] = POLYPLENS_VERSION;
    root["quick"] = quick;
    root["threads"] = threads;
    root["environment"] = env.json();
    root["suites"] = std::move(suites);
    pl::io::write_file_atomic(a.get("json"), bench::json_text(root));
    std::cout << "wrote " << a.get("json") << "\n";
  }
  return 0;
}

}  // namespace pl::app
