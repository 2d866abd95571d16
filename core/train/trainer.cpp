#include "core/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include <torch/torch.h>

#include "core/data/rng.h"
#include "core/data/sample_cache.h"
#include "core/log/log.h"
#include "core/train/batch_loader.h"
#include "core/train/distributed.h"
#include "core/train/metrics_log.h"
#include "core/train/run_checkpoint.h"
#include "core/train/optimizer.h"
#include "core/train/train_step.h"
#include "core/train/validate.h"
#include "core/train/weight_ema.h"
#include "model/atomic_file.h"
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

// One call of run(): everything set up before the first iteration, and the three phases of the loop
// (step, end of epoch, finish) as methods, so run_impl() reads as the schedule it is.
class Trainer::Run {
 public:
  Run(Trainer& t, const ProgressCallback& cb)
      : trainer_(t), cfg_(t.config_), on_progress_(cb), main_(!t.dist_.enabled || t.dist_.rank == 0) {}

  // Loads the data, builds or resumes the model and the optimiser, opens the logs. Returns false
  // when cancelled while loading (result() says so).
  bool setup();
  // One iteration. Returns false when the run must stop (non-finite loss; result() says why).
  bool step(int64_t it);
  // After iteration `done` (1-based): validation, checkpoints and snapshots due at an epoch end.
  void end_of_epoch(int64_t done);
  // Pause/cancel between iterations. Returns false when cancelled (last.pt written).
  bool check_pause_cancel(int64_t it);
  TrainResult finish();
  // A run that fails: tells the other ranks why (a single process: nothing to do).
  void on_error(const std::string& what) {
    if (dist_) dist_->set_exit_reason(what);
  }

  int64_t start_iteration() const { return start_iteration_; }
  int64_t total() const { return total_; }
  TrainResult& result() { return result_; }

 private:
  void report(TrainPhase phase, const std::string& msg = {});
  void save_last(int64_t it);
  void run_validation(int64_t it);
  void log_step(int64_t done, double lr);
  Batch next_batch(int64_t it);
  bool check_pause_cancel_distributed(int64_t it);
  void cancel_at(int64_t it);

  Trainer& trainer_;
  const TrainConfig& cfg_;
  const ProgressCallback& on_progress_;
  std::shared_ptr<spdlog::logger> log_ = pl::log::get("train");
  const Clock::time_point t_start_ = Clock::now();
  fs::path out_;
  std::string last_path_, best_path_;
  TrainProgress prog_;
  TrainResult result_;

  // Data-parallel (core/train/distributed.h): the group, the gradient buckets, this rank's place.
  // Rank 0 ("main") writes every file and reports progress.
  std::unique_ptr<DistContext> dist_;
  std::unique_ptr<GradSync> grad_sync_;
  bool main_ = true, has_val_ = false;
  int rank_ = 0, world_ = 1;

  torch::Device device_{torch::kCPU};
  bool use_amp_ = false, channels_last_ = false, sync_each_step_ = true;
  std::vector<data::Sample> train_samples_, val_samples_;
  pl::model::SegmentorOptions mopts_;
  pl::model::AnnSegmentor model_{nullptr};
  std::unique_ptr<Optimizer> optim_;
  std::unique_ptr<WeightEma> ema_;  // when cfg.ema_decay > 0: validated and checkpointed
  std::unique_ptr<TrainStep> train_step_;
  std::unique_ptr<MetricsLog> mlog_;
  data::AugmentOptions aug_;
  std::unique_ptr<BatchLoader> loader_;      // host data path
  std::unique_ptr<data::SampleBank> bank_;   // device data path
  int64_t ipe_ = 0, total_ = 0, start_iteration_ = 0, saved_at_ = -1;
  double best_dice_ = -1.0;
  std::optional<ValidationResult> last_val_;
  double val_seconds_ = 0;  // last validation's duration, for the ETA

