// polyplens train: headless training on a Kvasir-SEG style folder (core/train/trainer.h).
// Defaults are the paper's recipe. SIGINT/SIGTERM cancel cleanly with a resumable last.pt;
// a second signal exits at once.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/commands.h"
#include "core/data/dataset.h"
#include "core/train/trainer.h"
#include "model/presets.h"

namespace pl::app {
namespace {

std::atomic<pl::core::train::Trainer*> g_trainer{nullptr};
std::atomic<int> g_signals{0};

extern "C" void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) std::_Exit(130);
  if (auto* t = g_trainer.load()) t->cancel();
}

// "512x1024" -> {512, 1024}
std::pair<int, int> parse_hxw(const std::string& flag, const std::string& v) {
  int h = 0, w = 0;
  char x = 0, extra = 0;
  if (std::sscanf(v.c_str(), "%d%c%d%c", &h, &x, &w, &extra) != 3 || (x != 'x' && x != 'X') || h <= 0 || w <= 0)
    throw UsageError("option '--" + flag + "' expects HxW with positive integers, e.g. 256x256, got '" + v + "'");
  return {h, w};
}

std::pair<double, double> parse_range(const std::string& flag, const std::string& v) {
  double a = 0, b = 0;
  char c = 0, extra = 0;
  if (std::sscanf(v.c_str(), "%lf%c%lf%c", &a, &c, &b, &extra) != 3 || c != ',')
    throw UsageError("option '--" + flag + "' expects MIN,MAX, e.g. 0.5,2.0, got '" + v + "'");
  return {a, b};
}

std::string fmt_time(double s) {
  if (!(s >= 0) || s > 1e8) return "?";
  const long t = static_cast<long>(s + 0.5);
  char b[32];
  std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return b;
}

