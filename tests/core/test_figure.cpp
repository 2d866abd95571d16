// The Figure 12 layout: geometry of the grid, rows picked small -> large by ground-truth area, per-row
// Dice computed right, panels that show what their column says, the segmented column computed as
// core/overlay's Fill mode, bad options named, the PNG written without replacing a file; and the whole
// path with a real (tiny, random) checkpoint through the Predictor. The figure code is LibTorch only;
// OpenCV here only checks it independently (it is linked to the tests of the headless build too).
#include <cerrno>
#include <cmath>
#include <limits>
#include <map>

#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include "core/data/dataset.h"
#include "core/data/decode.h"
#include "core/inference/image8_view.h"
#include "core/inference/predictor.h"
#include "core/metrics/figure.h"
#include "model/atomic_file.h"
#include "model/checkpoint.h"
#include "support/tiny_model.h"

// core/overlay (OpenCV) is part of the desktop build only; its libraries define POLYPLENS_HAVE_LIVE=1.
#if defined(POLYPLENS_HAVE_LIVE) && POLYPLENS_HAVE_LIVE && __has_include("core/overlay/overlay.h")
#define PL_TEST_WITH_OVERLAY 1
#include "core/overlay/overlay.h"
#else
#define PL_TEST_WITH_OVERLAY 0
#endif

using namespace pl::core::metrics;
using pl::core::data::Image8;

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

// A view of the figure (RGB) or of the part of it in `r`.
cv::Mat view(const Figure& f) {
  return cv::Mat(f.image.height, f.image.width, CV_8UC3, const_cast<uint8_t*>(f.image.pixels.data()));
}
cv::Mat view(const Figure& f, const Rect& r) { return view(f)(cv::Rect(r.x, r.y, r.width, r.height)); }

cv::Mat gray(const cv::Mat& rgb) {
  cv::Mat g;
  cv::cvtColor(rgb, g, cv::COLOR_RGB2GRAY);
  return g;
}

double diff(const cv::Mat& a, const cv::Mat& b) { return cv::norm(a, b, cv::NORM_L1) / double(a.total()); }

// Black and white only, the same in every channel.
bool is_binary_bw(const cv::Mat& rgb) {
  std::vector<cv::Mat> ch;
  cv::split(rgb, ch);
  const cv::Mat g = ch[0];
  return cv::countNonZero((g > 0) & (g < 255)) == 0 && cv::countNonZero(ch[1] != g) == 0 &&
         cv::countNonZero(ch[2] != g) == 0;
}

std::vector<uint8_t> to_vector(const cv::Mat& m01) {
  const cv::Mat c = m01.isContinuous() ? m01 : m01.clone();
  return std::vector<uint8_t>(c.data, c.data + c.total());
}

cv::Mat dilated(const cv::Mat& m) {
  cv::Mat d;
  cv::dilate(m, d, cv::getStructuringElement(cv::MORPH_ELLIPSE, {15, 15}));
  return d;
}

std::string message_of(const FigureOptions& o) {
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

}  // namespace

class TestFigure : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void layout() {
    const auto l = figure_layout(small_cells(3));
    QCOMPARE(l.width, 110 + 4 * (80 + 4));
    QCOMPARE(l.height, 24 + 3 * 64 + 2 * 4);
    QCOMPARE(int(l.column_titles.size()), 4);
    const Rect all{0, 0, l.width, l.height};
    for (int r = 0; r < 3; ++r) {
      QCOMPARE(l.label(r).y, l.panel(r, 0).y);
      QVERIFY(intersection(l.label(r), l.panel(r, 0)).empty());
      for (int c = 0; c < 4; ++c) {
        QVERIFY(intersection(l.panel(r, c), all) == l.panel(r, c));  // inside the image
        QCOMPARE(l.panel(r, c).width, 80);
        QCOMPARE(l.panel(r, c).height, 64);
        QCOMPARE(l.panel(r, c).x, l.header(c).x);
        QVERIFY(l.panel(r, c).y >= l.header(c).bottom());
        if (c > 0) QVERIFY(intersection(l.panel(r, c), l.panel(r, c - 1)).empty());
        if (r > 0) QVERIFY(intersection(l.panel(r, c), l.panel(r - 1, c)).empty());
      }
    }
    QVERIFY(intersection(Rect{0, 0, 10, 10}, Rect{5, 5, 10, 10}) == (Rect{5, 5, 5, 5}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, figure_layout(small_cells(0)));
  }

