#pragma once
// Every setting of a training run. Defaults are the paper's recipe (= mmseg ann_r50-d8 schedule,
// docs/recipe.md): SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 10, 500 epochs, poly decay
// (power 0.9, min lr 1e-4) stepped per iteration, CE on decode + 0.4 x CE on aux, validation every
// 100 epochs. No torch in this header: the GUI edits this struct directly.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/options.h"

namespace pl::core::train {

struct TrainConfig {
  // Data.
  std::string data_root;             // folder with images/ and masks/ (see core/data/dataset.h)
  // More such folders trained on together with data_root (e.g. Kvasir + CVC-ClinicDB): each split by
  // its own train.txt/val.txt, or all-train without them; `polyplens train --data A --data B`.
  std::vector<std::string> extra_data_roots;
  std::string split = "official";    // official | random90 (a split.json in out_dir always wins)
  int max_images = 0;                // 0 = all; cap for quick runs and tests
  bool strict = false;               // data problems are errors instead of counted warnings
  int cache_long_side = -1;          // shrink images on load to this long side; -1 = 2 x crop long side, 0 = never

  // Model.
  std::string preset = "ann-r50";
  std::string backbone_weights;      // torchvision resnet state dict (optional)
  // Replaces preset(preset) when set (tests, experiments). Not written to config.json: the
  // checkpoints store the model's options, and a resume takes them from last.pt.
  std::optional<pl::model::SegmentorOptions> model_options;

  // Augmentation (docs/recipe.md §3). crop 0x0 = 512x1024 (the paper) for ann-r50/ann-r101, the preset's
  // input size for the CPU presets.
  int crop_h = 0, crop_w = 0;
  int scale_long = 0, scale_short = 0;  // RandomResize base scale; 0 = twice the crop
  double ratio_min = 0.5, ratio_max = 2.0;
  double cat_max_ratio = 0.75;
  double flip_prob = 0.5;
  bool photometric = true;

  // Named recipe the run started from (core/train/recipes.h): its settings were applied over these
  // defaults before any flag. "paper" = the defaults themselves.
  std::string recipe = "paper";

  // Schedule and loss.
  int epochs = 500;
  int batch = 10;
  std::string optimizer = "sgd";     // sgd (the paper) | adamw (core/train/adamw.h)
  double lr = 0.01, momentum = 0.9, weight_decay = 5e-4;
  double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;  // AdamW only
  double poly_power = 0.9, min_lr = 1e-4;
  // Linear warm-up over the first warmup_iters iterations, from warmup_ratio x the scheduled lr
  // (mmseg's `warmup='linear'`); 0 = none (the paper).
  int warmup_iters = 0;
  double warmup_ratio = 1e-3;
  // Exponential moving average of the weights (core/train/weight_ema.h); 0 = off (the paper). The
  // average is validated and checkpointed; last.pt also keeps the live weights for a resume.
  double ema_decay = 0.0;
  double aux_weight = 0.4;
  // Soft Dice added to CE on each head. 0 = the paper (CE only). A documented deviation that helps
  // from-scratch CPU training of the small presets, where polyps are a minority class.
  double dice_weight = 0.0;

  // Bookkeeping.
  int val_every = 100;               // epochs between validations; 0 = only at the end
  int checkpoint_every = 1;          // epochs between last.pt updates (also written on cancel/end)
  int checkpoint_every_iters = 0;    // additionally every N iterations; 0 = off
  int snapshot_every = 0;            // epochs between kept epoch_NNNN.pt copies; 0 = none
  int log_every = 10;                // iterations between metrics.jsonl lines / log lines
  std::string out_dir;               // run directory: last.pt, best.pt, split.json, config.json, metrics.jsonl
  bool resume = false;               // continue from out_dir/last.pt

