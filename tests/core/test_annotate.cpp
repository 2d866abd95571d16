// Offline annotation end to end: every frame through a segmenter and the overlay into an MP4 or PNGs,
// checked against golden frames computed independently (the input pictures + the known masks). Also
// the real model path: a tiny random checkpoint through PredictorSegmenter.
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

#include <torch/torch.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/inference/predictor.h"
#include "core/pipeline/cv_predict.h"
#include "core/pipeline/annotate.h"
#include "core/pipeline/predictor_segmenter.h"
#include "core/test_video_clips.h"
#include "support/tiny_model.h"
#include "core/video/gst_frame_source.h"
#include "model/checkpoint.h"
#include "model/segmentor.h"

using namespace pl::core;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The mask a frame gets, from its own picture: a disc whose position depends on the frame index.
cv::Mat golden_mask(int64_t index, cv::Size size) {
  cv::Mat m = cv::Mat::zeros(size, CV_8UC1);
  if (index % 3 != 2)  // every third frame has no polyp
    cv::circle(m, {size.width / 4 + static_cast<int>(index % 5) * size.width / 10, size.height / 2}, size.height / 4,
               cv::Scalar(1), cv::FILLED);
  return m;
}

class IndexSegmenter : public FrameSegmenter {
 public:
  SegmentResult segment(const cv::Mat& bgr) override {
    ++calls;
    if (fail_at >= 0 && calls > fail_at) throw std::runtime_error("model exploded");
    const int64_t i = read_index_pattern(bgr);
    if (i < 0) throw std::runtime_error("frame picture unreadable");
    SegmentResult r;
    r.mask = golden_mask(i, bgr.size());
    r.infer_ms = 1.0;
    return r;
  }
  std::string describe() const override { return "index segmenter"; }
  int calls = 0;
  int fail_at = -1;
};

std::vector<Frame> decode_all(const std::string& path) {
  pl::test::Recorder rec;
  SourceSpec spec = SourceSpec::parse(path);
  spec.playback = Playback::EveryFrame;
  GstFrameSource src(spec);
  src.set_callbacks(rec.callbacks());
  src.open();
  src.start();
  src.wait_for({SourceState::EndOfStream, SourceState::Failed}, 30s);
  src.stop();
  return rec.frames;
}

double psnr(const cv::Mat& a, const cv::Mat& b) { return cv::PSNR(a, b); }

}  // namespace