std::string join_presets() {
  std::string s;
  for (const auto& n : pl::model::preset_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

int train_main(const Argv& argv) {
  using pl::core::train::TrainConfig;
  const TrainConfig d;
  Args args("train",
            "Train the ANN segmenter on a Kvasir-SEG style folder (images/ + masks/). Defaults are the paper's\n"
            "recipe (SGD 0.01, momentum 0.9, wd 5e-4, batch 10, 500 epochs, poly 0.9, CE + 0.4 aux CE).\n"
            "The run directory gets config.json, split.json, last.pt, best.pt and metrics.jsonl.\n"
            "Ctrl-C stops cleanly with a resumable last.pt; continue with --resume --out RUN_DIR.");
  args.option("data", "data folder with images/ and masks/", pl::core::data::default_data_root())
      .option("split", "official (train.txt/val.txt) or random90 (seeded 90/10)", d.split)
      .option("preset", "model preset: " + join_presets(), d.preset)
      .option("crop", "training crop HxW (default: 512x1024 for ann-r50/ann-r101, else the preset's input size)")
      .option("scale", "RandomResize base scale LONGxSHORT (default: twice the crop)")
      .option("ratio", "RandomResize ratio range MIN,MAX", "0.5,2.0")
      .option("cat-max-ratio", "RandomCrop: max share of one class in a crop (1 = off)", "0.75")
      .flag("no-photometric", "disable the photometric distortion")
      .option("epochs", "epochs", std::to_string(d.epochs))
      .option("batch", "images per iteration", std::to_string(d.batch))
      .option("lr", "initial learning rate", "0.01")
      .option("min-lr", "poly schedule floor", "0.0001")
      .option("poly-power", "poly schedule power", "0.9")
      .option("momentum", "SGD momentum", "0.9")
      .option("weight-decay", "SGD weight decay", "0.0005")
      .option("aux-weight", "weight of the auxiliary FCN head's loss", "0.4")
      .option("dice-weight", "soft Dice term added to CE (0 = the paper; helps from-scratch CPU training)", "0")
      .option("out", "run directory (required)")
      .flag("resume", "continue from RUN_DIR/last.pt with RUN_DIR/config.json (flags given here override it)")
      .option("backbone-weights", "torchvision ResNet weights (.pth) for the backbone")
      .option("device", "auto, cpu or cuda", d.device)
      .option("threads", "CPU threads (0 = all hardware threads)", "0")
      .option("amp", "bf16 autocast: auto (on CUDA and CPUs with native bf16), off (fp32) or bf16", d.amp)
      .option("max-images", "use at most N images in total (0 = all)", "0")
      .option("val-every", "validate every N epochs (0 = only at the end)", std::to_string(d.val_every))
      .option("checkpoint-every", "update last.pt every N epochs", std::to_string(d.checkpoint_every))
      .option("checkpoint-every-iters", "also update last.pt every N iterations (0 = off)", "0")
      .option("snapshot-every", "keep epoch_NNNN.pt every N epochs (0 = none)", "0")
      .option("log-every", "print and log a line every N iterations", std::to_string(d.log_every))
      .option("cache-long-side", "shrink images on load to this long side (-1 = 2x crop, 0 = keep)", "-1")
      .option("seed", "random seed (split, sample order, augmentation, init)", "0")
      .option("data-path", "where batches are augmented: auto (device on CUDA), host (per sample, producer "
                           "thread) or device (whole batches on the training device)", d.data_path)
      .option("prefetch", "batches prepared ahead on the host data path", std::to_string(d.prefetch))
      .option("loader-threads", "image decoding threads", std::to_string(d.loader_threads))
      .flag("strict", "treat data problems as errors");
  if (!args.parse(argv)) return 0;
  if (!args.has("out")) throw UsageError("--out RUN_DIR is required");

  const std::string out = args.get("out");
  const auto saved = std::filesystem::path(out) / "config.json";
  const bool from_saved = args.has("resume") && std::filesystem::exists(saved);
  TrainConfig c;
  if (from_saved) {
    std::ifstream in(saved);
    std::stringstream ss;
    ss << in.rdbuf();
    c = TrainConfig::from_json(ss.str());
  }
  // Resuming with a saved config: only the flags given here change it.
  auto use = [&](const char* name) { return !from_saved || args.has(name); };
  if (use("data")) c.data_root = args.get("data");
  if (use("split")) c.split = args.get("split");
  if (use("preset")) c.preset = args.get("preset");
  if (args.has("crop")) std::tie(c.crop_h, c.crop_w) = parse_hxw("crop", args.get("crop"));
  if (args.has("scale")) std::tie(c.scale_long, c.scale_short) = parse_hxw("scale", args.get("scale"));
  if (use("ratio")) std::tie(c.ratio_min, c.ratio_max) = parse_range("ratio", args.get("ratio"));
  if (use("cat-max-ratio")) c.cat_max_ratio = args.get_double("cat-max-ratio");
  if (args.has("no-photometric")) c.photometric = false;
  if (use("epochs")) c.epochs = args.get_int("epochs");
  if (use("batch")) c.batch = args.get_int("batch");
  if (use("lr")) c.lr = args.get_double("lr");
  if (use("min-lr")) c.min_lr = args.get_double("min-lr");
  if (use("poly-power")) c.poly_power = args.get_double("poly-power");
  if (use("momentum")) c.momentum = args.get_double("momentum");
  if (use("weight-decay")) c.weight_decay = args.get_double("weight-decay");
  if (use("aux-weight")) c.aux_weight = args.get_double("aux-weight");
  if (use("dice-weight")) c.dice_weight = args.get_double("dice-weight");
  if (use("backbone-weights")) c.backbone_weights = args.get("backbone-weights");
  if (use("device")) c.device = args.get("device");
  if (use("threads")) c.threads = args.get_int("threads");
  if (use("amp")) c.amp = args.get("amp");
  if (use("max-images")) c.max_images = args.get_int("max-images");
  if (use("val-every")) c.val_every = args.get_int("val-every");
  if (use("checkpoint-every")) c.checkpoint_every = args.get_int("checkpoint-every");
  if (use("checkpoint-every-iters")) c.checkpoint_every_iters = args.get_int("checkpoint-every-iters");
  if (use("snapshot-every")) c.snapshot_every = args.get_int("snapshot-every");
  if (use("log-every")) c.log_every = args.get_int("log-every");
  if (use("cache-long-side")) c.cache_long_side = args.get_int("cache-long-side");
  if (use("data-path")) c.data_path = args.get("data-path");
  if (use("prefetch")) c.prefetch = args.get_int("prefetch");
  if (use("loader-threads")) c.loader_threads = args.get_int("loader-threads");
  if (use("seed")) {
    const std::string s = args.get("seed");
    try {
      size_t pos = 0;
      c.seed = std::stoull(s, &pos);
      if (pos != s.size()) throw std::invalid_argument(s);
    } catch (const std::exception&) {
      throw UsageError("option '--seed' expects a non-negative integer, got '" + s + "'");
    }
  }
  if (args.has("strict")) c.strict = true;
  c.out_dir = out;
  c.resume = args.has("resume");
  if (c.resume && !std::filesystem::exists(std::filesystem::path(out) / "last.pt"))
    throw UsageError("--resume: no " + (std::filesystem::path(out) / "last.pt").string() + " to resume from");
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  pl::core::train::Trainer trainer(c);
  const auto& summary = trainer.prepare();
  std::cout << summary.to_string() << "\n" << std::flush;

  g_trainer = &trainer;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  using pl::core::train::TrainPhase;
  const auto result = trainer.run([&](const pl::core::train::TrainProgress& p) {
    if (p.phase == TrainPhase::Training && !p.validation &&
        (p.iteration % c.log_every == 0 || p.iteration == p.total_iterations) && p.message.empty()) {
      std::printf("epoch %d/%d  iter %lld/%lld  loss %.4f (decode %.4f, aux %.4f)  lr %.3g  %.2f img/s  ETA %s\n",
                  p.epoch, p.epochs, static_cast<long long>(p.iteration), static_cast<long long>(p.total_iterations),
                  p.loss, p.loss_decode, p.loss_aux, p.lr, p.images_per_s, fmt_time(p.eta_s).c_str());
    }
    if (p.validation) {
      const auto& v = *p.validation;
      std::printf("val @ epoch %d: polyp Dice %.4f IoU %.4f (dataset-level) | per-image Dice %.4f | mDice %.4f "
                  "mIoU %.4f (two-class)%s\n",
                  v.epoch, v.polyp_dice, v.polyp_iou, v.per_image_dice, v.mDice, v.mIoU, v.is_best ? "  [best]" : "");
    }
    if (!p.message.empty() && p.phase != TrainPhase::Failed) std::printf("%s\n", p.message.c_str());
    std::fflush(stdout);
  });
  g_trainer = nullptr;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);

  switch (result.phase) {
    case TrainPhase::Finished:
      if (result.best)
        std::printf("best: polyp Dice %.4f at epoch %d -> %s\n", result.best->polyp_dice, result.best->epoch,
                    result.best_checkpoint.c_str());
      return 0;
    case TrainPhase::Cancelled: return 130;
    default: std::cerr << "polyplens train: " << result.message << "\n"; return 1;
  }
}

}  // namespace

int cmd_train(const Argv& argv) { return train_main(argv); }

}  // namespace pl::app
