// The Figure 12 layout: geometry of the grid, rows picked small -> large by ground-truth area, per-row
// Dice computed right, panels that show different things; and the whole path with a real (tiny,
// random) checkpoint through the Predictor.
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include "core/data/dataset.h"
#include "core/data/decode.h"
#include "core/export/figure.h"
#include "core/inference/predictor.h"
#include "core/pipeline/cv_predict.h"
#include "model/checkpoint.h"
#include "support/tiny_model.h"

using namespace pl::core::exporting;

namespace {

std::vector<pl::core::data::SamplePair> val_pairs(size_t n) {
  pl::core::data::DatasetOptions d;
  d.root = POLYPLENS_TEST_DATA "/kvasir-seg";
  auto v = pl::core::data::scan_dataset(d).val;
  if (v.size() > n) v.resize(n);
  return v;
}

FigureOptions small_cells(int rows) {
  FigureOptions o;
  o.rows = rows;
  o.cell_width = 80;
  o.cell_height = 64;
  o.label_width = 110;
  o.header_height = 24;
  o.gap = 4;
  return o;
}

cv::Mat mask_of(const std::string& path) {
  const auto m = pl::core::data::decode_mask(path);
  return cv::Mat(m.height, m.width, CV_8U, const_cast<uint8_t*>(m.pixels.data())).clone();
}

cv::Mat bgr_of(const std::string& path) {
  const auto m = pl::core::data::decode_image_rgb(path);
  cv::Mat bgr;
  cv::cvtColor(cv::Mat(m.height, m.width, CV_8UC3, const_cast<uint8_t*>(m.pixels.data())), bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

double diff(const cv::Mat& a, const cv::Mat& b) { return cv::norm(a, b, cv::NORM_L1) / double(a.total()); }

bool is_binary_bw(const cv::Mat& bgr) {
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  return cv::countNonZero((gray > 0) & (gray < 255)) == 0;
}

}  // namespace

class TestFigure : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void layout() {
    const auto l = figure_layout(small_cells(3));
    QCOMPARE(l.size, cv::Size(110 + 4 * (80 + 4), 24 + 3 * 64 + 2 * 4));
    QCOMPARE(int(l.column_titles.size()), 4);
    const cv::Rect all({0, 0}, l.size);
    for (int r = 0; r < 3; ++r) {
      QCOMPARE(l.label(r).y, l.panel(r, 0).y);
      QVERIFY((l.label(r) & l.panel(r, 0)).empty());
      for (int c = 0; c < 4; ++c) {
        QCOMPARE((l.panel(r, c) & all), l.panel(r, c));  // inside the image
        QCOMPARE(l.panel(r, c).x, l.header(c).x);
        QVERIFY(l.panel(r, c).y >= l.header(c).br().y);
        if (c > 0) QVERIFY((l.panel(r, c) & l.panel(r, c - 1)).empty());
        if (r > 0) QVERIFY((l.panel(r, c) & l.panel(r - 1, c)).empty());
      }
    }
    FigureOptions bad = small_cells(0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, figure_layout(bad));
  }

  void pickByArea() {
    const std::vector<double> a{0.5, 0.1, 0.3, 0.2, 0.4, 0.6};
    QCOMPARE(pick_by_area(a, 3), (std::vector<size_t>{3, 4, 5}));
    QCOMPARE(pick_by_area(a, 1), (std::vector<size_t>{4}));  // the median of six: rank 3
    QCOMPARE(pick_by_area(a, 9), (std::vector<size_t>{1, 3, 2, 4, 0, 5}));  // all, smallest first
    QVERIFY(pick_by_area({}, 3).empty());
  }

  // A stand-in model (the truth, dilated) makes Dice known to be high but below 1; the rows run
  // small -> large; each panel shows what its column says.
  void rowsPanelsAndDice() {
    const auto pairs = val_pairs(12);
    QCOMPARE(int(pairs.size()), 12);
    std::map<std::string, cv::Mat> truth;
    for (const auto& p : pairs) truth[p.image_path] = mask_of(p.mask_path);
    int calls = 0;
    auto dilated_truth = [&](const cv::Mat& bgr) {
      ++calls;
      for (const auto& [path, m] : truth)
        if (m.size() == bgr.size() && diff(bgr_of(path), bgr) == 0) {
          cv::Mat d;
          cv::dilate(m, d, cv::getStructuringElement(cv::MORPH_ELLIPSE, {15, 15}));
          return d;
        }
      return cv::Mat(cv::Mat::zeros(bgr.size(), CV_8U));
    };
    const Figure fig = make_figure(pairs, dilated_truth, small_cells(3));
    QCOMPARE(calls, 3);  // only the picked images are predicted
    QCOMPARE(fig.image.size(), fig.layout.size);
    QCOMPARE(fig.image.type(), CV_8UC3);
    QCOMPARE(int(fig.rows.size()), 3);
    QCOMPARE(fig.rows[0].size_class, std::string("small"));
    QCOMPARE(fig.rows[1].size_class, std::string("medium"));
    QCOMPARE(fig.rows[2].size_class, std::string("large"));
    QVERIFY(fig.rows[0].gt_area_percent < fig.rows[1].gt_area_percent);
    QVERIFY(fig.rows[1].gt_area_percent < fig.rows[2].gt_area_percent);
    for (int r = 0; r < 3; ++r) {
      const auto& row = fig.rows[size_t(r)];
      // Dice recomputed independently from the files.
      std::string mask_path;
      for (const auto& p : pairs)
        if (p.name == row.name) mask_path = p.mask_path;
      const cv::Mat gt = mask_of(mask_path);
      cv::Mat pred;
      cv::dilate(gt, pred, cv::getStructuringElement(cv::MORPH_ELLIPSE, {15, 15}));
      const double inter = cv::countNonZero(gt & pred);
      const double dice = 2 * inter / (cv::countNonZero(gt) + cv::countNonZero(pred));
      QVERIFY2(std::abs(row.dice - dice) < 1e-9, qPrintable(QString("%1 vs %2").arg(row.dice).arg(dice)));
      QVERIFY(row.dice > 0.5 && row.dice < 1.0);
      QVERIFY(row.pred_area_percent > row.gt_area_percent);

      const cv::Mat image = fig.image(fig.layout.panel(r, 0)), gtp = fig.image(fig.layout.panel(r, 1)),
                    predp = fig.image(fig.layout.panel(r, 2)), seg = fig.image(fig.layout.panel(r, 3));
      QVERIFY(is_binary_bw(gtp));
      QVERIFY(is_binary_bw(predp));
      QVERIFY(diff(gtp, predp) > 0.5);    // the dilation shows
      QVERIFY(diff(image, seg) > 10);     // the overlay shows
      QVERIFY(diff(image, gtp) > 10);
      // Segmented panel: red where predicted polyp, green elsewhere (the paper's colours).
      cv::Mat pred_small;
      cv::cvtColor(predp, pred_small, cv::COLOR_BGR2GRAY);
      const cv::Scalar in = cv::mean(seg, pred_small > 0), out = cv::mean(seg, pred_small == 0);
      QVERIFY2(in[2] > in[1] && out[1] > out[2], qPrintable(QString("row %1").arg(r)));
      // The label column carries text (dark pixels on white).
      cv::Mat label_gray;
      cv::cvtColor(fig.image(fig.layout.label(r)), label_gray, cv::COLOR_BGR2GRAY);
      QVERIFY(cv::countNonZero(label_gray < 128) > 50);
    }
    cv::Mat header_gray;
    cv::cvtColor(fig.image(fig.layout.header(2)), header_gray, cv::COLOR_BGR2GRAY);
    QVERIFY(cv::countNonZero(header_gray < 128) > 50);

    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, make_figure({}, dilated_truth, small_cells(3)));
  }

