#include "core/train/run_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "core/data/rng.h"
#include "core/log/log.h"
#include "model/checkpoint.h"

namespace pl::core::train {
namespace {

const std::string kOptimPrefix = "optim.", kLivePrefix = "live.";

}  // namespace

void save_run_checkpoint(const std::string& path, pl::model::AnnSegmentor& model, const Optimizer& optimizer,
                         WeightEma* ema, const TrainConfig& cfg, int64_t iteration, int64_t iters_per_epoch,
                         double best_polyp_dice, const std::optional<ValidationResult>& last_validation) {
  pl::model::CheckpointMeta meta;
  meta.iteration = iteration;
  meta.epoch = iters_per_epoch > 0 ? iteration / iters_per_epoch : 0;
  meta.strings["kind"] = "train";
  meta.strings["train_config"] = cfg.to_json();
  meta.strings["optimizer"] = optimizer.name();
  if (best_polyp_dice >= 0) meta.metrics["best_polyp_dice"] = best_polyp_dice;
  if (last_validation) {
    const auto& v = *last_validation;
    meta.metrics["val.epoch"] = v.epoch;
    meta.metrics["val.iteration"] = static_cast<double>(v.iteration);
    meta.metrics["val.polyp_dice"] = v.polyp_dice;
    meta.metrics["val.polyp_iou"] = v.polyp_iou;
    meta.metrics["val.mDice"] = v.mDice;
    meta.metrics["val.mIoU"] = v.mIoU;
    meta.metrics["val.aAcc"] = v.aAcc;
    meta.metrics["val.per_image_dice"] = v.per_image_dice;
    meta.metrics["val.per_image_iou"] = v.per_image_iou;
    meta.metrics["val.images"] = v.images;
  }
  std::map<std::string, torch::Tensor> extra;
  for (const auto& [key, t] : optimizer.state()) extra[kOptimPrefix + key] = t.detach().cpu();
  if (ema)
    for (const auto& [name, t] : pl::model::state_dict(model)) extra[kLivePrefix + name] = t.cpu();
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    extra["rng.cpu"] = gen.get_state();
  }
  extra["train.iteration"] = torch::tensor({iteration}, torch::kLong);
  pl::model::save_checkpoint(path, ema ? ema->model() : model, meta, extra, /*fp16=*/false);
}

RunState load_run_checkpoint(const std::string& path, pl::model::AnnSegmentor& model, const TrainConfig& cfg) {
  auto log = pl::log::get("train");
  const auto ck = pl::model::read_checkpoint(path);
  if (ck.storage_dtype == "fp16")
    throw std::runtime_error(path + " stores fp16 weights (an export, not a training checkpoint); cannot resume from it");
  const auto kind = ck.meta.strings.find("kind");
  if (kind == ck.meta.strings.end() || kind->second != "train")
    throw std::runtime_error(path + " is not a training checkpoint (no optimizer state); cannot resume from it");
  if (ck.options.preset != cfg.preset)
    throw std::runtime_error(path + " holds preset '" + ck.options.preset + "' but the run asks for '" + cfg.preset + "'");
  if (auto it = ck.meta.strings.find("train_config"); it != ck.meta.strings.end()) {
    const TrainConfig old = TrainConfig::from_json(it->second);
    auto warn = [&](const char* what, const std::string& a, const std::string& b) {
      if (a != b) log->warn("resume: {} changed from {} to {}; the run will not match an uninterrupted one", what, a, b);
    };
    warn("batch", std::to_string(old.batch), std::to_string(cfg.batch));
    warn("epochs", std::to_string(old.epochs), std::to_string(cfg.epochs));
    warn("lr", std::to_string(old.lr), std::to_string(cfg.lr));
    warn("seed", std::to_string(old.seed), std::to_string(cfg.seed));
    warn("crop", std::to_string(old.effective_crop_h()) + "x" + std::to_string(old.effective_crop_w()),
         std::to_string(cfg.effective_crop_h()) + "x" + std::to_string(cfg.effective_crop_w()));
  }
  model = pl::model::model_from_checkpoint(ck);

  RunState s;
  s.iteration = ck.meta.iteration;
  if (auto it = ck.meta.metrics.find("best_polyp_dice"); it != ck.meta.metrics.end()) s.best_polyp_dice = it->second;
  const auto opt = ck.meta.strings.find("optimizer");
  s.optimizer = opt == ck.meta.strings.end() ? "sgd" : opt->second;
  for (const auto& [name, t] : ck.extra) {
    if (name.rfind(kOptimPrefix, 0) == 0) s.optimizer_state[name.substr(kOptimPrefix.size())] = t;
    if (name.rfind(kLivePrefix, 0) == 0) s.live_weights[name.substr(kLivePrefix.size())] = t;
  }
  if (auto it = ck.extra.find("rng.cpu"); it != ck.extra.end()) s.cpu_rng = it->second;
  if (ck.meta.metrics.count("val.iteration")) {
    auto m = [&](const char* k) {
      auto it = ck.meta.metrics.find(k);
      return it == ck.meta.metrics.end() ? 0.0 : it->second;
    };
    ValidationResult v;
    v.epoch = static_cast<int>(m("val.epoch"));
    v.iteration = static_cast<int64_t>(m("val.iteration"));
    v.polyp_dice = m("val.polyp_dice");
    v.polyp_iou = m("val.polyp_iou");
    v.mDice = m("val.mDice");
    v.mIoU = m("val.mIoU");
    v.aAcc = m("val.aAcc");
    v.per_image_dice = m("val.per_image_dice");
    v.per_image_iou = m("val.per_image_iou");
    v.images = static_cast<int>(m("val.images"));
    s.last_validation = v;
  }
  return s;
}

void restore_rng(const RunState& state, uint64_t seed) {
  auto gen = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    if (state.cpu_rng.defined()) gen.set_state(state.cpu_rng);
    else gen.set_current_seed(data::derive_seed(seed, 0xC0FFEE, static_cast<uint64_t>(state.iteration)));
  }
  if (torch::cuda::is_available())
    torch::cuda::manual_seed_all(data::derive_seed(seed, 0xC0DA, static_cast<uint64_t>(state.iteration)));
}

}  // namespace pl::core::train
