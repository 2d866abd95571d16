// The predictor: output size equals the frame size (odd sizes, both letterbox directions), masks
// are class ids consistent with the probability, a checkpoint round trip predicts the same mask,
// and evaluate() scores it at original resolution.
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>

#include "core/data/dataset.h"
#include "core/inference/predictor.h"
#include "core/metrics/evaluate.h"
#include "model/checkpoint.h"
#include "model/segmentor.h"
#include "support/tiny_model.h"

namespace fs = std::filesystem;
using namespace pl::core;

namespace {

pl::model::AnnSegmentor tiny_model() {
  const auto o = pl::test::tiny_options(64, 96);
  torch::manual_seed(3);
  pl::model::AnnSegmentor m(o);
  // Make the classifier's output depend visibly on the input, so masks are not all one class.
  torch::NoGradGuard g;
  for (auto& p : m->parameters()) p.normal_(0, 0.2);
  return m;
}

cv::Mat noise_frame(int h, int w, int seed) {
  cv::Mat f(h, w, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(f, cv::RNG::UNIFORM, 0, 255);
  return f;
}

// The predictor's OpenCV-free API, seen through cv::Mat for the checks below.
struct Out {
  cv::Mat mask, prob;
  inference::PredictTimings timings;
};

Out run(inference::Predictor& p, const cv::Mat& f, bool with_prob = false) {
  inference::ImageView v;
  v.data = f.data;
  v.height = f.rows;
  v.width = f.cols;
  v.channels = f.channels();
  v.row_bytes = f.empty() ? 0 : f.step[0];
  auto r = p.predict(v, with_prob);
  Out o;
  o.mask = cv::Mat(r.height, r.width, CV_8U, r.mask.data()).clone();
  if (with_prob) o.prob = cv::Mat(r.height, r.width, CV_32F, r.prob.data()).clone();
  o.timings = r.timings;
  return o;
}

}  // namespace

class TestPredictor : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { at::set_num_threads(2); }