  // The real path: a tiny random checkpoint written with model/checkpoint.h, loaded by the Predictor.
  void withTinyCheckpoint() {
    QTemporaryDir dir;
    pl::model::SegmentorOptions o = pl::test::tiny_options(64, 80);
    o.preset = "tiny-figure-test";
    torch::manual_seed(7);
    pl::model::AnnSegmentor model(o);
    model->eval();
    const std::string ck = (dir.path() + "/tiny.pt").toStdString();
    pl::model::save_checkpoint(ck, model, {});

    pl::core::inference::PredictorOptions po;
    po.device = "cpu";
    po.threads = 1;  // a tiny model; OpenMP threads only spin on a loaded CI box
    pl::core::inference::Predictor predictor(ck, po);
    const auto pairs = val_pairs(6);
    QElapsedTimer t;
    t.start();
    const Figure fig = make_figure(pairs, [&](const cv::Mat& bgr) { return pl::core::cv_predict(predictor, bgr).mask; },
                                   small_cells(3));
    qInfo("figure with a tiny checkpoint: %lld ms", static_cast<long long>(t.elapsed()));
    QCOMPARE(fig.image.size(), figure_layout(small_cells(3)).size);
    QCOMPARE(int(fig.rows.size()), 3);
    for (int r = 0; r < 3; ++r) {
      QVERIFY(fig.rows[size_t(r)].dice >= 0 && fig.rows[size_t(r)].dice <= 1);
      QVERIFY(diff(fig.image(fig.layout.panel(r, 0)), fig.image(fig.layout.panel(r, 1))) > 10);
      QVERIFY(diff(fig.image(fig.layout.panel(r, 0)), fig.image(fig.layout.panel(r, 3))) > 10);
    }
    // Different rows show different images.
    QVERIFY(diff(fig.image(fig.layout.panel(0, 0)), fig.image(fig.layout.panel(2, 0))) > 5);
  }
};

QTEST_GUILESS_MAIN(TestFigure)
#include "test_figure.moc"
