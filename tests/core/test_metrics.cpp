// Metrics against hand-computed confusion matrices, including the empty-mask cases.
#include <QtTest/QtTest>

#include <cmath>
#include <vector>

#include "core/metrics/seg_metrics.h"

using namespace pl::core::metrics;

namespace {

void add(SegmentationMeter& m, const char* name, const std::vector<uint8_t>& pred, const std::vector<uint8_t>& gt) {
  m.add(name, pred.data(), gt.data(), gt.size());
}

}  // namespace

class TestMetrics : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  // 10 pixels: gt polyp at 0..3, pred polyp at 2..5, pixel 9 ignored.
  // Polyp: I = 2 (pixels 2,3), P = 4, G = 4 -> IoU 2/6, Dice 4/8.
  // Background (pixels 0..8 minus ignored): gt bg = 4..8 (5 px), pred bg = 0,1,6,7,8 (5 px), I = 6,7,8 = 3
  //   -> IoU 3/7, Dice 6/10.
  void dataset_level_hand_computed() {
    SegmentationMeter m;
    add(m, "a", {0, 0, 1, 1, 1, 1, 0, 0, 0, 1}, {1, 1, 1, 1, 0, 0, 0, 0, 0, 255});
    const auto d = m.dataset();
    QCOMPARE(d.per_class[1].intersect, int64_t(2));
    QCOMPARE(d.per_class[1].pred_area, int64_t(4));
    QCOMPARE(d.per_class[1].gt_area, int64_t(4));
    QCOMPARE(d.per_class[0].intersect, int64_t(3));
    QVERIFY(std::abs(d.per_class[1].iou - 2.0 / 6.0) < 1e-12);
    QVERIFY(std::abs(d.per_class[1].dice - 0.5) < 1e-12);
    QVERIFY(std::abs(d.per_class[0].iou - 3.0 / 7.0) < 1e-12);
    QVERIFY(std::abs(d.per_class[0].dice - 0.6) < 1e-12);
    QVERIFY(std::abs(d.per_class[1].precision - 0.5) < 1e-12);
    QVERIFY(std::abs(d.per_class[0].recall - 3.0 / 5.0) < 1e-12);
    QVERIFY(std::abs(d.mIoU - (2.0 / 6.0 + 3.0 / 7.0) / 2) < 1e-12);
    QVERIFY(std::abs(d.mDice - 0.55) < 1e-12);
    QVERIFY(std::abs(d.aAcc - 5.0 / 9.0) < 1e-12);
    QCOMPARE(d.mAcc, d.mRecall);
  }

  // Dataset-level sums areas across images; per-image averages the ratios: they differ.
  void dataset_vs_per_image() {
    SegmentationMeter m;
    add(m, "big", {1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1});  // perfect: Dice 1
    add(m, "small", {0, 0, 0, 1}, {0, 0, 1, 0});                       // miss: Dice 0
    const auto p = m.per_image();
    QCOMPARE(p.images, 2);
    QVERIFY(std::abs(p.mean_dice - 0.5) < 1e-12);
    QVERIFY(std::abs(p.mean_iou - 0.5) < 1e-12);
    const auto d = m.dataset();  // polyp: I 8, P 9, G 9 -> Dice 16/18
    QVERIFY(std::abs(d.per_class[1].dice - 16.0 / 18.0) < 1e-12);
    QCOMPARE(m.images()[1].name, std::string("small"));
    QCOMPARE(m.images()[1].dice, 0.0);
  }

  void empty_cases() {
    SegmentationMeter m;
    add(m, "both_empty", {0, 0, 0, 0}, {0, 0, 0, 0});
    add(m, "empty_pred", {0, 0, 0, 0}, {1, 1, 0, 0});
    add(m, "empty_gt", {1, 0, 0, 0}, {0, 0, 0, 0});
    const auto& im = m.images();
    QCOMPARE(im[0].dice, 1.0);  // documented convention: correct "no polyp"
    QCOMPARE(im[0].iou, 1.0);
    QCOMPARE(im[1].dice, 0.0);
    QCOMPARE(im[1].iou, 0.0);
    QCOMPARE(im[2].dice, 0.0);
    QCOMPARE(im[2].iou, 0.0);
    const auto p = m.per_image();
    QCOMPARE(p.both_empty, 1);
    QVERIFY(std::abs(p.mean_dice - 1.0 / 3.0) < 1e-12);
  }

  // A class absent from both prediction and truth everywhere is NaN and left out of the means
  // (mmseg's nanmean), not counted as 0 or 1.
  void absent_class_is_nan_and_skipped() {
    SegmentationMeter m;
    add(m, "all_bg", {0, 0, 0}, {0, 0, 0});
    const auto d = m.dataset();
    QVERIFY(std::isnan(d.per_class[1].iou));
    QVERIFY(std::isnan(d.per_class[1].dice));
    QCOMPARE(d.per_class[0].iou, 1.0);
    QCOMPARE(d.mIoU, 1.0);
    QCOMPARE(d.mDice, 1.0);
    QCOMPARE(d.aAcc, 1.0);
  }

  // The paper's numbers: polyp IoU 0.8369 and background 0.9655 give mIoU 90.12 and mDice 94.68.
  void paper_reconciliation() {
    // Build areas with those IoUs: polyp I = 8369, U = 10000 (P = G); background I = 96550, U = 100000.
    const std::array<int64_t, 2> inter{96550, 8369};
    const std::array<int64_t, 2> pred{96550 + 1725, 8369 + 1631 / 2 + 1};
    const std::array<int64_t, 2> gt{96550 + 3450 - 1725, 8369 + 1631 - 1631 / 2 - 1};
    const auto d = dataset_scores(inter, pred, gt);
    QVERIFY(std::abs(d.per_class[1].iou - 0.8369) < 1e-4);
    QVERIFY(std::abs(d.per_class[0].iou - 0.9655) < 1e-4);
    QVERIFY(std::abs(100 * d.mIoU - 90.12) < 0.01);
    QVERIFY(std::abs(100 * d.mDice - 94.68) < 0.01);
  }

  void bad_label_rejected_with_name() {
    SegmentationMeter m;
    const std::vector<uint8_t> pred{0, 1}, gt{0, 7};
    try {
      m.add("weird.png", pred.data(), gt.data(), 2);
      QFAIL("no exception");
    } catch (const std::invalid_argument& e) {
      QVERIFY(std::string(e.what()).find("weird.png") != std::string::npos);
      QVERIFY(std::string(e.what()).find('7') != std::string::npos);
    }
  }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"
