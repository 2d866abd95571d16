#include "core/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include "core/data/sample_cache.h"
#include "core/log/log.h"
#include "core/train/batch_loader.h"
#include "core/train/metrics_log.h"
#include "core/train/run_checkpoint.h"
#include "core/train/sgd.h"
#include "core/train/validate.h"
#include "model/device.h"
#include "model/inference.h"
#include "model/losses.h"
#include "model/presets.h"

namespace fs = std::filesystem;

namespace pl::core::train {

const char* phase_name(TrainPhase phase) {
  switch (phase) {
    case TrainPhase::Loading: return "loading";
    case TrainPhase::Training: return "training";
    case TrainPhase::Validating: return "validating";
    case TrainPhase::Paused: return "paused";
    case TrainPhase::Finished: return "finished";
    case TrainPhase::Cancelled: return "cancelled";
    case TrainPhase::Failed: return "failed";
  }
  return "?";
}

struct Trainer::State {
  bool prepared = false;
  data::DatasetIndex index;
};

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Autocast for the forward pass only; the losses are computed in fp32.
class AutocastScope {
 public:
  AutocastScope(bool enabled, bool cuda) : enabled_(enabled), cuda_(cuda) {
    if (!enabled_) return;
    if (cuda_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
  }
  ~AutocastScope() {
    if (!enabled_) return;
    if (cuda_) at::autocast::set_enabled(false);
    else at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }

 private:
  bool enabled_, cuda_;
};

// The crop must fit inside at least one training image at the largest resize ratio; otherwise
// every crop would be mostly padding (a typo like --crop 5120x5120).
void check_crop_fits(const TrainConfig& cfg, const data::AugmentOptions& aug, const std::vector<data::Sample>& train) {
  int64_t best_h = 0, best_w = 0;
  for (const auto& s : train) {
    const auto sz = data::rescale_size(s.image.size(1), s.image.size(2), aug.base_long() * cfg.ratio_max,
                                       aug.base_short() * cfg.ratio_max);
    if (sz[0] >= aug.crop_h && sz[1] >= aug.crop_w) return;
    best_h = std::max(best_h, sz[0]);
    best_w = std::max(best_w, sz[1]);
  }
  throw std::invalid_argument("crop " + std::to_string(aug.crop_h) + "x" + std::to_string(aug.crop_w) +
                              " is larger than every training image even at the largest resize ratio " +
                              std::to_string(cfg.ratio_max) + " (largest image then: " + std::to_string(best_h) + "x" +
                              std::to_string(best_w) + "); use a smaller --crop or a larger --scale");
}

data::AugmentOptions augment_options(const TrainConfig& cfg, const pl::model::SegmentorOptions& m) {
  data::AugmentOptions a;
  a.crop_h = cfg.effective_crop_h();
  a.crop_w = cfg.effective_crop_w();
  a.scale_long = cfg.scale_long;
  a.scale_short = cfg.scale_short;
  a.ratio_min = cfg.ratio_min;
  a.ratio_max = cfg.ratio_max;
  a.cat_max_ratio = cfg.cat_max_ratio;
  a.flip_prob = cfg.flip_prob;
  a.photometric = cfg.photometric;
  a.mean = m.mean;
  a.std = m.std;
  a.validate();
  return a;
}

std::string fmt_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return buf;
}

}  // namespace

Trainer::Trainer(TrainConfig config) : config_(std::move(config)), state_(std::make_unique<State>()) {
  config_.validate();
}

Trainer::~Trainer() = default;

const data::DatasetSummary& Trainer::summary() const { return state_->index.summary; }

double Trainer::poly_lr(const TrainConfig& c, int64_t it, int64_t total) {
  const double progress = total > 0 ? std::min(1.0, static_cast<double>(it) / static_cast<double>(total)) : 1.0;
  return (c.lr - c.min_lr) * std::pow(1.0 - progress, c.poly_power) + c.min_lr;
}

const data::DatasetSummary& Trainer::prepare() {
  if (state_->prepared) return state_->index.summary;
  data::DatasetOptions d;
  d.root = config_.data_root;
  d.split = config_.split;
  d.split_dir = config_.out_dir;
  d.seed = config_.seed;
  d.max_images = config_.max_images;
  d.strict = config_.strict;
  state_->index = data::scan_dataset(d);
  state_->prepared = true;
  return state_->index.summary;
}