class TestAnnotate : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string clip_;
  std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    clip_ = path("in30.mp4");
    pl::test::make_pattern_clip(clip_, 30);
  }

  // Golden frames: every output frame equals the input picture composited with its known mask.
  void mp4_output_keeps_every_frame_and_matches_golden_frames() {
    IndexSegmenter seg;
    AnnotateOptions o;
    o.input = clip_;
    o.output = path("out/annotated.mp4");
    o.overlay.alpha = 0.5;
    // The index pattern's dark cells read as a scope's border to the field-of-view detection
    // (test_fov covers that): composite everywhere, as the golden frames do.
    o.overlay.limit_to_view = false;
    std::vector<AnnotateProgress> progress;
    const AnnotateReport r = annotate_video(o, seg, [&](const AnnotateProgress& p) { progress.push_back(p); });
    QCOMPARE(r.frames, int64_t{30});
    QCOMPARE(r.expected_frames, int64_t{30});
    QCOMPARE(seg.calls, 30);
    QCOMPARE(int(progress.size()), 30);
    QCOMPARE(progress.back().done, int64_t{30});
    QCOMPARE(progress.back().total, int64_t{30});
    QVERIFY(progress.front().eta_s >= 0);

    const std::vector<Frame> out = decode_all(o.output);
    QCOMPARE(int(out.size()), 30);
    double worst = 1e9;
    for (int i = 0; i < 30; ++i) {
      const cv::Mat golden = compose_overlay(make_index_pattern(i, {160, 120}), golden_mask(i, {160, 120}), o.overlay);
      const double p = psnr(out[size_t(i)].bgr, golden);
      worst = std::min(worst, p);
      QVERIFY2(p > 30.0, qPrintable(QString("frame %1: PSNR %2 dB against its golden frame").arg(i).arg(p)));
      // The fill overlay keeps the cells readable: the frame is the right one, in order.
      QCOMPARE(read_index_pattern(out[size_t(i)].bgr), int64_t{i});
    }
    qInfo("30/30 frames, worst PSNR against golden %.1f dB, %.0f fps", worst, r.frames / r.seconds);
  }

  // The lossless path: a folder of PNGs in, PNGs named after the inputs out, exact to the pixel.
  void folder_to_pngs_is_exact() {
    const fs::path in = path("frames_in");
    fs::create_directories(in);
    for (int i = 0; i < 8; ++i) cv::imwrite((in / ("img_" + std::to_string(100 + i) + ".png")).string(), make_index_pattern(i, {96, 64}));
    IndexSegmenter seg;
    AnnotateOptions o;
    o.input = in.string();
    o.output = path("frames_out");
    o.overlay.mode = OverlayMode::Outline;
    o.overlay.alpha = 1.0;
    const AnnotateReport r = annotate_video(o, seg);
    QCOMPARE(r.frames, int64_t{8});
    for (int i = 0; i < 8; ++i) {
      const std::string name = "img_" + std::to_string(100 + i) + ".png";
      const cv::Mat got = cv::imread((fs::path(o.output) / name).string(), cv::IMREAD_COLOR);
      QVERIFY2(!got.empty(), name.c_str());
      const cv::Mat golden = compose_overlay(make_index_pattern(i, {96, 64}), golden_mask(i, {96, 64}), o.overlay);
      QCOMPARE(cv::norm(got, golden, cv::NORM_INF), 0.0);
    }
  }

  void video_to_png_frames_are_numbered() {
    IndexSegmenter seg;
    AnnotateOptions o;
    o.input = clip_;
    o.output = path("pngs");
    o.max_frames = 5;
    QCOMPARE(annotate_video(o, seg).frames, int64_t{5});
    for (int i = 0; i < 5; ++i) QVERIFY(fs::exists(fs::path(o.output) / QString("frame_%1.png").arg(i, 6, 10, QChar('0')).toStdString()));
    QVERIFY(!fs::exists(fs::path(o.output) / "frame_000005.png"));
  }

  void errors_are_reported_and_nothing_hangs() {
    IndexSegmenter seg;
    AnnotateOptions o;
    o.input = path("missing.mp4");
    o.output = path("never.mp4");
    try {
      annotate_video(o, seg);
      QFAIL("missing input accepted");
    } catch (const VideoException& e) {
      QCOMPARE(e.error().category, VideoErrorCategory::NotFound);
      QVERIFY(QString(e.what()).contains("missing.mp4"));
    }
    QVERIFY(!fs::exists(o.output));

    o.input = clip_;
    o.output = path("bad.avi");
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, annotate_video(o, seg));
    o.output = path("x.mp4");
    o.overlay.alpha = 2.0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, annotate_video(o, seg));

    // A model that fails mid-way: the error surfaces, the decoder is released (no hang).
    o.overlay.alpha = 0.5;
    IndexSegmenter broken;
    broken.fail_at = 7;
    const auto t0 = Clock::now();
    try {
      annotate_video(o, broken);
      QFAIL("model failure swallowed");
    } catch (const std::runtime_error& e) {
      QVERIFY(QString(e.what()).contains("model exploded"));
    }
    QVERIFY(ms_between(t0, Clock::now()) < 10000);
  }

  void cancel_stops_early() {
    IndexSegmenter seg;
    AnnotateOptions o;
    o.input = clip_;
    o.output = path("cancelled.mp4");
    std::atomic<bool> cancel{false};
    const AnnotateReport r = annotate_video(o, seg, [&](const AnnotateProgress& p) {
      if (p.done == 4) cancel = true;
    }, &cancel);
    QVERIFY(r.cancelled);
    QCOMPARE(r.frames, int64_t{4});
    QCOMPARE(int(decode_all(o.output).size()), 4);  // what was written is a complete, playable file
  }

  // The real model: a tiny random checkpoint through the Predictor. Output PNGs equal the overlay of
  // the Predictor's own masks on the same input images.
  void tiny_checkpoint_through_predictor_segmenter() {
    pl::model::SegmentorOptions so = pl::test::tiny_options(64, 80);
    so.preset = "tiny-annotate-test";
    torch::manual_seed(11);
    pl::model::AnnSegmentor model(so);
    model->eval();
    const std::string ck = path("tiny.pt");
    pl::model::save_checkpoint(ck, model, {});

    inference::PredictorOptions po;
    po.device = "cpu";
    po.threads = 1;
    PredictorSegmenter seg(ck, po);
    QVERIFY(QString::fromStdString(seg.describe()).contains("tiny-annotate-test"));
    QVERIFY(QString::fromStdString(seg.describe()).contains("tiny.pt"));

    const fs::path in = path("model_in");
    fs::create_directories(in);
    std::vector<cv::Mat> inputs;
    for (int i = 0; i < 3; ++i) {
      cv::Mat img(120, 160, CV_8UC3);
      cv::randu(img, 0, 255);
      cv::GaussianBlur(img, img, {9, 9}, 3);
      inputs.push_back(img);
      cv::imwrite((in / ("f" + std::to_string(i) + ".png")).string(), img);
    }
    AnnotateOptions o;
    o.input = in.string();
    o.output = path("model_out");
    QCOMPARE(annotate_video(o, seg).frames, int64_t{3});

    inference::Predictor reference(ck, po);
    for (int i = 0; i < 3; ++i) {
      const cv::Mat mask = cv_predict(reference, inputs[size_t(i)]).mask;
      QCOMPARE(mask.size(), inputs[size_t(i)].size());
      const cv::Mat golden = compose_overlay(inputs[size_t(i)], mask, o.overlay);
      const cv::Mat got = cv::imread((fs::path(o.output) / ("f" + std::to_string(i) + ".png")).string());
      QCOMPARE(cv::norm(got, golden, cv::NORM_INF), 0.0);
    }
  }

  // The live view's masks stay at the model's content size (MaskAt::Content): with the bundled model
  // on a real Kvasir-SEG image at 720p, the mask is the content size, and upsampled the way the
  // overlay and snapshots do it, it is the frame-size mask to within resampling at the edges.
  void live_masks_at_the_models_resolution() {
    const fs::path model = fs::path(POLYPLENS_TEST_SOURCE_DIR) / "resources" / "models" / "default.pt";
    const fs::path root = fs::path(POLYPLENS_TEST_DATA) / "kvasir-seg";
    std::ifstream val(root / "val.txt");
    std::string name;
    QVERIFY(std::getline(val, name));
    cv::Mat img = cv::imread((root / "images" / (name + ".jpg")).string());
    QVERIFY(!img.empty());
    cv::resize(img, img, {1280, 720}, 0, 0, cv::INTER_AREA);
    inference::PredictorOptions po;
    po.threads = 2;
    auto predictor = std::make_shared<inference::Predictor>(model.string(), po);
    int ch = 0, cw = 0;
    predictor->content_size(720, 1280, ch, cw);
    const CvPrediction full = cv_predict(*predictor, img);
    const CvPrediction small = cv_predict(*predictor, img, cv::Size(), false, MaskAt::Content);
    QCOMPARE(full.mask.size(), img.size());
    QCOMPARE(small.mask.size(), cv::Size(cw, ch));
    QVERIFY(cv::countNonZero(full.mask) > 1000);  // the image has a polyp the model finds
    const cv::Mat up = upsample_mask(small.mask, img.size());
    const double agree = 1.0 - cv::countNonZero(up != full.mask) / static_cast<double>(img.total());
    qInfo("content %dx%d; frame-size mask and upsampled content mask agree on %.4f of pixels", cw, ch, agree);
    QVERIFY(agree > 0.99);

    // The segmenter, given the source's scaled copy of the frame, keeps the mask at that size.
    PredictorSegmenter seg(predictor, 2);
    seg.set_mask_at_model_resolution(true);
    cv::Mat scaled;
    cv::resize(img, scaled, {cw, ch}, 0, 0, cv::INTER_AREA);
    const SegmentResult r = seg.segment(scaled, img.size());
    QCOMPARE(r.mask.size(), cv::Size(cw, ch));
    QVERIFY(cv::countNonZero(r.mask != small.mask) < static_cast<int>(0.01 * r.mask.total()));
  }
};

QTEST_GUILESS_MAIN(TestAnnotate)
#include "test_annotate.moc"
