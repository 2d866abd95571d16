// polyplens eval: scores a checkpoint on a split at the original image resolution and prints both
// metric conventions (core/metrics/evaluate.h).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>
#include <vector>

#include "app/commands.h"
#include "core/base/json.h"
#include "core/data/dataset.h"
#include "core/inference/predictor.h"
#include "core/metrics/evaluate.h"
#include "model/atomic_file.h"
#if POLYPLENS_HAVE_LIVE
#include <memory>

#include "core/pipeline/latency_probe.h"
#include "core/pipeline/predictor_segmenter.h"
#include "core/review/event_eval.h"
#include "core/sample/clip_score.h"
#include "core/sample/mask_track.h"
#endif

namespace pl::app {
namespace {

// The data folders a training run used, first the main one (docs/data.md §1: train --data A --data B
// names B's pairs "B/<stem>" in split.json): split.json's "roots", else its "root" plus config.json's
// extra_data_roots (runs written before split.json listed them all). Empty when neither says.
std::vector<std::string> run_data_roots(const std::filesystem::path& run) {
  auto read_json = [](const std::filesystem::path& file) {
    std::ifstream f(file);
    if (!f) return pl::json::Json();
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    try {
      return pl::json::parse(text, file.string());
    } catch (const std::runtime_error&) {
      return pl::json::Json();  // the scan that reads split.json reports a broken file
    }
  };
  auto strings = [](const pl::json::Json& a, std::vector<std::string>& out) {
    if (a.is_array())
      for (const auto& x : a)
        if (x.is_string()) out.push_back(x.get<std::string>());
  };
  std::vector<std::string> roots;
  const auto split = read_json(run / "split.json");
  if (!split.is_object()) return roots;
  if (split.contains("roots")) {
    strings(split["roots"], roots);
    return roots;
  }
  if (!split.contains("root") || !split["root"].is_string()) return roots;
  roots.push_back(split["root"].get<std::string>());
  const auto config = read_json(run / "config.json");
  if (config.is_object() && config.contains("extra_data_roots")) strings(config["extra_data_roots"], roots);
  return roots;
}

#if POLYPLENS_HAVE_LIVE
pl::core::review::EventOptions event_options(const Args& args) {
  pl::core::review::EventOptions o;
  o.min_region_area = args.get_double("events-min-area");
  o.max_gap = args.get_int("events-max-gap");
  o.min_duration_s = args.get_double("events-min-duration");
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--events-*: ") + e.what());
  }
  return o;
}

// The live pipeline's mask age beside the clip's time to first detection (docs/metrics.md §6): the
// latency probe at the clip's frame size with this predictor. Empty JSON when skipped.
pl::json::Json mask_age(const std::string& video, cv::Size size, double fps, int calls,
                        const std::shared_ptr<pl::core::inference::Predictor>& predictor, int threads,
                        const pl::core::review::EventEvalReport& events) {
  if (calls <= 0) {
    std::printf("mask age: not measured (--mask-age-probe 0)\n");
    return nullptr;
  }
  pl::core::LatencyProbeOptions o;
  o.size = size;
  o.clip = video;
  o.segment_frames = calls;
  pl::core::PredictorSegmenter segmenter(predictor, threads);
  const auto r = pl::core::measure_latency(o, &segmenter);
  const double age = r.annotation_delay_ms, infer = r.preprocess.median_ms + r.inference.median_ms +
                                                     r.postprocess.median_ms;
  const double frame_ms = 1000.0 / fps;
  std::printf("mask age (latency probe, this machine, %dx%d, median of %d model calls): %.0f ms = %.1f frames at "
              "%.0f fps\n  (capture -> mask composited with the worker idle; when it is busy with the previous "
              "frame, up to one more model call, %.0f ms)\n",
              size.width, size.height, calls, age, age / frame_ms, fps, infer);
  if (events.delay.n > 0)
    std::printf("time to first detection on screen: median %.0f + %.0f = %.0f ms, max %.0f + %.0f = %.0f ms "
                "(up to +%.0f ms each while the worker is busy)\n",
                events.delay.median_ms, age, events.delay.median_ms + age, events.delay.max_ms, age,
                events.delay.max_ms + age, infer);
  return {{"source", "latency probe (core/pipeline/latency_probe.h) on this machine at the clip's frame size"},
          {"annotation_delay_ms", age},
          {"annotation_delay_frames", age / frame_ms},
          {"model_call_ms", infer},
          {"model_calls", calls},
          {"time_to_first_detection_on_screen_ms",
           events.delay.n > 0 ? pl::json::Json{{"median", events.delay.median_ms + age},
                                               {"p90", events.delay.p90_ms + age},
                                               {"max", events.delay.max_ms + age}}
                              : pl::json::Json(nullptr)}};
}

// polyplens eval --clip: per-frame polyp Dice of a video against its mask track (core/sample/clip_score.h),
// and the video-level figures of polyp events (core/review/event_eval.h, docs/metrics.md §6).
int eval_clip(const Args& args, const std::string& checkpoint, const pl::core::inference::PredictorOptions& po) {
  const std::string video = args.get("clip");
  std::string masks = args.get("clip-masks");
  if (masks.empty()) masks = std::filesystem::path(video).replace_extension(".plmasks").string();
  if (!std::filesystem::exists(video)) throw UsageError("--clip: no such file '" + video + "'");
  if (!std::filesystem::exists(masks))
    throw UsageError("--clip: no mask track '" + masks + "' (give it with --clip-masks)");
  const int max_frames = args.get_int("max-frames");
  if (max_frames < 0) throw UsageError("--max-frames must be >= 0");
  const int probe_calls = args.get_int("mask-age-probe");
  if (probe_calls < 0) throw UsageError("--mask-age-probe must be >= 0");
  const auto eo = event_options(args);
  const auto track = pl::core::read_mask_track(masks);  // its frame rate times the events
  if (!(track.fps > 0))
    throw std::runtime_error("mask track '" + masks + "' has no frame rate (" + std::to_string(track.fps) +
                             "); polyp events need one");

  auto predictor = std::make_shared<pl::core::inference::Predictor>(checkpoint, po);
  const auto& info = predictor->info();
  std::printf("checkpoint %s: preset %s, input %dx%d, %s, %s; clip %s\n", checkpoint.c_str(), info.preset.c_str(),
              info.input_h, info.input_w, info.device.c_str(), info.dtype.c_str(), video.c_str());
  std::fflush(stdout);
  pl::core::review::EventEvaluator events(eo, track.fps);
  const auto s = pl::core::score_clip(
      video, masks, *predictor,
      [](int done, int total) {
        if (done % 25 == 0 || done == total) {
          std::fprintf(stderr, "\r%d/%d frames", done, total);
          if (done == total) std::fprintf(stderr, "\n");
        }
      },
      max_frames, [&](int, const cv::Mat& truth, const cv::Mat& names, const cv::Mat& pred, const cv::Mat& prob) {
        events.add(truth, pred, prob, names);
      });
  std::vector<double> sorted = s.frame_dice;
  std::sort(sorted.begin(), sorted.end());
  const auto quantile = [&](double q) {
    return sorted.empty() ? 0.0 : sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * double(sorted.size())))];
  };
  const auto below = std::count_if(sorted.begin(), sorted.end(), [](double v) { return v < 0.5; });
  std::printf("\nframes %d\n", s.frames);
  std::printf("polyp Dice, per-frame mean   %.4f\n", s.mean_dice);
  std::printf("polyp Dice, pooled (frames)  %.4f\n", s.pooled_dice);
  std::printf("per-frame min / p10 / median / p90: %.4f / %.4f / %.4f / %.4f\n", quantile(0), quantile(0.1),
              quantile(0.5), quantile(0.9));
  std::printf("frames with Dice < 0.5: %td of %d\n", below, s.frames);
  const auto ev = events.report();
  std::printf("\n%s", ev.to_text().c_str());
  std::fflush(stdout);
  const pl::json::Json age =
      mask_age(video, cv::Size(track.width, track.height), track.fps, probe_calls, predictor, po.threads, ev);
  if (args.has("json")) {
    const pl::json::Json report{{"checkpoint", checkpoint},     {"clip", video},
                                {"masks", masks},               {"dtype", info.dtype},
                                {"frames", s.frames},           {"mean_dice", s.mean_dice},
                                {"pooled_dice", s.pooled_dice}, {"frame_dice", s.frame_dice},
                                {"events", ev.to_json()},       {"mask_age", age}};
    pl::io::write_file_atomic(args.get("json"), pl::json::dump(report));
    std::cout << "JSON report: " << args.get("json") << "\n";
  }
  return 0;
}
#else
int eval_clip(const Args&, const std::string&, const pl::core::inference::PredictorOptions&) {
  std::cerr << "polyplens eval --clip: not part of this build (headless: no video decoding); use the desktop build\n";
  return 2;
}
#endif

