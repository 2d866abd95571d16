#pragma once
// Segmentation metrics in the two conventions the literature mixes up (docs/metrics.md):
//
// (a) mmseg IoUMetric, dataset-level: per-class intersection / predicted / ground-truth areas are
//     summed over the whole test set (label 255 dropped), then IoU, Dice, precision, recall and
//     accuracy (= recall) per class; "mIoU", "mDice", ... are the nan-mean over the two classes
//     (background included) and aAcc = sum(I) / sum(G). This is what reproduces the paper's
//     mDice 94.68 / mIoU 90.12.
// (b) polyp-paper style, per image: Dice and IoU of the polyp class computed per image and
//     averaged. Convention: an image where both prediction and ground truth are empty scores 1
//     (a correct "no polyp"); PraNet's MATLAB code would score it 0. Kvasir has no empty masks.
//
// Values are fractions in [0, 1] (mmseg prints them x100). No torch, no OpenCV.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pl::core::metrics {

constexpr int kNumClasses = 2;  // 0 = background, 1 = polyp

struct ClassScores {
  int64_t intersect = 0, pred_area = 0, gt_area = 0;
  double iou = 0, dice = 0, precision = 0, recall = 0;  // NaN when undefined (0/0)
};

struct DatasetScores {
  std::array<ClassScores, kNumClasses> per_class;
  double mIoU = 0, mDice = 0, mPrecision = 0, mRecall = 0, mAcc = 0, aAcc = 0;
};

struct ImageScore {
  std::string name;
  double dice = 0, iou = 0;  // polyp class
  int64_t intersect = 0, pred_area = 0, gt_area = 0;
};

struct PerImageScores {
  int images = 0;
  int both_empty = 0;  // images scored 1 by the both-empty convention
  double mean_dice = 0, mean_iou = 0;
};

// Polyp Dice / IoU of one image from its areas (both empty -> 1).
ImageScore score_image(int64_t intersect, int64_t pred_area, int64_t gt_area);

// Accumulates predictions image by image. Not thread-safe; one meter per evaluation.
class SegmentationMeter {
 public:
  // pred and gt hold class ids (0/1) for n pixels; gt pixels equal to ignore_index are skipped.
  // Any other value is an error (std::invalid_argument naming the image).
  void add(const std::string& name, const uint8_t* pred, const uint8_t* gt, size_t n, int ignore_index = 255);

  DatasetScores dataset() const;
  PerImageScores per_image() const;
  const std::vector<ImageScore>& images() const { return images_; }
  void reset();

 private:
  std::array<int64_t, kNumClasses> intersect_{}, pred_{}, gt_{};
  std::vector<ImageScore> images_;
};

// Dataset-level scores from accumulated areas (exposed for hand-computed tests).
DatasetScores dataset_scores(const std::array<int64_t, kNumClasses>& intersect,
                             const std::array<int64_t, kNumClasses>& pred_area,
                             const std::array<int64_t, kNumClasses>& gt_area);

}  // namespace pl::core::metrics