  // Each bad option is refused with its name in the message.
  void badOptionsNamed() {
    const std::vector<std::pair<std::function<void(FigureOptions&)>, std::string>> cases{
        {[](FigureOptions& o) { o.rows = 0; }, "rows"},
        {[](FigureOptions& o) { o.rows = 51; }, "rows"},
        {[](FigureOptions& o) { o.cell_width = 8; }, "cell"},
        {[](FigureOptions& o) { o.cell_height = 100000; }, "cell"},
        {[](FigureOptions& o) { o.label_width = -1; }, "label_width"},
        {[](FigureOptions& o) { o.header_height = -1; }, "header_height"},
        {[](FigureOptions& o) { o.gap = -2; }, "gap"},
        {[](FigureOptions& o) { o.alpha = 1.5; }, "alpha"},
        {[](FigureOptions& o) { o.alpha = std::numeric_limits<double>::quiet_NaN(); }, "alpha"},
    };
    QVERIFY(message_of(FigureOptions{}).empty());
    for (const auto& [mutate, name] : cases) {
      FigureOptions o;
      mutate(o);
      const std::string m = message_of(o);
      QVERIFY2(m.find(name) != std::string::npos, ("'" + m + "' does not name " + name).c_str());
    }
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
    std::map<std::string, cv::Mat> truth;       // image pixels -> the dilated truth
    for (const auto& p : pairs) {
      const Image8 img = pl::core::data::decode_image_rgb(p.image_path);
      truth[std::string(img.pixels.begin(), img.pixels.end())] = dilated(mask_of(p.mask_path));
    }
    int calls = 0;
    auto dilated_truth = [&](const Image8& rgb) {
      ++calls;
      const auto it = truth.find(std::string(rgb.pixels.begin(), rgb.pixels.end()));
      if (it != truth.end() && it->second.rows == rgb.height && it->second.cols == rgb.width)
        return to_vector(it->second);
      return std::vector<uint8_t>(size_t(rgb.height) * size_t(rgb.width), 0);
    };
    const Figure fig = make_figure(pairs, dilated_truth, small_cells(3));
    QCOMPARE(calls, 3);  // only the picked images are predicted
    QCOMPARE(fig.image.width, fig.layout.width);
    QCOMPARE(fig.image.height, fig.layout.height);
    QCOMPARE(fig.image.channels, 3);
    QCOMPARE(fig.image.pixels.size(), size_t(fig.image.width) * size_t(fig.image.height) * 3);
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
      const cv::Mat pred = dilated(gt);
      const double inter = cv::countNonZero(gt & pred);
      const double dice = 2 * inter / (cv::countNonZero(gt) + cv::countNonZero(pred));
      QVERIFY2(std::abs(row.dice - dice) < 1e-9, qPrintable(QString("%1 vs %2").arg(row.dice).arg(dice)));
      QVERIFY(row.dice > 0.5 && row.dice < 1.0);
      QVERIFY(std::abs(row.gt_area_percent - 100.0 * cv::countNonZero(gt) / double(gt.total())) < 1e-9);
      QVERIFY(std::abs(row.pred_area_percent - 100.0 * cv::countNonZero(pred) / double(pred.total())) < 1e-9);
      QVERIFY(row.pred_area_percent > row.gt_area_percent);

      const cv::Mat image = view(fig, fig.layout.panel(r, 0)), gtp = view(fig, fig.layout.panel(r, 1)),
                    predp = view(fig, fig.layout.panel(r, 2)), seg = view(fig, fig.layout.panel(r, 3));
      QVERIFY(is_binary_bw(gtp));
      QVERIFY(is_binary_bw(predp));
      QVERIFY(diff(gtp, predp) > 0.5);  // the dilation shows
      QVERIFY(diff(image, seg) > 10);   // the overlay shows
      QVERIFY(diff(image, gtp) > 10);
      // The truth panel is the truth, shrunk: its polyp share matches the file's within a few percent.
      const double shown = 100.0 * cv::countNonZero(gray(gtp)) / double(gtp.total());
      QVERIFY2(std::abs(shown - row.gt_area_percent) < 0.1 * row.gt_area_percent + 0.5,
               qPrintable(QString("row %1: %2% shown, %3% in the file").arg(r).arg(shown).arg(row.gt_area_percent)));
      // Segmented panel: red where predicted polyp, green elsewhere (the paper's colours; RGB).
      const cv::Mat polyp = gray(predp) > 0;
      const cv::Scalar in = cv::mean(seg, polyp), out = cv::mean(seg, ~polyp);
      QVERIFY2(in[0] > in[1] && out[1] > out[0], qPrintable(QString("row %1").arg(r)));
      // ... and exactly the Fill blend of the image panel: (v * 128 + colour * 128 + 128) >> 8 at alpha 0.5.
      cv::Mat expected(seg.size(), CV_8UC3);
      for (int y = 0; y < seg.rows; ++y)
        for (int x = 0; x < seg.cols; ++x) {
          const cv::Vec3b colour = polyp.at<uint8_t>(y, x) ? cv::Vec3b(255, 0, 0) : cv::Vec3b(0, 255, 0);
          for (int c = 0; c < 3; ++c)
            expected.at<cv::Vec3b>(y, x)[c] = uint8_t((image.at<cv::Vec3b>(y, x)[c] * 128 + colour[c] * 128 + 128) >> 8);
        }
      QCOMPARE(cv::norm(seg, expected, cv::NORM_INF), 0.0);
#if PL_TEST_WITH_OVERLAY
      // The same as the live overlay (core/overlay, OpenCV, BGR) on the same resized inputs.
      cv::Mat bgr, overlay_rgb;
      cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
      cv::cvtColor(pl::core::compose_overlay(bgr, polyp, pl::core::OverlayOptions{}), overlay_rgb, cv::COLOR_BGR2RGB);
      QVERIFY2(cv::norm(seg, overlay_rgb, cv::NORM_INF) <= 1, qPrintable(QString("row %1").arg(r)));
#endif
      // The label column carries text (dark pixels on white).
      QVERIFY(cv::countNonZero(gray(view(fig, fig.layout.label(r))) < 128) > 50);
    }
    QVERIFY(cv::countNonZero(gray(view(fig, fig.layout.header(2))) < 128) > 50);
    // Between the panels: white.
    const Rect gap{fig.layout.panel(0, 1).x - 4, fig.layout.panel(0, 1).y, 4, fig.layout.panel(0, 1).height};
    QCOMPARE(cv::countNonZero(gray(view(fig, gap)) != 255), 0);

    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, make_figure({}, dilated_truth, small_cells(3)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, make_figure(pairs, PredictFn{}, small_cells(3)));
    // A prediction of the wrong size is an error naming the image.
    try {
      make_figure(pairs, [](const Image8&) { return std::vector<uint8_t>(7, 1); }, small_cells(1));
      QFAIL("a 7-pixel prediction was accepted");
    } catch (const std::runtime_error& e) {
      QVERIFY2(std::string(e.what()).find("prediction for '") != std::string::npos, e.what());
    }
  }

  // Another alpha blends by it; with the Fill colours of core/overlay when it is there.
  void alphaBlend() {
    const auto pairs = val_pairs(3);
    FigureOptions o = small_cells(1);
    o.alpha = 0.3;
    const Figure fig = make_figure(
        pairs, [](const Image8& rgb) { return std::vector<uint8_t>(size_t(rgb.height) * size_t(rgb.width), 0); }, o);
    const cv::Mat image = view(fig, fig.layout.panel(0, 0)), seg = view(fig, fig.layout.panel(0, 3));
    const int a = int(std::lround(0.3 * 256));  // 77
    cv::Mat expected(seg.size(), CV_8UC3);
    for (int y = 0; y < seg.rows; ++y)
      for (int x = 0; x < seg.cols; ++x)
        for (int c = 0; c < 3; ++c)
          expected.at<cv::Vec3b>(y, x)[c] =
              uint8_t((image.at<cv::Vec3b>(y, x)[c] * (256 - a) + (c == 1 ? 255 : 0) * a + 128) >> 8);
    QCOMPARE(cv::norm(seg, expected, cv::NORM_INF), 0.0);
    QCOMPARE(fig.rows[0].dice, 0.0);  // nothing predicted, a polyp in the truth
#if PL_TEST_WITH_OVERLAY
    cv::Mat bgr, overlay_rgb;
    cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
    pl::core::OverlayOptions oo;
    oo.alpha = 0.3;
    cv::cvtColor(pl::core::compose_overlay(bgr, cv::Mat::zeros(bgr.size(), CV_8U), oo), overlay_rgb,
                 cv::COLOR_BGR2RGB);
    QVERIFY(cv::norm(seg, overlay_rgb, cv::NORM_INF) <= 1);
#endif
  }

  // What `polyplens figure` does with it: PNG bytes written atomically, never over an existing file.
  void writesPngWithoutReplacing() {
    QTemporaryDir dir;
    const auto pairs = val_pairs(3);
    const Figure fig = make_figure(
        pairs, [](const Image8& rgb) { return std::vector<uint8_t>(size_t(rgb.height) * size_t(rgb.width), 1); },
        small_cells(1));
    const std::string path = (dir.path() + "/fig.png").toStdString();
    const auto png = pl::core::data::encode_png(fig.image.pixels.data(), fig.image.height, fig.image.width, 3);
    pl::io::write_file_atomic(path, png.data(), png.size(), false);
    const Image8 back = pl::core::data::decode_image_rgb(path);
    QCOMPARE(back.width, fig.image.width);
    QCOMPARE(back.height, fig.image.height);
    QVERIFY(back.pixels == fig.image.pixels);

    const std::string other = "not a png";
    try {
      pl::io::write_file_atomic(path, other.data(), other.size(), false);
      QFAIL("an existing figure was overwritten");
    } catch (const pl::io::AtomicWriteError& e) {
      QCOMPARE(e.error(), EEXIST);
      QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
    }
    QVERIFY(pl::core::data::decode_image_rgb(path).pixels == fig.image.pixels);  // untouched
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
    const auto predict = [&](const Image8& rgb) { return predictor.predict(pl::core::inference::view_of(rgb)).mask; };
    const Figure fig = make_figure(pairs, predict, small_cells(3));
    qInfo("figure with a tiny checkpoint: %lld ms", static_cast<long long>(t.elapsed()));
    QCOMPARE(fig.image.width, figure_layout(small_cells(3)).width);
    QCOMPARE(fig.image.height, figure_layout(small_cells(3)).height);
    QCOMPARE(int(fig.rows.size()), 3);
    for (int r = 0; r < 3; ++r) {
      QVERIFY(fig.rows[size_t(r)].dice >= 0 && fig.rows[size_t(r)].dice <= 1);
      QVERIFY(diff(view(fig, fig.layout.panel(r, 0)), view(fig, fig.layout.panel(r, 1))) > 10);
      QVERIFY(diff(view(fig, fig.layout.panel(r, 0)), view(fig, fig.layout.panel(r, 3))) > 10);
      QVERIFY(is_binary_bw(view(fig, fig.layout.panel(r, 2))));
    }
    // Different rows show different images.
    QVERIFY(diff(view(fig, fig.layout.panel(0, 0)), view(fig, fig.layout.panel(2, 0))) > 5);
  }
};

QTEST_GUILESS_MAIN(TestFigure)
#include "test_figure.moc"