  // Loss window since the last log step, kept on the device: {total, decode, aux} sums.
  at::Tensor win_sum_;
  int win_n_ = 0;
  Clock::time_point win_start_;
  double ema_iter_s_ = 0;
  bool paused_reported_ = false;
};

Trainer::Trainer(TrainConfig config) : config_(std::move(config)), state_(std::make_unique<State>()) {
  config_.validate();
}

Trainer::~Trainer() = default;

const data::DatasetSummary& Trainer::summary() const { return state_->index.summary; }

double Trainer::poly_lr(const TrainConfig& c, int64_t it, int64_t total) {
  const double progress = total > 0 ? std::min(1.0, static_cast<double>(it) / static_cast<double>(total)) : 1.0;
  return (c.lr - c.min_lr) * std::pow(1.0 - progress, c.poly_power) + c.min_lr;
}

double Trainer::learning_rate(const TrainConfig& c, int64_t it, int64_t total) {
  const double lr = poly_lr(c, it, total);
  if (it >= c.warmup_iters) return lr;
  const double k = static_cast<double>(it) / static_cast<double>(c.warmup_iters);
  return lr * (c.warmup_ratio + (1.0 - c.warmup_ratio) * k);
}

const data::DatasetSummary& Trainer::prepare() {
  if (state_->prepared) return state_->index.summary;
  data::DatasetOptions d;
  d.root = config_.data_root;
  d.extra_roots = config_.extra_data_roots;
  d.split = config_.split;
  d.split_dir = config_.out_dir;
  d.seed = config_.seed;
  d.max_images = config_.max_images;
  d.strict = config_.strict;
  state_->index = data::scan_dataset(d);
  if (state_->index.val.empty())
    state_->index.summary.notes.push_back(
        "no validation images (no folder has a val list with pairs): validation is skipped and no best.pt is "
        "written; use last.pt");
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


void Trainer::Run::report(TrainPhase phase, const std::string& msg) {
  prog_.phase = phase;
  prog_.message = msg;
  prog_.elapsed_s = seconds_since(t_start_);
  // Rank 0's progress is the run's; the other ranks speak only to fail.
  if (!main_ && phase != TrainPhase::Failed) {
    prog_.validation.reset();
    prog_.message.clear();
    return;
  }
  if (!msg.empty()) log_->info("{}", msg);
  if (on_progress_) on_progress_(prog_);
  prog_.validation.reset();
  prog_.message.clear();
}

bool Trainer::Run::setup() {
  fs::create_directories(cfg_.out_dir);
  out_ = fs::path(cfg_.out_dir);
  last_path_ = (out_ / "last.pt").string();
  best_path_ = (out_ / "best.pt").string();

  pl::model::configure_cpu_threads(cfg_.effective_threads());
  device_ = pl::model::select_device(cfg_.device);
  // bf16 autocast where the hardware has it: on this project's AVX-512-BF16 CPU it doubles training
  // throughput (ann-r18-live 320x320, batch 10, 2 threads: 3.2 -> 6.5 images/s) with the same loss
  // curve to 4 digits. The model layer's inference default says whether the CPU has native bf16.
  use_amp_ = cfg_.amp == "bf16" ||
             (cfg_.amp == "auto" &&
              (device_.is_cuda() || pl::model::default_inference_options(device_).dtype == "bf16"));
  // NHWC weights and activations on CUDA (cuDNN's fast bf16 path); the CPU trains in NCHW.
  channels_last_ = device_.is_cuda();
  // On the CPU reading the loss back costs nothing; on CUDA it would stall the queue every step.
  sync_each_step_ = !device_.is_cuda();

  const DistOptions& dopt = trainer_.dist_;
  if (dopt.enabled) {
    // One GPU per process on a machine: LOCAL_RANK picks it unless --device named one.
    if (device_.is_cuda() && (cfg_.device == "auto" || cfg_.device == "cuda"))
      device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(dopt.local_rank));
    report(TrainPhase::Loading, "joining the group at " + dopt.master_addr + ":" + std::to_string(dopt.master_port) +
                                    " as rank " + std::to_string(dopt.rank) + " of " + std::to_string(dopt.world_size));
    dist_ = DistContext::connect(dopt, device_);
    rank_ = dist_->rank();
    world_ = dist_->world();
    if (cfg_.batch % world_ != 0)
      throw std::invalid_argument("the global batch " + std::to_string(cfg_.batch) + " does not split into " +
                                  std::to_string(world_) + " equal shares: use a --batch that is a multiple of the " +
                                  "number of processes");
  }

  // Data: decoded once into memory (uint8).
  report(TrainPhase::Loading, "scanning " + cfg_.data_root);
  // Rank 0 fixes the split (split.json); the others read it.
  if (dist_ && !main_) dist_->wait_signal("split");
  const auto& summary = trainer_.prepare();
  if (dist_ && main_) dist_->signal("split");
  if (main_) log_->info("{}", summary.to_string());
  data::LoadOptions lo;
  lo.long_side = cfg_.effective_cache_long_side();
  lo.threads = cfg_.loader_threads;
  lo.strict = cfg_.strict;
  auto& idx = trainer_.state_->index;
  report(TrainPhase::Loading, "decoding " + std::to_string(idx.train.size() + idx.val.size()) +
                                  " images (long side <= " + std::to_string(lo.long_side) + ")");
  train_samples_ = data::load_samples(idx.train, lo, &idx.summary);
  has_val_ = !idx.val.empty();
  if (main_) val_samples_ = data::load_samples(idx.val, lo, &idx.summary);
  idx.summary.train_count = static_cast<int>(train_samples_.size());
  idx.summary.val_count = static_cast<int>(val_samples_.size());
  if (trainer_.cancelled_) {
    result_.phase = TrainPhase::Cancelled;
    result_.message = "cancelled while loading data";
    return false;
  }

  // Model, optimizer, resume.
  mopts_ = cfg_.model_options ? *cfg_.model_options : pl::model::preset(cfg_.preset);
  torch::manual_seed(cfg_.seed);
  model_ = pl::model::AnnSegmentor(mopts_);
  RunState resumed;
  if (cfg_.resume) {
    if (!fs::exists(last_path_))
      throw std::runtime_error("--resume: no checkpoint " + last_path_ + " (start without --resume)");
    resumed = load_run_checkpoint(last_path_, model_, cfg_);
    mopts_ = model_->options();
    start_iteration_ = resumed.iteration;
    best_dice_ = resumed.best_polyp_dice;
    if (main_) log_->info("resuming {} at iteration {}", last_path_, start_iteration_);
  } else if (!cfg_.backbone_weights.empty()) {
    log_->info("backbone weights: {}", load_backbone(model_, cfg_.backbone_weights));
  } else if (main_) {
    log_->warn("training from scratch (no backbone weights): expect much lower quality than the paper");
  }
  model_->to(device_);
  if (channels_last_) to_channels_last(model_);
  model_->train();
  if (dopt.bn == "frozen") freeze_batchnorm(model_.ptr());

  aug_ = augment_options(cfg_, mopts_);
  check_crop_fits(cfg_, aug_, train_samples_);
  ipe_ = static_cast<int64_t>(train_samples_.size()) / cfg_.batch;
  if (ipe_ == 0)
    throw std::invalid_argument("batch " + std::to_string(cfg_.batch) + " is larger than the " +
                                std::to_string(train_samples_.size()) + " training images");
  total_ = ipe_ * cfg_.epochs;
  if (start_iteration_ > total_)
    throw std::invalid_argument("last.pt is at iteration " + std::to_string(start_iteration_) +
                                " but the run has only " + std::to_string(total_) + " iterations (" +
                                std::to_string(cfg_.epochs) + " epochs)");

  std::vector<std::pair<std::string, at::Tensor>> params;
  for (auto& kv : model_->named_parameters())
    if (kv.value().requires_grad()) params.emplace_back(kv.key(), kv.value());
  // The weight average is validated and saved by rank 0 alone.
  const bool keep_ema = cfg_.ema_decay > 0 && main_;
  if (cfg_.resume && !resumed.live_weights.empty()) {
    // The checkpoint's model is the weight average; training continues from the live weights.
    if (keep_ema) ema_ = std::make_unique<WeightEma>(model_, cfg_.ema_decay);
    load_weights(model_, resumed.live_weights, last_path_ + " (live weights)");
  } else if (keep_ema) {
    ema_ = std::make_unique<WeightEma>(model_, cfg_.ema_decay);
  }
  if (dist_) {
    // Every rank starts from rank 0's weights and BatchNorm statistics.
    std::vector<at::Tensor> state;
    for (const auto& p : model_->parameters()) state.push_back(p);
    for (const auto& b : model_->buffers()) state.push_back(b);
    dist_->broadcast(state);
  }
  optim_ = make_optimizer(cfg_, params);
  if (cfg_.resume) {
    if (resumed.optimizer == optim_->name())
      optim_->load_state(resumed.optimizer_state);
    else
      log_->warn("resume: the optimizer changed from {} to {}; its state starts fresh", resumed.optimizer,
                 optim_->name());
    restore_rng(resumed, cfg_.seed);
    if (resumed.last_validation) last_val_ = resumed.last_validation;
    saved_at_ = start_iteration_;
  }
  TrainStepOptions so;
  so.amp = use_amp_;
  so.channels_last = channels_last_;
  so.aux_weight = cfg_.aux_weight;
  so.dice_weight = cfg_.dice_weight;
  train_step_ = std::make_unique<TrainStep>(model_, *optim_, device_, so);
  if (dist_) {
    grad_sync_ = std::make_unique<GradSync>(*dist_, params);
    train_step_->set_distributed(dist_.get(), grad_sync_.get());
  }

  if (main_) {
    pl::io::write_file_atomic((out_ / "config.json").string(), cfg_.to_json());
    mlog_ = std::make_unique<MetricsLog>((out_ / "metrics.jsonl").string(), start_iteration_);
  }

  prog_.epochs = cfg_.epochs;
  prog_.total_iterations = total_;
  prog_.iters_per_epoch = static_cast<int>(ipe_);
  prog_.iteration = start_iteration_;
  prog_.epoch = static_cast<int>(std::min<int64_t>(start_iteration_ / ipe_ + 1, cfg_.epochs));

  const bool on_device = cfg_.device_data_path(device_.is_cuda());
  if (main_)
    log_->info("training {} on {} ({} threads{}{}): {} train / {} val images, crop {}x{}, batch {}, {} epochs = {} "
             "iterations ({} per epoch), recipe {}: {} lr {} poly {} min {} warm-up {}, aux {}, dice {}, EMA {}, batches "
             "augmented on the {}",
             cfg_.preset, device_.str(), cfg_.effective_threads(), use_amp_ ? ", bf16 autocast" : "",
             channels_last_ ? ", channels-last" : "", train_samples_.size(), val_samples_.size(), aug_.crop_h,
             aug_.crop_w, cfg_.batch, cfg_.epochs, total_, ipe_, cfg_.recipe, cfg_.optimizer, cfg_.lr, cfg_.poly_power,
             cfg_.min_lr, cfg_.warmup_iters, cfg_.aux_weight, cfg_.dice_weight, cfg_.ema_decay, on_device ? device_.str() + " (whole batches)" : "host");
  if (dist_ && main_)
    log_->info("data-parallel: {} processes over {}, {} images each per iteration, gradients in {} buckets, BatchNorm {}",
               world_, dist_->backend(), cfg_.batch / world_, grad_sync_->buckets(), dopt.bn);
  if (on_device) bank_ = std::make_unique<data::SampleBank>(data::SampleBank::build(train_samples_, device_));
  else
    loader_ = std::make_unique<BatchLoader>(train_samples_, aug_, cfg_.batch, cfg_.seed, start_iteration_, total_,
                                            cfg_.prefetch, rank_, world_);
  win_sum_ = torch::zeros({3}, torch::TensorOptions().dtype(torch::kDouble).device(device_));
  win_start_ = Clock::now();
  return true;
}