  void mask_matches_frame_size() {
    auto m = tiny_model();
    inference::PredictorOptions po;
    po.device = "cpu";
    inference::Predictor p(m.ptr(), po);
    QCOMPARE(p.info().input_h, 64);
    QCOMPARE(p.info().input_w, 96);
    for (auto [h, w] : {std::pair{37, 53}, {333, 487}, {64, 96}, {101, 31}, {1, 7}}) {
      const auto r = run(p, noise_frame(h, w, h * w), /*with_prob=*/true);
      QCOMPARE(r.mask.rows, h);
      QCOMPARE(r.mask.cols, w);
      QCOMPARE(r.mask.type(), CV_8U);
      QCOMPARE(r.prob.type(), CV_32F);
      QCOMPARE(r.prob.size(), r.mask.size());
      double lo = 0, hi = 0;
      cv::minMaxLoc(r.mask, &lo, &hi);
      QVERIFY(lo >= 0 && hi <= 1);
      // mask = prob > 0.5 (the two-class argmax)
      cv::Mat from_prob = (r.prob > 0.5f) / 255;
      QCOMPARE(cv::countNonZero(from_prob != r.mask), 0);
      QVERIFY(r.timings.infer_ms > 0);
    }
    // Grey and BGRA frames are accepted; an empty one is refused.
    QCOMPARE(run(p, cv::Mat(20, 30, CV_8UC1, cv::Scalar(9))).mask.size(), cv::Size(30, 20));
    QCOMPARE(run(p, cv::Mat(20, 30, CV_8UC4, cv::Scalar(1, 2, 3, 4))).mask.size(), cv::Size(30, 20));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run(p, cv::Mat()));
  }

  // Predictions vary with the image (not a constant mask) and are deterministic.
  void deterministic_and_input_dependent() {
    auto m = tiny_model();
    inference::Predictor p(m.ptr());
    const auto f = noise_frame(120, 160, 1);
    const auto a = run(p, f, true), b = run(p, f, true);
    QCOMPARE(cv::norm(a.prob, b.prob, cv::NORM_INF), 0.0);
    const auto c = run(p, noise_frame(120, 160, 2), true);
    QVERIFY(cv::norm(a.prob, c.prob, cv::NORM_INF) > 1e-4);
  }

  void checkpoint_round_trip() {
    QTemporaryDir dir;
    auto m = tiny_model();
    const std::string path = dir.filePath("tiny.pt").toStdString();
    pl::model::save_checkpoint(path, m, pl::model::CheckpointMeta{});
    inference::Predictor from_model(m.ptr());
    inference::PredictorOptions fp32;
    fp32.dtype = "fp32";
    inference::Predictor from_file(path, fp32);
    QCOMPARE(from_file.info().preset, std::string("tiny-test"));
    QCOMPARE(from_file.info().checkpoint, path);
    QCOMPARE(from_file.info().dtype, std::string("fp32"));
    QVERIFY(!from_file.info().content_hash.empty());
    const auto f = noise_frame(77, 99, 5);
    const auto a = run(from_model, f, true), b = run(from_file, f, true);
    // The file's model has its BatchNorm folded into the convs: equal up to float rounding.
    QVERIFY2(cv::norm(a.prob, b.prob, cv::NORM_INF) < 1e-4, qPrintable(QString::number(cv::norm(a.prob, b.prob, cv::NORM_INF))));
    QVERIFY(cv::countNonZero(a.mask != b.mask) <= 2);
    // The default (bf16 where the CPU has it) stays close: same mask on nearly every pixel.
    inference::Predictor fast(path);
    const auto c = run(fast, f, true);
    QVERIFY2(cv::norm(a.prob, c.prob, cv::NORM_INF) < 0.1, qPrintable(QString::number(cv::norm(a.prob, c.prob, cv::NORM_INF))));
    QVERIFY(cv::countNonZero(a.mask != c.mask) <= int(f.total() / 50));
    inference::PredictorOptions bad;
    bad.dtype = "fp8";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, inference::Predictor(path, bad));
    QVERIFY_THROWS_EXCEPTION(std::exception, inference::Predictor(dir.filePath("missing.pt").toStdString()));
  }

  // evaluate() at original resolution on 3 real images, writing masks named like the images.
  void evaluate_real_images() {
    QTemporaryDir dir;
    data::DatasetOptions d;
    d.root = (fs::path(POLYPLENS_TEST_DATA) / "kvasir-seg").string();
    d.max_images = 4;
    auto idx = data::scan_dataset(d);
    std::vector<data::SamplePair> pairs(idx.train.begin(), idx.train.begin() + 3);
    auto m = tiny_model();
    inference::Predictor p(m.ptr());
    metrics::EvalOptions eo;
    eo.save_masks_dir = dir.filePath("masks").toStdString();
    int calls = 0;
    const auto rep = metrics::evaluate(p, pairs, eo, [&](int, int total, const std::string&) {
      ++calls;
      QCOMPARE(total, 3);
    });
    QCOMPARE(calls, 3);
    QCOMPARE(rep.per_image.images, 3);
    const auto& bg = rep.dataset.per_class[0];
    const auto& fg = rep.dataset.per_class[1];
    // Areas are counted at the original resolution: they add up to the images' pixel counts.
    int64_t pixels = 0;
    for (const auto& pr : pairs) {
      const cv::Mat img = cv::imread(pr.image_path);
      pixels += int64_t(img.total());
      const cv::Mat mask = cv::imread((fs::path(eo.save_masks_dir) / (pr.name + ".png")).string(), cv::IMREAD_UNCHANGED);
      QCOMPARE(mask.size(), img.size());
      double lo = 0, hi = 0;
      cv::minMaxLoc(mask, &lo, &hi);
      QVERIFY(hi == 0 || hi == 255);
    }
    QCOMPARE(bg.gt_area + fg.gt_area, pixels);
    QCOMPARE(bg.pred_area + fg.pred_area, pixels);
    const auto table = rep.to_table();
    QVERIFY(table.find("two-class mean") != std::string::npos || table.find("Two-class mean") != std::string::npos);
    QVERIFY(table.find("Polyp only") != std::string::npos);
    QVERIFY(rep.to_json().find("\"per_image\"") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestPredictor)
#include "test_predictor.moc"
