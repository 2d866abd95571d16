#include "core/metrics/evaluate.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "model/atomic_file.h"
#include "core/base/json.h"
#include "core/data/decode.h"
#include "core/inference/image8_view.h"
#include "core/inference/predictor.h"
#include "core/log/log.h"

namespace fs = std::filesystem;

namespace pl::core::metrics {
namespace {

using pl::json::Json;
using pl::json::number;

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
      const data::Image8 image = data::decode_image_rgb(p.image_path);
      const data::Image8 gt = data::decode_mask(p.mask_path);
      if (gt.height != image.height || gt.width != image.width)
        throw data::DatasetError(p.mask_path + ": mask is " + std::to_string(gt.width) + "x" +
                                 std::to_string(gt.height) + " but image " + p.image_path + " is " +
                                 std::to_string(image.width) + "x" + std::to_string(image.height));
      const auto pred = predictor.predict(inference::view_of(image));
      meter.add(p.name, pred.mask.data(), gt.pixels.data(), gt.pixels.size());
      infer_ms += pred.timings.infer_ms;
      total_ms += pred.timings.total_ms();
      ++n;
      if (!options.save_masks_dir.empty()) {
        const std::string out = (fs::path(options.save_masks_dir) / (p.name + ".png")).string();
        std::vector<uint8_t> png(pred.mask.size());
        for (size_t k = 0; k < png.size(); ++k) png[k] = pred.mask[k] ? 255 : 0;
        const auto bytes = data::encode_png(png.data(), pred.height, pred.width, 1);
        pl::io::write_file_atomic(out, bytes.data(), bytes.size(), /*replace=*/true);
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
  Json o;
  o["data_root"] = data_root;
  o["split"] = split;
  o["checkpoint"] = checkpoint;
  o["resolution"] = "original";
  Json classes = Json::array();
  const char* names[] = {"background", "polyp"};
  for (int c = 0; c < kNumClasses; ++c) {
    const auto& s = dataset.per_class[static_cast<size_t>(c)];
    classes.push_back({{"name", names[c]},
                       {"iou", number(s.iou)},
                       {"dice", number(s.dice)},
                       {"precision", number(s.precision)},
                       {"recall", number(s.recall)},
                       {"intersect", static_cast<double>(s.intersect)},
                       {"pred_area", static_cast<double>(s.pred_area)},
                       {"gt_area", static_cast<double>(s.gt_area)}});
  }
  o["dataset_level"] = {{"convention", "mmseg IoUMetric: dataset-level, two-class nan-mean (fractions, not %)"},
                        {"classes", classes},
                        {"mIoU", number(dataset.mIoU)},
                        {"mDice", number(dataset.mDice)},
                        {"mPrecision", number(dataset.mPrecision)},
                        {"mRecall", number(dataset.mRecall)},
                        {"mAcc", number(dataset.mAcc)},
                        {"aAcc", number(dataset.aAcc)}};
  o["per_image"] = {{"convention", "polyp class, mean over images; both-empty images score 1"},
                    {"images", per_image.images},
                    {"both_empty", per_image.both_empty},
                    {"mean_dice", number(per_image.mean_dice)},
                    {"mean_iou", number(per_image.mean_iou)}};
  Json imgs = Json::array();
  for (const auto& s : images) imgs.push_back({{"name", s.name}, {"dice", number(s.dice)}, {"iou", number(s.iou)}});
  o["images"] = imgs;
  Json probs = Json::array();
  for (const auto& p : problems) probs.push_back(p.file + ": " + p.reason);
  o["skipped"] = probs;
  o["seconds"] = seconds;
  o["mean_ms_per_image"] = mean_total_ms;
  o["mean_model_ms"] = mean_infer_ms;
  return pl::json::dump(o);
}

}  // namespace pl::core::metrics