Batch Trainer::Run::next_batch(int64_t it) {
  if (bank_) return make_device_batch(*bank_, aug_, cfg_.batch, cfg_.seed, it, rank_, world_);
  return loader_->next();
}

void Trainer::Run::save_last(int64_t it) {
  if (!main_) {  // rank 0 writes the run's files
    saved_at_ = it;
    return;
  }
  // A step with a finite loss can still leave inf/NaN weights (inf gradients): never let such a
  // state replace the last good checkpoint.
  {
    torch::NoGradGuard no_grad;
    for (const auto& p : model_->parameters())
      if (!torch::isfinite(p).all().item<bool>())
        throw std::runtime_error("weights became NaN/inf by iteration " + std::to_string(it) +
                                 "; not saved. Last good checkpoint: " +
                                 (saved_at_ >= 0 ? last_path_ + " (iteration " + std::to_string(saved_at_) + ")"
                                                 : std::string("none")) +
                                 ". Try a lower --lr.");
  }
  save_run_checkpoint(last_path_, model_, *optim_, ema_.get(), cfg_, it, ipe_, best_dice_, last_val_);
  saved_at_ = it;
  result_.last_checkpoint = last_path_;
}

void Trainer::Run::run_validation(int64_t it) {
  // Rank 0 validates and saves; the others wait for it (the wait ends with an error if rank 0 dies).
  const std::string key = "val/" + std::to_string(it);
  if (!main_) {
    if (has_val_) dist_->wait_signal(key);
    saved_at_ = it;
    return;
  }
  if (val_samples_.empty()) {
    if (dist_ && has_val_) dist_->signal(key);
    return;
  }
  report(TrainPhase::Validating, "validating on " + std::to_string(val_samples_.size()) + " images");
  ValidationResult v = validate_model(ema_ ? ema_->model() : model_, val_samples_, device_);
  v.epoch = static_cast<int>(it / ipe_);
  v.iteration = it;
  val_seconds_ = v.seconds;
  v.is_best = std::isfinite(v.polyp_dice) && v.polyp_dice > best_dice_;
  if (v.is_best) best_dice_ = v.polyp_dice;
  last_val_ = v;
  mlog_->validation(v);
  save_last(it);
  if (v.is_best) {
    pl::io::copy_file_atomic(last_path_, best_path_);
    result_.best_checkpoint = best_path_;
    result_.best = v;
  }
  result_.last_validation = v;
  log_->info("val epoch {} iter {}: polyp Dice {:.4f} IoU {:.4f} | mDice {:.4f} mIoU {:.4f} aAcc {:.4f} | per-image "
             "Dice {:.4f} IoU {:.4f} ({} images, {:.1f} s){}",
             v.epoch, it, v.polyp_dice, v.polyp_iou, v.mDice, v.mIoU, v.aAcc, v.per_image_dice, v.per_image_iou,
             v.images, v.seconds, v.is_best ? " best" : "");
  prog_.validation = v;
  report(TrainPhase::Training);
  if (trainer_.dist_.bn == "frozen") freeze_batchnorm(model_.ptr());  // validation put the model back in train()
  if (dist_) dist_->signal(key);
  win_start_ = Clock::now();  // validation time is not training throughput
}

