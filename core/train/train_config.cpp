#include "core/train/train_config.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "core/base/json.h"
#include "model/presets.h"

namespace pl::core::train {
namespace {

using pl::json::Json;

struct Writer {
  Json& o;
  void operator()(const ConfigField& f, const std::string& v) { o[f.key] = v; }
  void operator()(const ConfigField& f, int v) { o[f.key] = v; }
  void operator()(const ConfigField& f, double v) { o[f.key] = v; }
  void operator()(const ConfigField& f, bool v) { o[f.key] = v; }
  void operator()(const ConfigField& f, uint64_t v) { o[f.key] = std::to_string(v); }  // 64 bits do not fit a JSON double
  void operator()(const ConfigField& f, const std::vector<std::string>& v) { o[f.key] = v; }
};

struct Reader {
  const Json& o;
  [[noreturn]] void bad(const char* k, const char* type) const {
    throw std::invalid_argument(std::string("config: '") + k + "' must be " + type);
  }
  const Json* find(const char* k) const {
    const auto it = o.find(k);
    return it == o.end() ? nullptr : &*it;
  }
  void operator()(const ConfigField& f, std::string& v) const {
    const char* k = f.key;
    const Json* j = find(k);
    if (!j) return;
    if (!j->is_string()) bad(k, "a string");
    v = j->get<std::string>();
  }
  void operator()(const ConfigField& f, int& v) const {
    const char* k = f.key;
    const Json* j = find(k);
    if (!j) return;
    if (!j->is_number() || j->get<double>() != std::floor(j->get<double>()) ||
        std::abs(j->get<double>()) > 2147483647.0)
      bad(k, "an integer");
    v = static_cast<int>(j->get<double>());
  }
  void operator()(const ConfigField& f, double& v) const {
    const char* k = f.key;
    const Json* j = find(k);
    if (!j) return;
    if (!j->is_number()) bad(k, "a number");
    v = j->get<double>();
  }
  void operator()(const ConfigField& f, bool& v) const {
    const char* k = f.key;
    const Json* j = find(k);
    if (!j) return;
    if (!j->is_boolean()) bad(k, "true or false");
    v = j->get<bool>();
  }
  void operator()(const ConfigField& f, uint64_t& v) const {
    const char* k = f.key;
    const Json* j = find(k);
    if (!j) return;
    if (j->is_number_unsigned()) {
      v = j->get<uint64_t>();
      return;
    }
    if (j->is_string()) {
      const std::string s = j->get<std::string>();
      char* end = nullptr;
      errno = 0;
      const unsigned long long x = std::strtoull(s.c_str(), &end, 10);
      if (!s.empty() && s[0] != '-' && end && *end == '\0' && errno == 0) {
        v = x;
        return;
      }
    }
    bad(k, "an unsigned integer");
  }
  void operator()(const ConfigField& f, std::vector<std::string>& v) const {
    const char* k = f.key;
    const Json* j = find(k);
    if (!j) return;
    if (!j->is_array()) bad(k, "a list of strings");
    std::vector<std::string> out;
    for (const auto& x : *j) {
      if (!x.is_string()) bad(k, "a list of strings");
      out.push_back(x.get<std::string>());
    }
    v = std::move(out);
  }
};

bool is_paper_preset(const std::string& preset) { return preset == "ann-r50" || preset == "ann-r101"; }

}  // namespace

int TrainConfig::effective_crop_h() const {
  if (crop_h > 0) return crop_h;
  if (model_options) return model_options->input_h;
  return is_paper_preset(preset) ? 512 : pl::model::preset(preset).input_h;
}

int TrainConfig::effective_crop_w() const {
  if (crop_w > 0) return crop_w;
  if (model_options) return model_options->input_w;
  return is_paper_preset(preset) ? 1024 : pl::model::preset(preset).input_w;
}

int TrainConfig::effective_cache_long_side() const {
  if (cache_long_side >= 0) return cache_long_side;
  return 2 * std::max(effective_crop_h(), effective_crop_w());
}

int TrainConfig::effective_threads() const {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

void TrainConfig::validate() const {
  auto bad = [](const std::string& msg) { throw std::invalid_argument("training config: " + msg); };
  auto num = [](double v) { return std::to_string(v); };
  if (data_root.empty()) bad("no data folder given (data_root)");
  for (const auto& r : extra_data_roots)
    if (r.empty()) bad("an extra data folder is empty (extra_data_roots)");
  if (split != "official" && split != "random90") bad("unknown split '" + split + "' (valid: official, random90)");
  if (max_images < 0) bad("max_images must be >= 0, got " + std::to_string(max_images));
  if (cache_long_side < -1) bad("cache_long_side must be -1 (auto), 0 (keep) or positive, got " + std::to_string(cache_long_side));
  try {
    if (model_options) {
      model_options->validate();
      if (model_options->preset != preset)
        bad("model_options are for preset '" + model_options->preset + "' but preset is '" + preset + "'");
    } else {
      pl::model::preset(preset);
    }
  } catch (const std::invalid_argument& e) {
    bad(e.what());
  }
  if (crop_h < 0 || crop_w < 0 || (crop_h == 0) != (crop_w == 0))
    bad("crop must be HxW with both positive (or both 0 for the preset default), got " + std::to_string(crop_h) + "x" +
        std::to_string(crop_w));
  if (crop_h % 8 || crop_w % 8)
    bad("crop " + std::to_string(crop_h) + "x" + std::to_string(crop_w) + " must be a multiple of 8 (the output stride)");
  if (scale_long < 0 || scale_short < 0) bad("scale must be >= 0");
  if (!(ratio_min > 0 && ratio_max >= ratio_min)) bad("ratio range " + num(ratio_min) + ".." + num(ratio_max) + " must satisfy 0 < min <= max");
  if (!(cat_max_ratio > 0 && cat_max_ratio <= 1)) bad("cat_max_ratio must be in (0, 1], got " + num(cat_max_ratio));
  if (!(flip_prob >= 0 && flip_prob <= 1)) bad("flip_prob must be in [0, 1], got " + num(flip_prob));
  if (epochs <= 0) bad("epochs must be positive, got " + std::to_string(epochs));
  if (batch <= 0) bad("batch must be positive, got " + std::to_string(batch));
  if (optimizer != "sgd" && optimizer != "adamw") bad("unknown optimizer '" + optimizer + "' (valid: sgd, adamw)");
  if (!(lr > 0) || !std::isfinite(lr)) bad("lr must be positive, got " + num(lr));
  if (!(beta1 >= 0 && beta1 < 1)) bad("beta1 must be in [0, 1), got " + num(beta1));
  if (!(beta2 >= 0 && beta2 < 1)) bad("beta2 must be in [0, 1), got " + num(beta2));
  if (!(adam_eps > 0)) bad("adam_eps must be positive, got " + num(adam_eps));
  if (warmup_iters < 0) bad("warmup_iters must be >= 0, got " + std::to_string(warmup_iters));
  if (!(warmup_ratio > 0 && warmup_ratio <= 1)) bad("warmup_ratio must be in (0, 1], got " + num(warmup_ratio));
  if (!(ema_decay >= 0 && ema_decay < 1)) bad("ema_decay must be in [0, 1) (0 = off), got " + num(ema_decay));
  if (recipe.empty()) bad("recipe is empty");
  if (!(momentum >= 0 && momentum < 1)) bad("momentum must be in [0, 1), got " + num(momentum));
  if (!(weight_decay >= 0)) bad("weight_decay must be >= 0, got " + num(weight_decay));
  if (!(poly_power >= 0)) bad("poly_power must be >= 0, got " + num(poly_power));
  if (!(min_lr >= 0 && min_lr <= lr)) bad("min_lr must be in [0, lr], got " + num(min_lr) + " (lr " + num(lr) + ")");
  if (!(aux_weight >= 0)) bad("aux_weight must be >= 0, got " + num(aux_weight));
  if (!(dice_weight >= 0)) bad("dice_weight must be >= 0, got " + num(dice_weight));
  if (val_every < 0) bad("val_every must be >= 0, got " + std::to_string(val_every));
  if (checkpoint_every < 0 || checkpoint_every_iters < 0 || snapshot_every < 0)
    bad("checkpoint intervals must be >= 0");
  if (log_every <= 0) bad("log_every must be positive, got " + std::to_string(log_every));
  if (out_dir.empty()) bad("no run directory given (out_dir)");
  if (device != "auto" && device != "cpu" && device != "cuda" && device.rfind("cuda:", 0) != 0)
    bad("unknown device '" + device + "' (valid: auto, cpu, cuda, cuda:N)");
  if (threads < 0) bad("threads must be >= 0, got " + std::to_string(threads));
  if (amp != "auto" && amp != "off" && amp != "bf16") bad("unknown amp mode '" + amp + "' (valid: auto, off, bf16)");
  if (loader_threads <= 0) bad("loader_threads must be positive, got " + std::to_string(loader_threads));
  if (prefetch <= 0) bad("prefetch must be positive, got " + std::to_string(prefetch));
  if (data_path != "auto" && data_path != "host" && data_path != "device")
    bad("unknown data path '" + data_path + "' (valid: auto, host, device)");
}

std::string TrainConfig::to_json() const {
  Json o = Json::object();
  visit_fields(*this, Writer{o});
  return pl::json::dump(o);
}

TrainConfig TrainConfig::from_json(const std::string& json) {
  TrainConfig c;
  c.update_from_json(json, "config", /*reject_unknown=*/false);
  return c;
}

void TrainConfig::update_from_json(const std::string& json, const std::string& origin, bool reject_unknown) {
  const Json o = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!o.is_object()) throw std::invalid_argument(origin + ": not a JSON object");
  if (reject_unknown) {
    std::vector<std::string> keys;
    visit_fields(*this, [&](const ConfigField& f, const auto&) { keys.emplace_back(f.key); });
    for (const auto& [k, v] : o.items())
      if (std::find(keys.begin(), keys.end(), k) == keys.end())
        throw std::invalid_argument(origin + ": '" + k + "' is not a training setting (see config.json of a run)");
  }
  try {
    visit_fields(*this, Reader{o});
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    throw std::invalid_argument(origin + msg.substr(msg.find(':')));
  }
}

}  // namespace pl::core::train