  // Execution.
  std::string device = "auto";       // auto | cpu | cuda | cuda:N
  int threads = 0;                   // intra-op threads; 0 = hardware threads
  // bf16 autocast of the forward pass (losses in fp32): auto = on CUDA and on CPUs with native bf16
  // (2x faster here), off elsewhere | off (plain fp32) | bf16.
  std::string amp = "auto";
  uint64_t seed = 0;
  int loader_threads = 2;            // decoding threads when filling the cache
  int prefetch = 2;                  // batches prepared ahead by the producer thread (host data path)
  // Where batches are augmented: host (one sample at a time on a producer thread, augment.h) |
  // device (whole batches on the training device, batch_augment.h: the GPU path) | auto (device on
  // CUDA, host on the CPU). Both are pure functions of (seed, iteration), so resume stays exact.
  std::string data_path = "auto";

  // Throws std::invalid_argument naming the field and its bad value (also checks the preset name).
  void validate() const;

  // Crop with the preset-dependent default applied.
  int effective_crop_h() const;
  int effective_crop_w() const;
  int effective_cache_long_side() const;
  int effective_threads() const;
  bool device_data_path(bool cuda) const { return data_path == "device" || (data_path == "auto" && cuda); }

  // config.json of a run directory. from_json throws std::invalid_argument on malformed input;
  // absent keys keep their defaults.
  std::string to_json() const;
  static TrainConfig from_json(const std::string& json);
  // Sets the keys present in `json` (a JSON object of config.json keys), keeps the others. With
  // reject_unknown, a key that is not a setting is an error naming it (recipe files: a typo must
  // not be ignored). Throws std::invalid_argument; `origin` names the source in the message.
  void update_from_json(const std::string& json, const std::string& origin, bool reject_unknown);
};

// One setting of TrainConfig: its key in config.json (and in checkpoints, which embed config.json),
// its `polyplens train` flag without "--" ("" when the CLI sets it another way: --crop HxW, --ratio
// MIN,MAX, --scale, --no-photometric, --out, --resume) and what it means.
struct ConfigField {
  const char* key;
  const char* flag;
  const char* help;
};

// The one list of TrainConfig's settings. to_json/from_json and the CLI's flags are made from it:
// v(const ConfigField&, T& value) with T one of std::string, int, double, bool, uint64_t and
// std::vector<std::string> (extra_data_roots, whose flag is "": the CLI's repeated --data sets it).
template <typename C, typename V>
void visit_fields(C& c, V&& v) {
  v(ConfigField{"data_root", "data", "data folder with images/ and masks/"}, c.data_root);
  v(ConfigField{"extra_data_roots", "", "more data folders trained on with data_root"}, c.extra_data_roots);
  v(ConfigField{"split", "split", "official (train.txt/val.txt) or random90 (seeded 90/10)"}, c.split);
  v(ConfigField{"max_images", "max-images", "use at most N images in total (0 = all)"}, c.max_images);
  v(ConfigField{"strict", "strict", "treat data problems as errors"}, c.strict);
  v(ConfigField{"cache_long_side", "cache-long-side", "shrink images on load to this long side (-1 = 2x crop, 0 = keep)"},
    c.cache_long_side);
  v(ConfigField{"preset", "preset", "model preset (polyplens info --list)"}, c.preset);
  v(ConfigField{"backbone_weights", "backbone-weights", "torchvision ResNet weights (.pth) for the backbone"},
    c.backbone_weights);
  v(ConfigField{"crop_h", "", "training crop height"}, c.crop_h);
  v(ConfigField{"crop_w", "", "training crop width"}, c.crop_w);
  v(ConfigField{"scale_long", "", "RandomResize base scale, long side"}, c.scale_long);
  v(ConfigField{"scale_short", "", "RandomResize base scale, short side"}, c.scale_short);
  v(ConfigField{"ratio_min", "", "RandomResize ratio, lowest"}, c.ratio_min);
  v(ConfigField{"ratio_max", "", "RandomResize ratio, highest"}, c.ratio_max);
  v(ConfigField{"cat_max_ratio", "cat-max-ratio", "RandomCrop: max share of one class in a crop (1 = off)"},
    c.cat_max_ratio);
  v(ConfigField{"flip_prob", "flip-prob", "probability of a horizontal flip"}, c.flip_prob);
  v(ConfigField{"photometric", "", "photometric distortion on"}, c.photometric);
  v(ConfigField{"recipe", "", "named recipe the run started from"}, c.recipe);
  v(ConfigField{"epochs", "epochs", "epochs"}, c.epochs);
  v(ConfigField{"batch", "batch", "images per iteration"}, c.batch);
  v(ConfigField{"optimizer", "optimizer", "sgd (the paper) or adamw"}, c.optimizer);
  v(ConfigField{"lr", "lr", "initial learning rate"}, c.lr);
  v(ConfigField{"momentum", "momentum", "SGD momentum"}, c.momentum);
  v(ConfigField{"weight_decay", "weight-decay", "weight decay (SGD: added to the gradient; AdamW: decoupled)"},
    c.weight_decay);
  v(ConfigField{"beta1", "beta1", "AdamW beta1"}, c.beta1);
  v(ConfigField{"beta2", "beta2", "AdamW beta2"}, c.beta2);
  v(ConfigField{"adam_eps", "adam-eps", "AdamW epsilon"}, c.adam_eps);
  v(ConfigField{"poly_power", "poly-power", "poly schedule power"}, c.poly_power);
  v(ConfigField{"min_lr", "min-lr", "poly schedule floor"}, c.min_lr);
  v(ConfigField{"warmup_iters", "warmup-iters", "linear warm-up iterations (0 = none)"}, c.warmup_iters);
  v(ConfigField{"warmup_ratio", "warmup-ratio", "warm-up starts at this fraction of the lr"}, c.warmup_ratio);
  v(ConfigField{"ema_decay", "ema-decay", "EMA of the weights, validated and saved (0 = off; e.g. 0.999)"},
    c.ema_decay);
  v(ConfigField{"aux_weight", "aux-weight", "weight of the auxiliary FCN head's loss"}, c.aux_weight);
  v(ConfigField{"dice_weight", "dice-weight", "soft Dice term added to CE (0 = the paper)"}, c.dice_weight);
  v(ConfigField{"val_every", "val-every", "validate every N epochs (0 = only at the end)"}, c.val_every);
  v(ConfigField{"checkpoint_every", "checkpoint-every", "update last.pt every N epochs"}, c.checkpoint_every);
  v(ConfigField{"checkpoint_every_iters", "checkpoint-every-iters", "also update last.pt every N iterations (0 = off)"},
    c.checkpoint_every_iters);
  v(ConfigField{"snapshot_every", "snapshot-every", "keep epoch_NNNN.pt every N epochs (0 = none)"}, c.snapshot_every);
  v(ConfigField{"log_every", "log-every", "print and log a line every N iterations"}, c.log_every);
  v(ConfigField{"out_dir", "", "run directory"}, c.out_dir);
  v(ConfigField{"resume", "", "continue from out_dir/last.pt"}, c.resume);
  v(ConfigField{"device", "device", "auto, cpu, cuda or cuda:N"}, c.device);
  v(ConfigField{"threads", "threads", "CPU threads (0 = all hardware threads)"}, c.threads);
  v(ConfigField{"amp", "amp", "bf16 autocast: auto (on CUDA and CPUs with native bf16), off (fp32) or bf16"}, c.amp);
  v(ConfigField{"seed", "seed", "random seed (split, sample order, augmentation, init)"}, c.seed);
  v(ConfigField{"loader_threads", "loader-threads", "image decoding threads"}, c.loader_threads);
  v(ConfigField{"prefetch", "prefetch", "batches prepared ahead on the host data path"}, c.prefetch);
  v(ConfigField{"data_path", "data-path",
                "where batches are augmented: auto (device on CUDA), host (per sample, producer thread) or device "
                "(whole batches on the training device)"},
    c.data_path);
}

}  // namespace pl::core::train
