// The view's GPU composite (ui/gl_compositor.h) against the CPU composite (core/overlay): on fixed
// frames (real Kvasir-SEG images, with their ground-truth masks at the model's resolution and at the
// frame's, the scope's field of view on and off), fill and outline at several alphas, colours and
// thicknesses, the frame read back at its own size agrees with compose_overlay() within one grey
// level per channel. Runs under Xvfb with Mesa's software OpenGL (tests/CMakeLists.txt), so it
// checks the shader's arithmetic, not a particular GPU.
#include <QApplication>
#include <QtTest>

#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/overlay/fov.h"
#include "core/overlay/overlay.h"
#include "ui/gl_compositor.h"
#include "ui/video_view.h"

namespace fs = std::filesystem;
using namespace pl;

namespace {

struct Fixture {
  cv::Mat frame, mask_full;
};

// The first `n` validation images at `size` (their aspect kept by cropping), with their masks.
std::vector<Fixture> fixtures(int n, cv::Size size) {
  const fs::path root = fs::path(POLYPLENS_TEST_DATA) / "kvasir-seg";
  std::ifstream val(root / "val.txt");
  std::vector<Fixture> out;
  std::string name;
  while (static_cast<int>(out.size()) < n && std::getline(val, name)) {
    cv::Mat img = cv::imread((root / "images" / (name + ".jpg")).string(), cv::IMREAD_COLOR);
    cv::Mat m = cv::imread((root / "masks" / (name + ".jpg")).string(), cv::IMREAD_GRAYSCALE);
    if (img.empty() || m.empty()) continue;
    Fixture f;
    cv::resize(img, f.frame, size, 0, 0, cv::INTER_AREA);
    cv::resize(m, f.mask_full, size, 0, 0, cv::INTER_NEAREST);
    f.mask_full = f.mask_full > 127;
    out.push_back(f);
  }
  return out;
}

// Largest absolute difference over all channels, and how many channel values differ at all.
std::pair<double, int> compare(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  double mx = 0;
  cv::minMaxLoc(d.reshape(1), nullptr, &mx);
  return {mx, cv::countNonZero(d.reshape(1))};
}

}  // namespace