void Trainer::Run::cancel_at(int64_t it) {
  if (saved_at_ != it) save_last(it);
  result_.phase = TrainPhase::Cancelled;
  result_.iterations_done = it;
  result_.message = "cancelled at iteration " + std::to_string(it) + "; resume with " + last_path_;
  report(TrainPhase::Cancelled, result_.message);
}

// The ranks agree on pause and cancel (a rank that stopped alone would leave the others waiting in a
// collective): at every iteration on the CPU, at log steps on CUDA (reading the flags back waits for
// the device).
bool Trainer::Run::check_pause_cancel_distributed(int64_t it) {
  if (device_.is_cuda() && it % cfg_.log_every != 0) return true;
  bool reported = false;
  while (true) {
    auto flags = torch::tensor({trainer_.cancelled_ ? 1.0 : 0.0, trainer_.paused_ ? 1.0 : 0.0},
                               torch::TensorOptions().dtype(torch::kDouble))
                     .to(device_);
    try {
      dist_->allreduce_sum(flags);
    } catch (const std::exception& e) {
      dist_->fail("agreeing on pause/cancel at iteration " + std::to_string(it), e);
    }
    const auto f = flags.cpu();
    if (f[0].item<double>() > 0) {
      cancel_at(it);
      return false;
    }
    if (f[1].item<double>() == 0) break;
    if (!reported) report(TrainPhase::Paused, "paused at iteration " + std::to_string(it));
    reported = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (reported) {
    win_start_ = Clock::now();
    report(TrainPhase::Training, "resumed at iteration " + std::to_string(it));
  }
  return true;
}

bool Trainer::Run::check_pause_cancel(int64_t it) {
  if (dist_) return check_pause_cancel_distributed(it);
  if (trainer_.paused_ && !trainer_.cancelled_) {
    report(TrainPhase::Paused, "paused at iteration " + std::to_string(it));
    paused_reported_ = true;
    while (trainer_.paused_ && !trainer_.cancelled_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (trainer_.cancelled_) {
    cancel_at(it);
    return false;
  }
  if (paused_reported_) {
    paused_reported_ = false;
    win_start_ = Clock::now();
    report(TrainPhase::Training, "resumed at iteration " + std::to_string(it));
  }
  return true;
}

bool Trainer::Run::step(int64_t it) {
  const auto t_iter = Clock::now();
  Batch b = next_batch(it);
  // Dropout differs between ranks and is a function of (seed, iteration, rank), so a data-parallel
  // run resumes exactly without every rank's generator in last.pt.
  if (dist_) torch::manual_seed(data::derive_seed(cfg_.seed ^ 0xD15C0ULL, static_cast<uint64_t>(it), static_cast<uint64_t>(rank_)));
  const double lr = learning_rate(cfg_, it, total_);
  const int64_t done = it + 1;
  const bool log_now = done % cfg_.log_every == 0 || done == total_;
  // The loss is read back every step on the CPU and at log steps on CUDA; a non-finite loss stops
  // the run there, and save_last() never writes non-finite weights.
  const auto step = train_step_->run(b.images, b.labels, lr, sync_each_step_ || log_now);
  bool finite = step.finite;
  if (finite && log_now && !sync_each_step_) finite = std::isfinite((win_sum_ + step.parts)[0].item<double>());
  if (!finite) {
    result_.phase = TrainPhase::Failed;
    result_.iterations_done = it;
    const std::string where = step.finite ? "loss became NaN/inf between iterations " +
                                                std::to_string(done - win_n_ - 1) + " and " + std::to_string(it)
                                          : "loss is " + std::to_string(step.total) + " at iteration " + std::to_string(it);
    result_.message = where + " (epoch " +
                      std::to_string(it / ipe_ + 1) + ", lr " + std::to_string(lr) +
                      "); stopped without saving. Last good checkpoint: " +
                      (saved_at_ >= 0 ? last_path_ + " (iteration " + std::to_string(saved_at_) + ")" : "none") +
                      ". Try a lower --lr.";
    report(TrainPhase::Failed, result_.message);
    return false;
  }
  if (ema_) ema_->update(it);
  win_sum_ += step.parts;
  ++win_n_;

  const double dt = seconds_since(t_iter);
  ema_iter_s_ = ema_iter_s_ == 0 ? dt : 0.9 * ema_iter_s_ + 0.1 * dt;
  prog_.iteration = done;
  prog_.epoch = static_cast<int>(std::min<int64_t>(it / ipe_ + 1, cfg_.epochs));
  prog_.lr = lr;
  if (sync_each_step_ || log_now) {
    const auto w = win_sum_.cpu();
    const double* v = w.data_ptr<double>();
    prog_.loss = v[0] / win_n_;
    prog_.loss_decode = v[1] / win_n_;
    prog_.loss_aux = v[2] / win_n_;
  }
  if (log_now) {
    // Throughput over the window, measured after the device finished it (the loss read-back above).
    const double window_s = seconds_since(win_start_);
    if (window_s > 0) prog_.images_per_s = cfg_.batch * win_n_ / window_s;
    ema_iter_s_ = window_s / win_n_;
  } else if (sync_each_step_) {
    prog_.images_per_s = cfg_.batch / ema_iter_s_;
  }
  const int64_t vals_left =
      val_samples_.empty() ? 0 : (cfg_.val_every > 0 ? (cfg_.epochs - it / ipe_) / cfg_.val_every : 1);
  prog_.eta_s = ema_iter_s_ * static_cast<double>(total_ - done) + val_seconds_ * static_cast<double>(vals_left);
  if (log_now) log_step(done, lr);
  report(TrainPhase::Training);
  if (log_now) {
    win_sum_.zero_();
    win_n_ = 0;
    win_start_ = Clock::now();
  }
  return true;
}

void Trainer::Run::log_step(int64_t done, double lr) {
  if (!main_) return;
  mlog_->train(prog_);
  log_->debug("epoch {}/{} iter {}/{} loss {:.4f} (decode {:.4f} aux {:.4f}) lr {:.3g} {:.2f} img/s ETA {}", prog_.epoch,
              cfg_.epochs, done, total_, prog_.loss, prog_.loss_decode, prog_.loss_aux, lr, prog_.images_per_s,
              fmt_duration(prog_.eta_s));
}

void Trainer::Run::end_of_epoch(int64_t done) {
  if (done % ipe_ != 0) {
    if (cfg_.checkpoint_every_iters > 0 && done % cfg_.checkpoint_every_iters == 0 && saved_at_ != done)
      save_last(done);
    return;
  }
  const int epoch_done = static_cast<int>(done / ipe_);
  const bool val_now = (cfg_.val_every > 0 && epoch_done % cfg_.val_every == 0) || done == total_;
  if (val_now) run_validation(done);
  if (saved_at_ != done && ((cfg_.checkpoint_every > 0 && epoch_done % cfg_.checkpoint_every == 0) || done == total_))
    save_last(done);
  if (cfg_.snapshot_every > 0 && epoch_done % cfg_.snapshot_every == 0) {
    if (saved_at_ != done) save_last(done);
    char name[32];
    std::snprintf(name, sizeof name, "epoch_%04d.pt", epoch_done);
    if (main_) pl::io::copy_file_atomic(last_path_, (out_ / name).string());
  }
  if (cfg_.checkpoint_every_iters > 0 && done % cfg_.checkpoint_every_iters == 0 && saved_at_ != done)
    save_last(done);
}

TrainResult Trainer::Run::finish() {
  if (saved_at_ != total_) save_last(total_);
  if (dist_) dist_->finish();
  result_.phase = TrainPhase::Finished;
  result_.iterations_done = total_;
  result_.message = "finished " + std::to_string(total_) + " iterations in " + fmt_duration(seconds_since(t_start_)) +
                    "; checkpoints in " + cfg_.out_dir;
  report(TrainPhase::Finished, result_.message);
  return result_;
}

TrainResult Trainer::run_impl(const ProgressCallback& on_progress) {
  Run run(*this, on_progress);
  try {
    if (!run.setup()) return run.result();
    for (int64_t it = run.start_iteration(); it < run.total(); ++it) {
      if (!run.check_pause_cancel(it)) return run.result();
      if (!run.step(it)) return run.result();
      run.end_of_epoch(it + 1);
    }
    return run.finish();
  } catch (const std::exception& e) {
    run.on_error(e.what());
    throw;
  }
}

}  // namespace pl::core::train
