#include "core/metrics/seg_metrics.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace pl::core::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(double num, double den) { return den > 0 ? num / den : kNaN; }

template <typename Get>
double nanmean(const std::array<ClassScores, kNumClasses>& c, Get get) {
  double sum = 0;
  int n = 0;
  for (const auto& s : c) {
    const double v = get(s);
    if (std::isnan(v)) continue;
    sum += v;
    ++n;
  }
  return n ? sum / n : kNaN;
}

}  // namespace

ImageScore score_image(int64_t intersect, int64_t pred_area, int64_t gt_area) {
  ImageScore s;
  s.intersect = intersect;
  s.pred_area = pred_area;
  s.gt_area = gt_area;
  if (pred_area + gt_area == 0) {
    s.dice = s.iou = 1.0;
  } else {
    s.dice = 2.0 * intersect / static_cast<double>(pred_area + gt_area);
    s.iou = intersect / static_cast<double>(pred_area + gt_area - intersect);
  }
  return s;
}

DatasetScores dataset_scores(const std::array<int64_t, kNumClasses>& intersect,
                             const std::array<int64_t, kNumClasses>& pred_area,
                             const std::array<int64_t, kNumClasses>& gt_area) {
  DatasetScores d;
  int64_t sum_i = 0, sum_g = 0;
  for (int c = 0; c < kNumClasses; ++c) {
    auto& s = d.per_class[static_cast<size_t>(c)];
    s.intersect = intersect[static_cast<size_t>(c)];
    s.pred_area = pred_area[static_cast<size_t>(c)];
    s.gt_area = gt_area[static_cast<size_t>(c)];
    const double i = static_cast<double>(s.intersect), p = static_cast<double>(s.pred_area),
                 g = static_cast<double>(s.gt_area);
    s.iou = ratio(i, p + g - i);
    s.dice = ratio(2 * i, p + g);
    s.precision = ratio(i, p);
    s.recall = ratio(i, g);
    sum_i += s.intersect;
    sum_g += s.gt_area;
  }
  d.mIoU = nanmean(d.per_class, [](const ClassScores& s) { return s.iou; });
  d.mDice = nanmean(d.per_class, [](const ClassScores& s) { return s.dice; });
  d.mPrecision = nanmean(d.per_class, [](const ClassScores& s) { return s.precision; });
  d.mRecall = nanmean(d.per_class, [](const ClassScores& s) { return s.recall; });
  d.mAcc = d.mRecall;  // mmseg's per-class accuracy is the recall
  d.aAcc = ratio(static_cast<double>(sum_i), static_cast<double>(sum_g));
  return d;
}

void SegmentationMeter::add(const std::string& name, const uint8_t* pred, const uint8_t* gt, size_t n,
                            int ignore_index) {
  std::array<int64_t, kNumClasses> inter{}, parea{}, garea{};
  for (size_t k = 0; k < n; ++k) {
    const int g = gt[k];
    if (g == ignore_index) continue;
    const int p = pred[k];
    if (g >= kNumClasses || p >= kNumClasses)
      throw std::invalid_argument("metrics: image '" + name + "' has label " + std::to_string(g >= kNumClasses ? g : p) +
                                  " at pixel " + std::to_string(k) + "; expected 0/1 (or the ignore index)");
    ++parea[static_cast<size_t>(p)];
    ++garea[static_cast<size_t>(g)];
    if (p == g) ++inter[static_cast<size_t>(g)];
  }
  for (size_t c = 0; c < kNumClasses; ++c) {
    intersect_[c] += inter[c];
    pred_[c] += parea[c];
    gt_[c] += garea[c];
  }
  ImageScore s = score_image(inter[1], parea[1], garea[1]);
  s.name = name;
  images_.push_back(std::move(s));
}

DatasetScores SegmentationMeter::dataset() const { return dataset_scores(intersect_, pred_, gt_); }

PerImageScores SegmentationMeter::per_image() const {
  PerImageScores p;
  p.images = static_cast<int>(images_.size());
  if (images_.empty()) {
    p.mean_dice = p.mean_iou = kNaN;
    return p;
  }
  for (const auto& s : images_) {
    p.mean_dice += s.dice;
    p.mean_iou += s.iou;
    if (s.pred_area + s.gt_area == 0) ++p.both_empty;
  }
  p.mean_dice /= p.images;
  p.mean_iou /= p.images;
  return p;
}

void SegmentationMeter::reset() {
  intersect_ = {};
  pred_ = {};
  gt_ = {};
  images_.clear();
}

}  // namespace pl::core::metrics