class TestGlCompositor : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    QString why;
    QVERIFY2(ui::gpu_compositing_available(&why), qPrintable("no GPU compositing: " + why));
    qInfo("renderer: %s", qPrintable(why));
    QVERIFY(ui::is_software_renderer(QStringLiteral("llvmpipe (LLVM 15.0.6, 256 bits)")));
    QVERIFY(!ui::is_software_renderer(QStringLiteral("NVIDIA H200/PCIe/SSE2")));
  }

  void agrees_with_the_cpu_composite_data() {
    QTest::addColumn<QString>("mode");
    QTest::addColumn<double>("alpha");
    QTest::addColumn<int>("thickness");
    QTest::addColumn<bool>("low_res");   // the mask at the model's content size instead of the frame's
    QTest::addColumn<bool>("view");      // limit to the field of view
    QTest::addColumn<bool>("custom");    // other colours
    QTest::newRow("fill 0.5, model-size mask") << "fill" << 0.5 << 2 << true << false << false;
    QTest::newRow("fill 0.5, model-size mask, view") << "fill" << 0.5 << 2 << true << true << false;
    QTest::newRow("fill 0.3, frame-size mask, view") << "fill" << 0.3 << 2 << false << true << false;
    QTest::newRow("fill 0.8, custom colours") << "fill" << 0.8 << 2 << true << false << true;
    QTest::newRow("outline 2, model-size mask") << "outline" << 0.5 << 2 << true << false << false;
    QTest::newRow("outline 1, frame-size mask, view") << "outline" << 1.0 << 1 << false << true << false;
    QTest::newRow("outline 3, model-size mask, view") << "outline" << 0.7 << 3 << true << true << true;
    QTest::newRow("off") << "off" << 0.5 << 2 << true << false << false;
  }
  void agrees_with_the_cpu_composite() {
    QFETCH(QString, mode);
    QFETCH(double, alpha);
    QFETCH(int, thickness);
    QFETCH(bool, low_res);
    QFETCH(bool, view);
    QFETCH(bool, custom);
    ui::OffscreenCompositor gl;
    QVERIFY2(gl.ok(), qPrintable(gl.error()));
    core::OverlayOptions o;
    o.mode = core::overlay_mode_from_string(mode.toStdString());
    o.alpha = alpha;
    o.outline_thickness = thickness;
    if (custom) {
      o.polyp_bgr = {255, 64, 10};
      o.background_bgr = {30, 30, 200};
    }
    gl.compositor().set_options(o);
    // 1280x720 with the 320x180 content a 256x320 model input gives it (the live preset's geometry),
    // and a frame-size mask for the path without a model branch.
    const auto fx = fixtures(3, {1280, 720});
    QCOMPARE(static_cast<int>(fx.size()), 3);
    int compared = 0, polyp_pixels = 0;
    for (const auto& f : fx) {
      cv::Mat mask = f.mask_full;
      if (low_res) cv::resize(f.mask_full, mask, {320, 180}, 0, 0, cv::INTER_AREA);
      mask = (mask > 127) / 255;
      std::shared_ptr<const core::FieldOfView> fov;
      if (view) {
        auto v = core::detect_field_of_view(f.frame);
        if (v) fov = std::make_shared<const core::FieldOfView>(*v);
      }
      const cv::Mat cpu = core::compose_overlay(f.frame, mask, o, fov.get());
      gl.compositor().set_frame(f.frame);
      gl.compositor().set_mask(mask, fov);
      const cv::Mat gpu = gl.compositor().render();
      QCOMPARE(gpu.size(), cpu.size());
      const auto [max_diff, differing] = compare(gpu, cpu);
      qInfo("%s: max difference %.0f grey level(s), %d of %d channel values differ", qPrintable(mode), max_diff,
            differing, static_cast<int>(cpu.total() * 3));
      QVERIFY2(max_diff <= 1.0, qPrintable(QString("max difference %1").arg(max_diff)));
      ++compared;
      polyp_pixels += cv::countNonZero(mask);
      // The composite really is one: it differs from the plain frame unless the overlay is off.
      const auto [vs_frame, n] = compare(gpu, f.frame);
      if (mode == "off") QCOMPARE(vs_frame, 0.0);
      else QVERIFY(n > 1000);
    }
    QCOMPARE(compared, 3);
    QVERIFY(polyp_pixels > 0);
  }

  // A 4K frame with the live preset's 256x455 mask: the size the GPU path exists for.
  void a_4k_frame_with_a_model_size_mask() {
    ui::OffscreenCompositor gl;
    QVERIFY2(gl.ok(), qPrintable(gl.error()));
    const auto fx = fixtures(1, {3840, 2160});
    QCOMPARE(static_cast<int>(fx.size()), 1);
    cv::Mat mask;
    cv::resize(fx[0].mask_full, mask, {455, 256}, 0, 0, cv::INTER_AREA);
    mask = (mask > 127) / 255;
    core::OverlayOptions o;
    gl.compositor().set_options(o);
    gl.compositor().set_frame(fx[0].frame);
    gl.compositor().set_mask(mask, nullptr);
    const auto [max_diff, differing] = compare(gl.compositor().render(), core::compose_overlay(fx[0].frame, mask, o));
    qInfo("4K fill: max difference %.0f, %d channel values differ", max_diff, differing);
    QVERIFY(max_diff <= 1.0);
  }

  // The widget: with GPU compositing, VideoView draws the frame and the overlay itself, and its
  // picture (grabbed from the screen) shows the overlay where the mask is.
  void the_view_composites_on_the_gpu() {
    ui::VideoView v;
    v.resize(640, 400);
    v.set_hud_visible(false);
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    QVERIFY(v.gpu_compositing());
    QVERIFY(v.compositing_note().isEmpty());
    cv::Mat frame(360, 640, CV_8UC3, cv::Scalar(40, 40, 40));
    cv::Mat mask = cv::Mat::zeros(90, 160, CV_8UC1);
    mask(cv::Rect(40, 20, 40, 40)).setTo(1);  // x 160..320, y 80..240 at the frame's size
    core::OverlayOptions o;
    o.alpha = 1.0;
    v.set_composite(frame, mask, nullptr, o);
    QVERIFY(v.has_frame());
    QCOMPARE(v.frame().size(), QSize(640, 360));
    const QRect r = v.frame_rect();
    QTRY_VERIFY_WITH_TIMEOUT(!v.grab().isNull(), 5000);
    const QImage shot = v.grab().toImage().convertToFormat(QImage::Format_RGB888);
    const double sx = r.width() / 640.0, sy = r.height() / 360.0;
    const QColor in = shot.pixelColor(r.x() + int(240 * sx), r.y() + int(160 * sy));
    const QColor out = shot.pixelColor(r.x() + int(500 * sx), r.y() + int(300 * sy));
    QVERIFY2(in.red() > 200 && in.green() < 60, qPrintable(in.name()));
    QVERIFY2(out.green() > 200 && out.red() < 60, qPrintable(out.name()));
  }
};

int main(int argc, char** argv) {
  qputenv("POLYPLENS_GL", "1");  // Mesa's llvmpipe is a software renderer: use it anyway
  QApplication app(argc, argv);
  TestGlCompositor t;
  return QTest::qExec(&t, argc, argv);
}

#include "gl_compositor_golden.moc"
