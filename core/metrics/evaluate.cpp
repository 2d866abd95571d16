#include "core/metrics/evaluate.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <opencv2/imgcodecs.hpp>

#include "core/data/decode.h"
#include "core/inference/predictor.h"
#include "core/log/log.h"

namespace fs = std::filesystem;

namespace pl::core::metrics {
namespace {

QJsonValue num(double v) { return std::isfinite(v) ? QJsonValue(v) : QJsonValue(); }

std::string pct(double v) {
  if (!std::isfinite(v)) return "   nan";
  char b[16];
  std::snprintf(b, sizeof b, "%6.2f", 100.0 * v);
  return b;
}

}  // namespace

EvalReport evaluate(inference::Predictor& predictor, const std::vector<data::SamplePair>& pairs,
                    const EvalOptions& options, const EvalProgress& progress) {
  auto log = pl::log::get("app");
  const auto t0 = std::chrono::steady_clock::now();
  if (!options.save_masks_dir.empty()) fs::create_directories(options.save_masks_dir);
  EvalReport r;
  r.checkpoint = predictor.info().checkpoint;
  SegmentationMeter meter;
  double infer_ms = 0, total_ms = 0;
  int n = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    try {
      const cv::Mat image = data::decode_image_bgr(p.image_path);
      const cv::Mat gt = data::decode_mask(p.mask_path);
      if (gt.size() != image.size())
        throw data::DatasetError(p.mask_path + ": mask size differs from the image " + p.image_path);
      const auto pred = predictor.predict(image);
      meter.add(p.name, pred.mask.ptr<uint8_t>(), gt.ptr<uint8_t>(), gt.total());
      infer_ms += pred.timings.infer_ms;
      total_ms += pred.timings.total_ms();
      ++n;
      if (!options.save_masks_dir.empty()) {
        const std::string out = (fs::path(options.save_masks_dir) / (p.name + ".png")).string();
        if (!cv::imwrite(out, pred.mask * 255)) throw std::runtime_error("cannot write " + out);
      }
    } catch (const data::DatasetError& e) {
      log->warn("eval: skipping {}: {}", p.name, e.what());
      r.problems.push_back({p.image_path, e.what()});
    }
    if (progress) progress(static_cast<int>(i + 1), static_cast<int>(pairs.size()), p.name);
  }
  r.dataset = meter.dataset();
  r.per_image = meter.per_image();
  r.images = meter.images();
  r.mean_infer_ms = n ? infer_ms / n : 0;
  r.mean_total_ms = n ? total_ms / n : 0;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string EvalReport::to_table() const {
  std::ostringstream os;
  const auto& bg = dataset.per_class[0];
  const auto& fg = dataset.per_class[1];
  os << "Evaluated " << per_image.images << " images at original resolution";
  if (!checkpoint.empty()) os << " (" << checkpoint << ")";
  os << "\n";
  if (!problems.empty()) os << problems.size() << " image(s) skipped (see log)\n";
  os << "\nPer class, dataset-level (mmseg IoUMetric: areas summed over all images), %\n"
     << "  class         IoU   Dice  Prec.  Recall\n"
     << "  background  " << pct(bg.iou) << " " << pct(bg.dice) << " " << pct(bg.precision) << " " << pct(bg.recall)
     << "\n"
     << "  polyp       " << pct(fg.iou) << " " << pct(fg.dice) << " " << pct(fg.precision) << " " << pct(fg.recall)
     << "\n\n"
     << "Two-class mean (mmseg, dataset-level; the paper's mDice/mIoU convention), %\n"
     << "  mIoU " << pct(dataset.mIoU) << "  mDice " << pct(dataset.mDice) << "  mPrecision " << pct(dataset.mPrecision)
     << "  mRecall " << pct(dataset.mRecall) << "  aAcc " << pct(dataset.aAcc) << "\n\n"
     << "Polyp only (literature convention)\n"
     << "  dataset-level:          Dice " << pct(fg.dice) << "  IoU " << pct(fg.iou) << "\n"
     << "  per-image mean (" << per_image.images << "):   Dice " << pct(per_image.mean_dice) << "  IoU "
     << pct(per_image.mean_iou) << "\n";
  if (per_image.both_empty)
    os << "  (" << per_image.both_empty << " image(s) with empty truth and empty prediction scored as 1)\n";
  char b[96];
  std::snprintf(b, sizeof b, "\nTime: %.1f s, %.1f ms/image (model %.1f ms)\n", seconds, mean_total_ms, mean_infer_ms);
  os << b;
  return os.str();
}

std::string EvalReport::to_json() const {
  QJsonObject o;
  o["data_root"] = QString::fromStdString(data_root);
  o["split"] = QString::fromStdString(split);
  o["checkpoint"] = QString::fromStdString(checkpoint);
  o["resolution"] = "original";
  QJsonArray classes;
  const char* names[] = {"background", "polyp"};
  for (int c = 0; c < kNumClasses; ++c) {
    const auto& s = dataset.per_class[static_cast<size_t>(c)];
    QJsonObject k;
    k["name"] = names[c];
    k["iou"] = num(s.iou);
    k["dice"] = num(s.dice);
    k["precision"] = num(s.precision);
    k["recall"] = num(s.recall);
    k["intersect"] = static_cast<double>(s.intersect);
    k["pred_area"] = static_cast<double>(s.pred_area);
    k["gt_area"] = static_cast<double>(s.gt_area);
    classes.append(k);
  }
  QJsonObject ds;
  ds["convention"] = "mmseg IoUMetric: dataset-level, two-class nan-mean (fractions, not %)";
  ds["classes"] = classes;
  ds["mIoU"] = num(dataset.mIoU);
  ds["mDice"] = num(dataset.mDice);
  ds["mPrecision"] = num(dataset.mPrecision);
  ds["mRecall"] = num(dataset.mRecall);
  ds["mAcc"] = num(dataset.mAcc);
  ds["aAcc"] = num(dataset.aAcc);
  o["dataset_level"] = ds;
  QJsonObject pi;
  pi["convention"] = "polyp class, mean over images; both-empty images score 1";
  pi["images"] = per_image.images;
  pi["both_empty"] = per_image.both_empty;
  pi["mean_dice"] = num(per_image.mean_dice);
  pi["mean_iou"] = num(per_image.mean_iou);
  o["per_image"] = pi;
  QJsonArray imgs;
  for (const auto& s : images) {
    QJsonObject k;
    k["name"] = QString::fromStdString(s.name);
    k["dice"] = num(s.dice);
    k["iou"] = num(s.iou);
    imgs.append(k);
  }
  o["images"] = imgs;
  QJsonArray probs;
  for (const auto& p : problems) probs.append(QString::fromStdString(p.file + ": " + p.reason));
  o["skipped"] = probs;
  o["seconds"] = seconds;
  o["mean_ms_per_image"] = mean_total_ms;
  o["mean_model_ms"] = mean_infer_ms;
  return QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString();
}

}  // namespace pl::core::metrics
