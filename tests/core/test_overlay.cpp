// Overlay compositor: colours exact to the pixel on synthetic masks.
#include <QtTest>

#include <opencv2/imgproc.hpp>

#include "core/overlay/overlay.h"

using namespace pl::core;

namespace {
cv::Mat flat(cv::Size size, cv::Vec3b colour) { return cv::Mat(size, CV_8UC3, cv::Scalar(colour[0], colour[1], colour[2])); }
cv::Mat square_mask(cv::Size size, cv::Rect r) {
  cv::Mat m = cv::Mat::zeros(size, CV_8UC1);
  m(r).setTo(1);
  return m;
}
}  // namespace

class TestOverlay : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void fill_blends_each_class_colour_data() {
    QTest::addColumn<double>("alpha");
    QTest::addColumn<int>("polypB");
    QTest::addColumn<int>("polypG");
    QTest::addColumn<int>("polypR");
    QTest::addColumn<int>("bgB");
    QTest::addColumn<int>("bgG");
    QTest::addColumn<int>("bgR");
    // Input pixel (B,G,R) = (10,20,30). Hand-computed: round(v*(1-a) + c*a), half away from zero.
    QTest::newRow("alpha 0.25") << 0.25 << 8 << 15 << 86 << 8 << 79 << 23;
    QTest::newRow("alpha 0.5") << 0.5 << 5 << 10 << 143 << 5 << 138 << 15;
    QTest::newRow("alpha 1") << 1.0 << 0 << 0 << 255 << 0 << 255 << 0;
    QTest::newRow("alpha 0") << 0.0 << 10 << 20 << 30 << 10 << 20 << 30;
  }
  void fill_blends_each_class_colour() {
    QFETCH(double, alpha);
    QFETCH(int, polypB);
    QFETCH(int, polypG);
    QFETCH(int, polypR);
    QFETCH(int, bgB);
    QFETCH(int, bgG);
    QFETCH(int, bgR);
    const cv::Mat img = flat({12, 10}, {10, 20, 30});
    const cv::Mat mask = square_mask(img.size(), {3, 2, 4, 5});
    OverlayOptions o;
    o.alpha = alpha;
    const cv::Mat out = compose_overlay(img, mask, o);
    QCOMPARE(out.size(), img.size());
    QCOMPARE(out.type(), CV_8UC3);
    for (int y = 0; y < img.rows; ++y) {
      for (int x = 0; x < img.cols; ++x) {
        const cv::Vec3b p = out.at<cv::Vec3b>(y, x);
        const bool polyp = mask.at<uchar>(y, x) != 0;
        const cv::Vec3b want = polyp ? cv::Vec3b(polypB, polypG, polypR) : cv::Vec3b(bgB, bgG, bgR);
        if (p != want)
          QFAIL(qPrintable(QString("pixel (%1,%2): got %3,%4,%5").arg(x).arg(y).arg(p[0]).arg(p[1]).arg(p[2])));
      }
    }
  }

  void fill_uses_custom_colours_and_any_nonzero_mask_value() {
    const cv::Mat img = flat({4, 4}, {200, 100, 0});
    cv::Mat mask = cv::Mat::zeros(4, 4, CV_8UC1);
    mask.at<uchar>(1, 1) = 255;  // non-zero counts as polyp, not only 1
    OverlayOptions o;
    o.alpha = 0.5;
    o.polyp_bgr = {0, 0, 0};
    o.background_bgr = {255, 255, 255};
    const cv::Mat out = compose_overlay(img, mask, o);
    QCOMPARE(out.at<cv::Vec3b>(1, 1), cv::Vec3b(100, 50, 0));
    QCOMPARE(out.at<cv::Vec3b>(0, 0), cv::Vec3b(228, 178, 128));  // 227.5 -> 228, 177.5 -> 178, 127.5 -> 128
  }

  void outline_draws_only_the_contour() {
    const cv::Mat img = flat({20, 20}, {50, 60, 70});
    const cv::Mat mask = square_mask(img.size(), {5, 5, 10, 10});  // x,y in [5, 14]
    OverlayOptions o;
    o.mode = OverlayMode::Outline;
    o.alpha = 1.0;
    o.outline_thickness = 1;
    const cv::Mat out = compose_overlay(img, mask, o);
    const cv::Vec3b red(0, 0, 255), orig(50, 60, 70);
    int red_count = 0;
    for (int y = 0; y < 20; ++y)
      for (int x = 0; x < 20; ++x) {
        const bool border = (x >= 5 && x <= 14 && y >= 5 && y <= 14) && (x == 5 || x == 14 || y == 5 || y == 14);
        const cv::Vec3b p = out.at<cv::Vec3b>(y, x);
        QCOMPARE(p, border ? red : orig);
        red_count += p == red;
      }
    QCOMPARE(red_count, 36);  // the 10x10 square's perimeter
  }

  void outline_alpha_blends_the_contour() {
    const cv::Mat img = flat({20, 20}, {50, 60, 70});
    OverlayOptions o;
    o.mode = OverlayMode::Outline;
    o.alpha = 0.5;
    o.outline_thickness = 1;
    const cv::Mat out = compose_overlay(img, square_mask(img.size(), {5, 5, 10, 10}), o);
    QCOMPARE(out.at<cv::Vec3b>(5, 10), cv::Vec3b(25, 30, 163));  // 35 + 127.5 = 162.5 -> 163
    QCOMPARE(out.at<cv::Vec3b>(10, 10), cv::Vec3b(50, 60, 70));
  }

  void off_and_empty_mask_return_the_frame() {
    const cv::Mat img = flat({8, 8}, {1, 2, 3});
    OverlayOptions o;
    o.mode = OverlayMode::Off;
    const cv::Mat mask = square_mask(img.size(), {0, 0, 4, 4});
    QCOMPARE(cv::norm(compose_overlay(img, mask, o), img, cv::NORM_INF), 0.0);
    o.mode = OverlayMode::Fill;
    const cv::Mat out = compose_overlay(img, cv::Mat(), o);
    QCOMPARE(cv::norm(out, img, cv::NORM_INF), 0.0);
    QVERIFY(out.data != img.data);  // a copy: the caller may draw on it
  }

  void mask_of_another_size_is_upsampled_bilinearly() {
    const cv::Mat img = flat({8, 8}, {0, 0, 0});
    cv::Mat half = cv::Mat::zeros(4, 4, CV_8UC1);
    half.at<uchar>(0, 0) = 1;  // the top-left 2x2 block at full size, with a soft edge
    OverlayOptions o;
    o.alpha = 1.0;
    const cv::Mat out = compose_overlay(img, half, o);
    QCOMPARE(out.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));  // taps clamped at the edge: m = 1
    // (1,1): s = 1.5 * 0.5 - 0.5 = 0.25 on both axes, m = 0.75 * 0.75 = 0.5625:
    // green 255 * 0.4375 = 111.6 -> 112, red 255 * 0.5625 = 143.4 -> 143.
    QCOMPARE(out.at<cv::Vec3b>(1, 1), cv::Vec3b(0, 112, 143));
    QCOMPARE(out.at<cv::Vec3b>(2, 2), cv::Vec3b(0, 239, 16));  // s = 0.75: m = 0.25 * 0.25 = 0.0625
    QCOMPARE(out.at<cv::Vec3b>(4, 4), cv::Vec3b(0, 255, 0));
    // Outline: m >= 0.5 is polyp, so the 2x2 block is the polyp; thickness 1 outlines the three pixels
    // next to background: (0, 0) touches only the polyp and the frame's (replicated) edge.
    o.mode = OverlayMode::Outline;
    o.outline_thickness = 1;
    const cv::Mat line = compose_overlay(img, half, o);
    QCOMPARE(cv::countNonZero(line.reshape(1) == 255), 3);
    QCOMPARE(line.at<cv::Vec3b>(1, 1), cv::Vec3b(0, 0, 255));
    QCOMPARE(line.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));
  }

  void a_mask_at_the_frame_size_is_the_same_with_either_path() {
    // A full-size mask upsampled from itself gives m in {0, 1}: identical to the fixed-point path.
    cv::Mat img(30, 40, CV_8UC3);
    cv::randu(img, 0, 255);
    const cv::Mat m = square_mask({20, 15}, {3, 4, 9, 6});
    cv::Mat big;
    cv::resize(m, big, img.size(), 0, 0, cv::INTER_NEAREST);
    OverlayOptions o;
    o.alpha = 0.4;
    const cv::Mat a = compose_overlay(img, big, o);
    // Where the upsampled weight is exactly 0 or 1, the low-resolution path gives the same pixels.
    const cv::Mat b = compose_overlay(img, m, o);
    const MaskUpsampler up(img.size(), m.size());
    std::vector<float> w(40);
    int exact = 0;
    for (int y = 0; y < 30; ++y) {
      if (!up.row(m, y, w.data())) std::fill(w.begin(), w.end(), 0.0f);
      for (int x = 0; x < 40; ++x) {
        if (w[static_cast<size_t>(x)] != 0.0f && w[static_cast<size_t>(x)] != 1.0f) continue;
        ++exact;
        QCOMPARE(b.at<cv::Vec3b>(y, x), a.at<cv::Vec3b>(y, x));
      }
    }
    QVERIFY(exact > 900);
  }

  void into_reuses_the_output_buffer() {
    const cv::Mat img = flat({16, 16}, {9, 9, 9});
    const cv::Mat mask = square_mask(img.size(), {2, 2, 3, 3});
    OverlayOptions o;
    cv::Mat out;
    compose_overlay_into(img, mask, o, out);
    const uchar* first = out.data;
    compose_overlay_into(img, mask, o, out);
    QCOMPARE(out.data, first);
    QCOMPARE(cv::norm(out, compose_overlay(img, mask, o), cv::NORM_INF), 0.0);
  }

  void area_percent() {
    QCOMPARE(polyp_area_percent(square_mask({20, 20}, {0, 0, 10, 10})), 25.0);
    QCOMPARE(polyp_area_percent(cv::Mat::zeros(5, 5, CV_8UC1)), 0.0);
    QCOMPARE(polyp_area_percent(cv::Mat()), 0.0);
  }

  void bad_arguments_are_rejected_with_the_value() {
    OverlayOptions o;
    o.alpha = 1.5;
    try {
      o.validate();
      QFAIL("alpha 1.5 accepted");
    } catch (const std::invalid_argument& e) {
      QVERIFY(QString(e.what()).contains("1.5"));
    }
    o.alpha = 0.5;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, compose_overlay(cv::Mat(4, 4, CV_8UC1), cv::Mat(), o));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             compose_overlay(flat({4, 4}, {0, 0, 0}), cv::Mat(4, 4, CV_32F), o));
    QCOMPARE(overlay_mode_from_string("Outline"), OverlayMode::Outline);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, overlay_mode_from_string("blend"));
  }
};

QTEST_GUILESS_MAIN(TestOverlay)
#include "test_overlay.moc"
