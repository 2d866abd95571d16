// The scope's field of view (core/overlay/fov.h): found on synthetic frames with a dark lumen inside
// the view and text in the border, a full frame, a frame too dark to tell; the tracker; the overlay
// leaves the border untouched; the inference worker clips masks to it; and on real Kvasir-SEG images
// the view never cuts off a ground-truth polyp while leaving out the dark border.
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/overlay/fov.h"
#include "core/overlay/overlay.h"
#include "core/pipeline/inference_worker.h"

namespace fs = std::filesystem;
using namespace pl::core;

namespace {

// A 640x480 frame: dark noisy border (<= 12), a textured lit disc, a near-black lumen in its middle,
// and the tower's white text in the top-left corner.
cv::Mat scope_frame(cv::Point centre = {320, 240}, int radius = 200) {
  cv::Mat f(480, 640, CV_8UC3);
  cv::randu(f, cv::Scalar::all(0), cv::Scalar::all(12));
  cv::Mat disc = cv::Mat::zeros(f.size(), CV_8UC1);
  cv::circle(disc, centre, radius, cv::Scalar(255), cv::FILLED);
  cv::Mat tissue(f.size(), CV_8UC3);
  cv::randu(tissue, cv::Scalar(40, 60, 120), cv::Scalar(90, 120, 230));
  tissue.copyTo(f, disc);
  cv::circle(f, centre, radius / 5, cv::Scalar(4, 4, 4), cv::FILLED);  // the lumen
  cv::putText(f, "ID 0042", {8, 24}, cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(255, 255, 255), 2);
  return f;
}

cv::Mat disc_mask(cv::Point centre = {320, 240}, int radius = 200) {
  cv::Mat m = cv::Mat::zeros(480, 640, CV_8UC1);
  cv::circle(m, centre, radius, cv::Scalar(255), cv::FILLED);
  return m;
}

// The inference worker's first mask for `frame` from `segmenter` (its view found and the mask clipped).
std::optional<MaskResult> first_mask(std::unique_ptr<FrameSegmenter> segmenter, const cv::Mat& frame) {
  std::mutex m;
  std::optional<MaskResult> got;
  InferenceCallbacks cb;
  cb.on_mask = [&](const MaskResult& r) {
    std::lock_guard<std::mutex> lock(m);
    got = r;
  };
  InferenceWorker w(std::move(segmenter), cb);
  w.start();
  Frame f;
  f.bgr = frame;
  f.index = 0;
  f.captured = Clock::now();
  w.submit(f);
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> lock(m);
      if (got) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  w.stop();
  return got;
}

double iou(const cv::Mat& a, const cv::Mat& b) {
  const double i = cv::countNonZero(a & b), u = cv::countNonZero(a | b);
  return u > 0 ? i / u : 1.0;
}

}  // namespace