TrainResult Trainer::run(const ProgressCallback& on_progress) {
  try {
    return run_impl(on_progress);
  } catch (const std::exception& e) {
    pl::log::get("train")->error("training failed: {}", e.what());
    TrainResult r;
    r.phase = TrainPhase::Failed;
    r.message = e.what();
    if (on_progress) {
      TrainProgress p;
      p.phase = TrainPhase::Failed;
      p.message = e.what();
      on_progress(p);
    }
    return r;
  }
}

TrainResult Trainer::run_impl(const ProgressCallback& on_progress) {
  auto log = pl::log::get("train");
  const TrainConfig& cfg = config_;
  const auto t_start = Clock::now();
  fs::create_directories(cfg.out_dir);
  const fs::path out(cfg.out_dir);
  const std::string last_path = (out / "last.pt").string(), best_path = (out / "best.pt").string();

  TrainProgress prog;
  auto report = [&](TrainPhase phase, const std::string& msg = {}) {
    prog.phase = phase;
    prog.message = msg;
    prog.elapsed_s = seconds_since(t_start);
    if (!msg.empty()) log->info("{}", msg);
    if (on_progress) on_progress(prog);
    prog.validation.reset();
    prog.message.clear();
  };

  pl::model::configure_cpu_threads(cfg.effective_threads());
  const torch::Device device = pl::model::select_device(cfg.device);
  // bf16 autocast where the hardware has it: on this project's AVX-512-BF16 CPU it doubles training
  // throughput (ann-r18-live 320x320, batch 10, 2 threads: 3.2 -> 6.5 images/s) with the same loss
  // curve to 4 digits. The model layer's inference default says whether the CPU has native bf16.
  const bool use_amp = cfg.amp == "bf16" ||
                       (cfg.amp == "auto" && (device.is_cuda() ||
                                              pl::model::default_inference_options(device).dtype == "bf16"));

  // Data.
  report(TrainPhase::Loading, "scanning " + cfg.data_root);
  const auto& summary = prepare();
  log->info("{}", summary.to_string());
  data::LoadOptions lo;
  lo.long_side = cfg.effective_cache_long_side();
  lo.threads = cfg.loader_threads;
  lo.strict = cfg.strict;
  report(TrainPhase::Loading, "decoding " + std::to_string(state_->index.train.size() + state_->index.val.size()) +
                                  " images (long side <= " + std::to_string(lo.long_side) + ")");
  auto& idx = state_->index;
  const auto train_samples = data::load_samples(idx.train, lo, &idx.summary);
  const auto val_samples = data::load_samples(idx.val, lo, &idx.summary);
  idx.summary.train_count = static_cast<int>(train_samples.size());
  idx.summary.val_count = static_cast<int>(val_samples.size());
  if (cancelled_) {
    TrainResult r;
    r.phase = TrainPhase::Cancelled;
    r.message = "cancelled while loading data";
    return r;
  }

  // Model, optimizer, resume.
  pl::model::SegmentorOptions mopts = cfg.model_options ? *cfg.model_options : pl::model::preset(cfg.preset);
  torch::manual_seed(cfg.seed);
  pl::model::AnnSegmentor model(mopts);
  int64_t start_iteration = 0;
  double best_dice = -1.0;
  RunState resumed;
  if (cfg.resume) {
    if (!fs::exists(last_path))
      throw std::runtime_error("--resume: no checkpoint " + last_path + " (start without --resume)");
    resumed = load_run_checkpoint(last_path, model, cfg);
    mopts = model->options();
    start_iteration = resumed.iteration;
    best_dice = resumed.best_polyp_dice;
    log->info("resuming {} at iteration {}", last_path, start_iteration);
  } else if (!cfg.backbone_weights.empty()) {
    const std::string rep = load_backbone(model, cfg.backbone_weights);
    log->info("backbone weights: {}", rep);
  } else {
    log->warn("training from scratch (no backbone weights): expect much lower quality than the paper");
  }
  model->to(device);
  model->train();

  const auto aug = augment_options(cfg, mopts);
  check_crop_fits(cfg, aug, train_samples);
  const int64_t ipe = static_cast<int64_t>(train_samples.size()) / cfg.batch;
  if (ipe == 0)
    throw std::invalid_argument("batch " + std::to_string(cfg.batch) + " is larger than the " +
                                std::to_string(train_samples.size()) + " training images");
  const int64_t total = ipe * cfg.epochs;
  if (start_iteration > total)
    throw std::invalid_argument("last.pt is at iteration " + std::to_string(start_iteration) + " but the run has only " +
                                std::to_string(total) + " iterations (" + std::to_string(cfg.epochs) + " epochs)");

  std::vector<std::pair<std::string, at::Tensor>> params;
  for (auto& kv : model->named_parameters())
    if (kv.value().requires_grad()) params.emplace_back(kv.key(), kv.value());
  Sgd sgd(params, cfg.momentum, cfg.weight_decay);
  if (cfg.resume) {
    sgd.load_buffers(resumed.momentum);
    restore_rng(resumed, cfg.seed);
  }

  {
    std::ofstream(out / "config.json") << cfg.to_json();
  }
  MetricsLog mlog((out / "metrics.jsonl").string(), start_iteration);

  prog.epochs = cfg.epochs;
  prog.total_iterations = total;
  prog.iters_per_epoch = static_cast<int>(ipe);
  prog.iteration = start_iteration;
  prog.epoch = static_cast<int>(std::min<int64_t>(start_iteration / ipe + 1, cfg.epochs));

  TrainResult result;
  std::optional<ValidationResult> last_val;
  if (resumed.last_validation) last_val = resumed.last_validation;
  int64_t saved_at = cfg.resume ? start_iteration : -1;
  auto save_last = [&](int64_t it) {
    // A step with a finite loss can still leave inf/NaN weights (inf gradients): never let such a
    // state replace the last good checkpoint.
    {
      torch::NoGradGuard no_grad;
      for (const auto& p : model->parameters())
        if (!torch::isfinite(p).all().item<bool>())
          throw std::runtime_error("weights became NaN/inf by iteration " + std::to_string(it) +
                                   "; not saved. Last good checkpoint: " +
                                   (saved_at >= 0 ? last_path + " (iteration " + std::to_string(saved_at) + ")"
                                                  : std::string("none")) +
                                   ". Try a lower --lr.");
    }
    save_run_checkpoint(last_path, model, sgd, cfg, it, ipe, best_dice, last_val);
    saved_at = it;
    result.last_checkpoint = last_path;
  };

  double val_seconds = 0;  // last validation's duration, for the ETA
  auto run_validation = [&](int64_t it) {
    if (val_samples.empty()) return;
    report(TrainPhase::Validating, "validating on " + std::to_string(val_samples.size()) + " images");
    ValidationResult v = validate_model(model, val_samples, device);
    v.epoch = static_cast<int>(it / ipe);
    v.iteration = it;
    val_seconds = v.seconds;
    v.is_best = std::isfinite(v.polyp_dice) && v.polyp_dice > best_dice;
    if (v.is_best) best_dice = v.polyp_dice;
    last_val = v;
    mlog.validation(v);
    save_last(it);
    if (v.is_best) {
      const std::string tmp = best_path + ".tmp";
      fs::copy_file(last_path, tmp, fs::copy_options::overwrite_existing);
      fs::rename(tmp, best_path);
      result.best_checkpoint = best_path;
      result.best = v;
    }
    result.last_validation = v;
    log->info("val epoch {} iter {}: polyp Dice {:.4f} IoU {:.4f} | mDice {:.4f} mIoU {:.4f} aAcc {:.4f} | per-image "
              "Dice {:.4f} IoU {:.4f} ({} images, {:.1f} s){}",
              v.epoch, it, v.polyp_dice, v.polyp_iou, v.mDice, v.mIoU, v.aAcc, v.per_image_dice, v.per_image_iou,
              v.images, v.seconds, v.is_best ? " best" : "");
    prog.validation = v;
    report(TrainPhase::Training);
  };

  log->info("training {} on {} ({} threads{}): {} train / {} val images, crop {}x{}, batch {}, {} epochs = {} iterations"
            " ({} per epoch), lr {} poly {} min {}, aux {}, dice {}",
            cfg.preset, device.str(), cfg.effective_threads(), use_amp ? ", bf16 autocast" : "", train_samples.size(),
            val_samples.size(), aug.crop_h, aug.crop_w, cfg.batch, cfg.epochs, total, ipe, cfg.lr, cfg.poly_power,
            cfg.min_lr, cfg.aux_weight, cfg.dice_weight);

  BatchLoader loader(train_samples, aug, cfg.batch, cfg.seed, start_iteration, total, cfg.prefetch);
  double ema_iter_s = 0;
  double win_loss = 0, win_dec = 0, win_aux = 0;
  int win_n = 0;
  bool paused_reported = false;

  for (int64_t it = start_iteration; it < total; ++it) {
    if (paused_ && !cancelled_) {
      report(TrainPhase::Paused, "paused at iteration " + std::to_string(it));
      paused_reported = true;
      while (paused_ && !cancelled_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (cancelled_) {
      if (saved_at != it) save_last(it);
      result.phase = TrainPhase::Cancelled;
      result.iterations_done = it;
      result.message = "cancelled at iteration " + std::to_string(it) + "; resume with " + last_path;
      report(TrainPhase::Cancelled, result.message);
      return result;
    }
    if (paused_reported) {
      paused_reported = false;
      report(TrainPhase::Training, "resumed at iteration " + std::to_string(it));
    }

    const auto t_iter = Clock::now();
    Batch b = loader.next();
    const double lr = poly_lr(cfg, it, total);
    sgd.zero_grad();
    pl::model::SegmentorOutput o;
    {
      AutocastScope ac(use_amp, device.is_cuda());
      o = model->forward(b.images.to(device, /*non_blocking=*/true));
    }
    if (use_amp) {
      o.decode = o.decode.to(torch::kFloat);
      if (o.aux.defined()) o.aux = o.aux.to(torch::kFloat);
    }
    const auto loss = pl::model::segmentation_loss(o, b.labels.to(device), cfg.aux_weight, cfg.dice_weight);
    const double lt = loss.total.item<double>();
    if (!std::isfinite(lt)) {
      result.phase = TrainPhase::Failed;
      result.iterations_done = it;
      result.message = "loss is " + std::to_string(lt) + " at iteration " + std::to_string(it) +
                       " (epoch " + std::to_string(it / ipe + 1) + ", lr " + std::to_string(lr) +
                       "); stopped without saving. Last good checkpoint: " +
                       (saved_at >= 0 ? last_path + " (iteration " + std::to_string(saved_at) + ")" : "none") +
                       ". Try a lower --lr.";
      report(TrainPhase::Failed, result.message);
      return result;
    }
    loss.total.backward();
    sgd.step(lr);

    const double dt = seconds_since(t_iter);
    ema_iter_s = ema_iter_s == 0 ? dt : 0.9 * ema_iter_s + 0.1 * dt;
    win_loss += lt;
    win_dec += loss.decode.item<double>();
    win_aux += loss.aux.defined() ? loss.aux.item<double>() : 0.0;
    ++win_n;

    const int64_t done = it + 1;
    prog.iteration = done;
    prog.epoch = static_cast<int>(std::min<int64_t>(it / ipe + 1, cfg.epochs));
    prog.lr = lr;
    prog.loss = win_loss / win_n;
    prog.loss_decode = win_dec / win_n;
    prog.loss_aux = win_aux / win_n;
    prog.images_per_s = cfg.batch / ema_iter_s;
    const int64_t vals_left =
        val_samples.empty() ? 0 : (cfg.val_every > 0 ? (cfg.epochs - it / ipe) / cfg.val_every : 1);
    prog.eta_s = ema_iter_s * static_cast<double>(total - done) + val_seconds * static_cast<double>(vals_left);
    const bool log_step = done % cfg.log_every == 0 || done == total;
    if (log_step) {
      mlog.train(prog);
      log->debug("epoch {}/{} iter {}/{} loss {:.4f} (decode {:.4f} aux {:.4f}) lr {:.3g} {:.2f} img/s ETA {}", prog.epoch,
                cfg.epochs, done, total, prog.loss, prog.loss_decode, prog.loss_aux, lr, prog.images_per_s,
                fmt_duration(prog.eta_s));
    }
    report(TrainPhase::Training);
    if (log_step) win_loss = win_dec = win_aux = 0, win_n = 0;

    const bool epoch_end = done % ipe == 0;
    const int epoch_done = static_cast<int>(done / ipe);
    if (epoch_end) {
      const bool val_now = (cfg.val_every > 0 && epoch_done % cfg.val_every == 0) || done == total;
      if (val_now) run_validation(done);
      if (saved_at != done && ((cfg.checkpoint_every > 0 && epoch_done % cfg.checkpoint_every == 0) || done == total))
        save_last(done);
      if (cfg.snapshot_every > 0 && epoch_done % cfg.snapshot_every == 0) {
        if (saved_at != done) save_last(done);
        char name[32];
        std::snprintf(name, sizeof name, "epoch_%04d.pt", epoch_done);
        fs::copy_file(last_path, out / name, fs::copy_options::overwrite_existing);
      }
    }
    if (cfg.checkpoint_every_iters > 0 && done % cfg.checkpoint_every_iters == 0 && saved_at != done) save_last(done);
  }

  if (saved_at != total) save_last(total);
  result.phase = TrainPhase::Finished;
  result.iterations_done = total;
  result.message = "finished " + std::to_string(total) + " iterations in " + fmt_duration(seconds_since(t_start)) +
                   "; checkpoints in " + cfg.out_dir;
  report(TrainPhase::Finished, result.message);
  return result;
}

}  // namespace pl::core::train
