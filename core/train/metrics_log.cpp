#include "core/train/metrics_log.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <QJsonDocument>
#include <QJsonObject>

namespace pl::core::train {
namespace {

double unix_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// JSON has no NaN; write null so the line stays parseable.
QJsonValue number(double v) { return std::isfinite(v) ? QJsonValue(v) : QJsonValue(); }

std::string line(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString(); }

}  // namespace

MetricsLog::MetricsLog(const std::string& path, int64_t resume_iteration) : path_(path) {
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::vector<std::string> keep;
    for (std::string l; std::getline(in, l);) {
      const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(l));
      if (!doc.isObject()) continue;  // a torn last line from a killed run
      if (doc.object().value("iteration").toDouble() > static_cast<double>(resume_iteration)) continue;
      keep.push_back(l);
    }
    in.close();
    std::ofstream rewrite(path, std::ios::trunc);
    for (const auto& l : keep) rewrite << l << '\n';
  }
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error("cannot open " + path + " for writing");
}

void MetricsLog::train(const TrainProgress& p) {
  QJsonObject o;
  o["type"] = "train";
  o["time"] = unix_time();
  o["epoch"] = p.epoch;
  o["iteration"] = static_cast<double>(p.iteration);
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
  QJsonObject o;
  o["type"] = "val";
  o["time"] = unix_time();
  o["epoch"] = v.epoch;
  o["iteration"] = static_cast<double>(v.iteration);
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