class TestFov : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void finds_the_disc_with_a_dark_lumen_and_text() {
    const auto v = detect_field_of_view(scope_frame());
    QVERIFY(v.has_value());
    QVERIFY(!v->is_full());
    const double j = iou(v->to_mask(), disc_mask());
    QVERIFY2(j > 0.97, qPrintable(QString("IoU with the lit disc %1").arg(j)));
    QVERIFY(v->to_mask().at<uchar>(240, 320) == 255);  // the lumen is inside the view
    QVERIFY(v->to_mask().at<uchar>(20, 20) == 0);      // the text is not
  }

  void off_centre_and_small_views() {
    const auto v = detect_field_of_view(scope_frame({380, 250}, 160));
    QVERIFY(v && !v->is_full());
    QVERIFY(iou(v->to_mask(), disc_mask({380, 250}, 160)) > 0.95);
  }

  void a_frame_without_border_is_full_and_a_dark_one_says_nothing() {
    cv::Mat lit(480, 640, CV_8UC3);
    cv::randu(lit, cv::Scalar(40, 60, 120), cv::Scalar(90, 120, 230));
    const auto full = detect_field_of_view(lit);
    QVERIFY(full && full->is_full());
    QCOMPARE(full->area_fraction(), 1.0);
    cv::Mat dark(480, 640, CV_8UC3);
    cv::randu(dark, cv::Scalar::all(0), cv::Scalar::all(12));
    QVERIFY(!detect_field_of_view(dark).has_value());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, detect_field_of_view(cv::Mat()));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, detect_field_of_view(cv::Mat::zeros(10, 10, CV_8UC1)));
  }

  // Dark frames keep the last answer; a new size forgets it; the view is re-detected every interval.
  void tracker() {
    FieldOfViewTracker t(3);
    QVERIFY(t.update(cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(2))) == nullptr);
    const auto first = t.update(scope_frame());
    QVERIFY(first && !first->is_full());
    QCOMPARE(t.update(cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(2))).get(), first.get());  // dark: kept
    for (int i = 0; i < 3; ++i) t.update(cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(2)));
    QCOMPARE(t.current().get(), first.get());  // re-detected on a dark frame: still kept
    for (int i = 0; i < 3; ++i) t.update(scope_frame({380, 250}, 160));
    QVERIFY(t.current().get() != first.get());  // the view moved
    QVERIFY(iou(t.current()->to_mask(), disc_mask({380, 250}, 160)) > 0.95);
    QVERIFY(t.update(cv::Mat(240, 320, CV_8UC3, cv::Scalar::all(2))) == nullptr);  // new size: forgotten
  }

  // Outside the view the composite is the frame itself, even where the mask says polyp; inside it
  // is blended as before.
  void overlay_paints_only_inside_the_view() {
    const cv::Mat f = scope_frame();
    const auto v = detect_field_of_view(f);
    QVERIFY(v);
    cv::Mat mask = cv::Mat::zeros(f.size(), CV_8UC1);
    mask(cv::Rect(0, 200, 100, 80)).setTo(1);   // in the border, left of the disc
    mask(cv::Rect(300, 100, 60, 60)).setTo(1);  // inside
    OverlayOptions o;
    const cv::Mat with = compose_overlay(f, mask, o, &*v);
    const cv::Mat without = compose_overlay(f, mask, o);
    const cv::Mat inside = v->to_mask();
    cv::Mat diff;
    cv::absdiff(with, f, diff);
    cv::Mat changed;
    cv::cvtColor(diff, changed, cv::COLOR_BGR2GRAY);
    QCOMPARE(cv::countNonZero(changed & ~inside), 0);
    cv::Mat same_inside;
    cv::absdiff(with, without, diff);
    cv::cvtColor(diff, same_inside, cv::COLOR_BGR2GRAY);
    QCOMPARE(cv::countNonZero(same_inside & inside), 0);  // inside: identical to the plain overlay
    o.mode = OverlayMode::Outline;
    const cv::Mat outline = compose_overlay(f, mask, o, &*v);
    cv::absdiff(outline, f, diff);
    cv::cvtColor(diff, changed, cv::COLOR_BGR2GRAY);
    QCOMPARE(cv::countNonZero(changed & ~inside), 0);
    QVERIFY(cv::countNonZero(changed & inside) > 0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             compose_overlay(cv::Mat::zeros(100, 100, CV_8UC3), mask, o, &*v));
    o.mode = OverlayMode::Fill;
    o.limit_to_view = false;  // the switch: the whole frame again
    QCOMPARE(cv::norm(compose_overlay(f, mask, o, &*v), without, cv::NORM_INF), 0.0);
  }

  // The live pipeline's worker publishes the view with each mask and clips the mask to it.
  void worker_clips_masks_to_the_view() {
    class AllPolyp : public FrameSegmenter {
     public:
      SegmentResult segment(const cv::Mat& bgr) override {
        SegmentResult r;
        r.mask = cv::Mat::ones(bgr.size(), CV_8UC1);
        return r;
      }
      std::string describe() const override { return "all polyp"; }
    };
    const auto got = first_mask(std::make_unique<AllPolyp>(), scope_frame());
    QVERIFY(got);
    QVERIFY(got->view);
    QVERIFY(iou(got->mask != 0, disc_mask()) > 0.97);
    QVERIFY(got->polyp_area_percent < 50.0);  // the disc is ~41 % of the frame, not 100 %
  }

  // A mask at the model's resolution (smaller than the frame) is clipped with the view scaled to it,
  // and the view scales back to any frame size (the display's frame, the model's copy).
  void views_scale_with_masks_at_model_resolution() {
    const cv::Mat f = scope_frame();
    const auto v = detect_field_of_view(f);
    QVERIFY(v);
    const FieldOfView small = v->scaled({160, 120});
    QCOMPARE(small.size(), cv::Size(160, 120));
    cv::Mat disc_small;
    cv::resize(disc_mask(), disc_small, {160, 120}, 0, 0, cv::INTER_AREA);
    QVERIFY(iou(small.to_mask(), disc_small > 127) > 0.95);
    const FieldOfView back = small.scaled(f.size());
    QVERIFY(iou(back.to_mask(), v->to_mask()) > 0.97);
    QVERIFY(FieldOfView::full({10, 10}).scaled({40, 30}).is_full());
    QCOMPARE(v->scaled(f.size()).to_mask().size(), f.size());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, v->scaled({0, 5}));
    // The overlay scales a view of the frame's shape by itself: the composite with the small view is
    // the full-size view's but for the rounding of the edge.
    cv::Mat pm = cv::Mat::zeros(f.size(), CV_8UC1);
    pm(cv::Rect(300, 100, 60, 60)).setTo(1);
    const auto small_ptr = std::make_shared<const FieldOfView>(small);
    cv::Mat d;
    cv::absdiff(compose_overlay(f, pm, {}, small_ptr.get()), compose_overlay(f, pm, {}, &*v), d);
    cv::cvtColor(d, d, cv::COLOR_BGR2GRAY);
    QVERIFY2(cv::countNonZero(d) < 0.02 * f.total(), qPrintable(QString::number(cv::countNonZero(d))));
    QVERIFY(view_for_frame(small_ptr, f.size()));
    QVERIFY(!view_for_frame(small_ptr, {100, 100}));  // another shape: from another stream size

    class SmallMask : public FrameSegmenter {
     public:
      SegmentResult segment(const cv::Mat& bgr) override {
        SegmentResult r;
        r.mask = cv::Mat::ones(bgr.rows / 4, bgr.cols / 4, CV_8UC1);
        return r;
      }
      std::string describe() const override { return "quarter-size mask"; }
    };
    const auto got = first_mask(std::make_unique<SmallMask>(), f);
    QVERIFY(got);
    QCOMPARE(got->mask.size(), cv::Size(160, 120));
    QVERIFY(iou(got->mask != 0, disc_small > 127) > 0.95);
    QVERIFY(got->polyp_area_percent > 35.0 && got->polyp_area_percent < 48.0);
  }

  // Real Kvasir-SEG images (a scope's view with a black border on most): the view keeps every
  // ground-truth polyp pixel, and what it leaves out is dark.
  void real_images_keep_every_polyp() {
    const fs::path root = fs::path(POLYPLENS_TEST_DATA) / "kvasir-seg";
    std::ifstream val(root / "val.txt");
    QVERIFY2(val.good(), "no val.txt under POLYPLENS_DATA/kvasir-seg");
    int n = 0, bordered = 0;
    for (std::string name; std::getline(val, name) && n < 120;) {
      if (name.empty()) continue;
      const cv::Mat img = cv::imread((root / "images" / (name + ".jpg")).string(), cv::IMREAD_COLOR);
      const cv::Mat gt = cv::imread((root / "masks" / (name + ".jpg")).string(), cv::IMREAD_GRAYSCALE);
      QVERIFY2(!img.empty() && !gt.empty(), name.c_str());
      ++n;
      const auto v = detect_field_of_view(img);
      QVERIFY2(v.has_value(), name.c_str());
      if (v->is_full()) continue;
      ++bordered;
      const cv::Mat inside = v->to_mask();
      const cv::Mat polyp = gt > 127;
      // Annotators' outlines sometimes run a few pixels into the black border: only lit polyp pixels
      // count (brighter than the border's JPEG noise), and the rim's blur may cost a few of those
      // (at most 0.1 %, i.e. the odd pixel of the rim).
      std::vector<cv::Mat> ch;
      cv::split(img, ch);
      cv::Mat bright = cv::max(cv::max(ch[0], ch[1]), ch[2]);
      const cv::Mat lit_polyp = polyp & (bright > 40);
      const int lost = cv::countNonZero(lit_polyp & ~inside);
      QVERIFY2(lost <= 0.001 * cv::countNonZero(lit_polyp), qPrintable(QString("%1: %2 of %3 lit polyp pixels outside the view (%4 polyp pixels in all "
                                             "outside)").arg(name.c_str()).arg(lost).arg(cv::countNonZero(lit_polyp))
                                         .arg(cv::countNonZero(polyp & ~inside))));
      cv::Mat gray;
      cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
      const double outside_mean = cv::mean(gray, ~inside)[0];
      QVERIFY2(outside_mean < 40, qPrintable(QString("%1: mean brightness outside the view %2").arg(name.c_str()).arg(outside_mean)));
    }
    qInfo("%d images, %d with a border", n, bordered);
    QCOMPARE(n, 120);
    QVERIFY(bordered >= 30);  // most Kvasir images have the scope's black border
  }
};

QTEST_GUILESS_MAIN(TestFov)
#include "test_fov.moc"