int eval_main(const Argv& argv) {
  Args args("eval",
            "Evaluate a checkpoint on a Kvasir-SEG style folder at the original image resolution. Prints the\n"
            "mmseg dataset-level metrics (per class and two-class means: the paper's mDice/mIoU) and the\n"
            "polyp-only metrics (dataset-level and per-image mean). With --clip, scores a video against its\n"
            "ground-truth mask track instead (per-frame polyp Dice, their mean and the pooled Dice) and reports\n"
            "polyp events as clinical CADe studies do: per-polyp sensitivity, time to first detection, false-\n"
            "positive events per minute, per-frame sensitivity/specificity and the live mask age (definitions:\n"
            "docs/metrics.md section 6), e.g. the bundled sample: --clip resources/samples/sample.mp4.");
  args.option("data",
              "data folder with images/ and masks/ (JPEG, PNG or BMP, matched by name); without train.txt/val.txt "
              "every pair is in val",
              pl::core::data::default_data_root())
      .option("split", "val, train or all; with --run, the run's saved split is used", "val")
      .option("split-mode", "how to split when the folder has no saved split: official or random90", "official")
      .option("run", "a training run directory: use its split.json (and its best.pt when --checkpoint is absent)")
      .option("checkpoint", "checkpoint file (.pt)")
      .option("seed", "seed of a random90 split", "0")
      .option("json", "also write the report as JSON to this file")
      .option("save-masks", "write predicted masks (PNG, 0/255) to this folder")
      .option("max-images", "evaluate at most N images (0 = all)", "0")
      .option("device", "auto, cpu or cuda", "auto")
      .option("threads", "CPU threads (0 = all hardware threads)", "0")
      .option("input", "network input HxW (default: the checkpoint's preset size)")
      .option("dtype", "inference precision: auto (bf16 on CPUs with native bf16), fp32, bf16, fp16", "auto")
      .option("clip", "score this video against its mask track instead of a data split")
      .option("clip-masks", "the clip's mask track (default: the video's name with .plmasks)")
      .option("max-frames", "with --clip: score only the first N frames (0 = all)", "0")
      .option("events-min-area", "with --clip: smallest mask region of a polyp event, fraction of the frame", "0.001")
      .option("events-max-gap", "with --clip: frames a polyp may be unseen and stay one event", "5")
      .option("events-min-duration", "with --clip: events shorter than this (seconds) are flicker", "0.5")
      .option("mask-age-probe", "with --clip: model calls of the latency probe for the mask age (0 = skip)", "10");
  if (!args.parse(argv)) return 0;

  std::string checkpoint = args.get("checkpoint");
  const std::string run = args.get("run");
  if (checkpoint.empty() && !run.empty()) checkpoint = (std::filesystem::path(run) / "best.pt").string();
  if (checkpoint.empty()) throw UsageError("--checkpoint FILE (or --run RUN_DIR) is required");
  const std::string which = args.get("split");
  if (which != "val" && which != "train" && which != "all")
    throw UsageError("--split must be val, train or all, got '" + which + "'");
  const int max_images = args.get_int("max-images");
  if (max_images < 0) throw UsageError("--max-images must be >= 0");

  pl::core::inference::PredictorOptions po;
  po.device = args.get("device");
  po.threads = args.get_int("threads");
  po.dtype = args.get("dtype");
  if (po.threads == 0) po.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (args.has("input")) {
    char x = 0;
    if (std::sscanf(args.get("input").c_str(), "%d%c%d", &po.input_h, &x, &po.input_w) != 3 || x != 'x')
      throw UsageError("--input expects HxW, got '" + args.get("input") + "'");
  }
  try {
    po.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (args.has("clip")) return eval_clip(args, checkpoint, po);
  for (const char* o : {"clip-masks", "max-frames", "events-min-area", "events-max-gap", "events-min-duration",
                        "mask-age-probe"})
    if (args.has(o)) throw UsageError(std::string("--") + o + " needs --clip");

  // One folder per eval (Args keeps only the last of a repeated option: refuse that instead). Every
  // option of eval takes a value, so a "--data" is an option only where a value cannot be.
  int data_given = 0;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i].rfind("--", 0) != 0) continue;
    if (argv[i] == "--data" || argv[i].rfind("--data=", 0) == 0) ++data_given;
    if (argv[i].find('=') == std::string::npos) ++i;  // skip the option's value
  }
  if (data_given > 1)
    throw UsageError("--data is given " + std::to_string(data_given) + " times; eval scores one folder, run it once "
                     "per folder");

  pl::core::data::DatasetOptions d;
  d.root = args.get("data");
  d.evaluation = true;  // an empty train list is fine; a folder without train.txt/val.txt is all val
  d.split = args.get("split-mode");
  d.split_dir = run;  // reads the run's split.json; never writes into a folder that has none
  if (!run.empty() && !std::filesystem::exists(std::filesystem::path(run) / "split.json"))
    throw UsageError("--run " + run + " has no split.json");
  if (!run.empty()) {
    // A run trained on several folders: its split names pairs of each, so the scan takes them all.
    // The run's main folder replaces the default one when --data is absent and it exists here.
    const auto roots = run_data_roots(run);
    std::error_code ec;
    if (data_given == 0 && !roots.empty() && std::filesystem::is_directory(roots[0], ec)) d.root = roots[0];
    auto same = [](const std::string& a, const std::string& b) {
      std::error_code e1, e2;
      return std::filesystem::weakly_canonical(a, e1) == std::filesystem::weakly_canonical(b, e2);
    };
    for (size_t i = 1; i < roots.size(); ++i) {
      if (same(roots[i], d.root)) continue;
      if (!std::filesystem::is_directory(roots[i], ec)) {
        std::cout << "warning: the run's data folder " << roots[i] << " does not exist here; its images in the split "
                  << "are skipped\n";
        continue;
      }
      d.extra_roots.push_back(roots[i]);
    }
  }
  try {
    d.seed = std::stoull(args.get("seed"));
    d.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const auto index = pl::core::data::scan_dataset(d);
  std::vector<pl::core::data::SamplePair> pairs;
  if (which != "train") pairs.insert(pairs.end(), index.val.begin(), index.val.end());
  if (which != "val") pairs.insert(pairs.end(), index.train.begin(), index.train.end());
  if (max_images > 0 && pairs.size() > static_cast<size_t>(max_images)) pairs.resize(static_cast<size_t>(max_images));
  // Folders without split files, empty lists and skipped files are said before scoring.
  if (!index.summary.notes.empty() || !index.summary.problems.empty()) std::cout << index.summary.to_string() << "\n";
  if (pairs.empty())
    throw std::runtime_error("no images in split '" + which + "' of " + d.root + " (" +
                             std::to_string(index.train.size()) + " train / " + std::to_string(index.val.size()) +
                             " val" + (which == "val" ? "; try --split all" : which == "train" ? "; try --split val" : "") +
                             ")");

  std::string data_folders = d.root;
  for (const auto& r : d.extra_roots) data_folders += " + " + r;
  pl::core::inference::Predictor predictor(checkpoint, po);
  const auto& info = predictor.info();
  std::printf("checkpoint %s: preset %s, input %dx%d, %s, %s; %zu %s images from %s\n", checkpoint.c_str(),
              info.preset.c_str(), info.input_h, info.input_w, info.device.c_str(), info.dtype.c_str(), pairs.size(),
              which.c_str(), data_folders.c_str());
  std::fflush(stdout);

  pl::core::metrics::EvalOptions eo;
  eo.save_masks_dir = args.get("save-masks");
  auto report = pl::core::metrics::evaluate(predictor, pairs, eo, [](int done, int total, const std::string&) {
    if (done % 20 == 0 || done == total) {
      std::fprintf(stderr, "\r%d/%d images", done, total);
      if (done == total) std::fprintf(stderr, "\n");
    }
  });
  report.data_root = d.root;
  report.split = which + " (" + index.summary.split + ")";
  std::cout << "\n" << report.to_table();
  if (args.has("json")) {
    pl::io::write_file_atomic(args.get("json"), report.to_json());
    std::cout << "JSON report: " << args.get("json") << "\n";
  }
  return 0;
}

}  // namespace

int cmd_eval(const Argv& argv) { return eval_main(argv); }

}  // namespace pl::app
