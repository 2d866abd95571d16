#include "core/train/metrics_log.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "core/base/json.h"
#include "model/atomic_file.h"

namespace pl::core::train {
namespace {

double unix_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

using pl::json::Json;
// JSON has no NaN; number() writes null so the line stays parseable.
using pl::json::number;

std::string line(const Json& o) { return pl::json::dump(o, /*indented=*/false); }

}  // namespace

MetricsLog::MetricsLog(const std::string& path, int64_t resume_iteration) : path_(path) {
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::vector<std::string> keep;
    for (std::string l; std::getline(in, l);) {
      const Json doc = Json::parse(l, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_object()) continue;  // a torn last line from a killed run
      const auto it = doc.find("iteration");
      if (it != doc.end() && it->is_number() && it->get<double>() > static_cast<double>(resume_iteration)) continue;
      keep.push_back(l);
    }
    in.close();
    std::string text;
    for (const auto& l : keep) text += l + '\n';
    pl::io::write_file_atomic(path, text);
  }
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error("cannot open " + path + " for writing");
}

void MetricsLog::train(const TrainProgress& p) {
  Json o;
  o["type"] = "train";
  o["time"] = unix_time();
  o["epoch"] = p.epoch;
  o["iteration"] = p.iteration;
  o["lr"] = number(p.lr);
  o["loss"] = number(p.loss);
  o["loss_decode"] = number(p.loss_decode);
  o["loss_aux"] = number(p.loss_aux);
  o["images_per_s"] = number(p.images_per_s);
  o["eta_s"] = number(p.eta_s);
  out_ << line(o) << '\n';
  out_.flush();
}

void MetricsLog::validation(const ValidationResult& v) {
  Json o;
  o["type"] = "val";
  o["time"] = unix_time();
  o["epoch"] = v.epoch;
  o["iteration"] = v.iteration;
  o["polyp_dice"] = number(v.polyp_dice);
  o["polyp_iou"] = number(v.polyp_iou);
  o["mDice"] = number(v.mDice);
  o["mIoU"] = number(v.mIoU);
  o["aAcc"] = number(v.aAcc);
  o["per_image_dice"] = number(v.per_image_dice);
  o["per_image_iou"] = number(v.per_image_iou);
  o["images"] = v.images;
  o["seconds"] = number(v.seconds);
  o["is_best"] = v.is_best;
  out_ << line(o) << '\n';
  out_.flush();
}

}  // namespace pl::core::train
