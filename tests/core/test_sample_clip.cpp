// The sample-clip tool on real Kvasir-SEG validation images: frame counts of video and mask track agree,
// the masks follow the camera, the output is deterministic for a seed, and bad options are refused.
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <opencv2/videoio.hpp>

#include "core/sample/mask_track.h"
#include "core/sample/sample_clip.h"

using namespace pl::core;

class TestSampleClip : public QObject {
  Q_OBJECT

  SampleClipOptions tiny(const QString& dir, const char* stem) {
    SampleClipOptions o;
    o.data_dir = POLYPLENS_TEST_DATA "/kvasir-seg";
    o.out_video = (dir + "/" + stem + ".mp4").toStdString();
    o.out_masks = (dir + "/" + stem + ".plmasks").toStdString();
    o.width = 160;
    o.height = 128;
    o.fps = 10;
    o.images = 3;
    o.seconds_per_image = 1.2;
    o.crossfade_seconds = 0.3;
    return o;
  }

 private Q_SLOTS:
  void framesMatchMasks() {
    QTemporaryDir dir;
    auto o = tiny(dir.path(), "a");
    auto r = make_sample_clip(o);
    QCOMPARE(r.frames, 3 * 12 - 2 * 3);
    QCOMPARE(int(r.images.size()), 3);
    // The images come from the validation split only.
    std::ifstream val(o.data_dir + "/val.txt");
    std::string all((std::istreambuf_iterator<char>(val)), {});
    for (const auto& n : r.images) QVERIFY2(all.find(n) != std::string::npos, n.c_str());

    auto track = read_mask_track(o.out_masks);
    QCOMPARE(int(track.size()), r.frames);
    QCOMPARE(track.width, 160);
    int with_polyp = 0;
    for (size_t i = 0; i < track.size(); ++i) with_polyp += cv::countNonZero(track.frame(i)) > 0;
    QVERIFY2(with_polyp > r.frames / 2, "most frames should show a polyp");
    // Each image's polyp is numbered 1, 2, 3 in the order the images come, one name per frame, and
    // the mask changes image exactly where the name does (the camera moves smoothly in between).
    int last = 0;
    cv::Mat previous;
    for (size_t i = 0; i < track.size(); ++i) {
      double lo = 0, hi = 0;
      const cv::Mat names = track.labels(i);
      cv::minMaxLoc(names, nullptr, &hi);
      cv::minMaxLoc(names, &lo, nullptr, nullptr, nullptr, names > 0);
      QVERIFY(hi > 0);
      QCOMPARE(lo, hi);
      QVERIFY(int(hi) == last || int(hi) == last + 1);
      const cv::Mat m = names > 0;
      if (int(hi) == last) {
        const double iou = cv::countNonZero(m & previous) / double(cv::countNonZero(m | previous));
        QVERIFY2(iou > 0.8, qPrintable(QString("frame %1: the mask jumps (IoU %2) within polyp %3").arg(i).arg(iou).arg(hi)));
      }
      last = int(hi);
      previous = m;
    }
    QCOMPARE(last, 3);

    cv::VideoCapture cap(o.out_video, cv::CAP_GSTREAMER);
    QVERIFY(cap.isOpened());
    int n = 0;
    cv::Mat f;
    while (cap.read(f)) {
      QCOMPARE(f.cols, 160);
      QCOMPARE(f.rows, 128);
      ++n;
    }
    QCOMPARE(n, r.frames);
  }

  void deterministicForSeed() {
    QTemporaryDir dir;
    make_sample_clip(tiny(dir.path(), "a"));
    make_sample_clip(tiny(dir.path(), "b"));
    auto a = read_mask_track((dir.path() + "/a.plmasks").toStdString());
    auto b = read_mask_track((dir.path() + "/b.plmasks").toStdString());
    QCOMPARE(a.png, b.png);
    auto o = tiny(dir.path(), "c");
    o.seed += 1;
    make_sample_clip(o);
    auto c = read_mask_track(o.out_masks);
    QVERIFY(c.png != a.png);
  }

  void rejectsBadOptions() {
    QTemporaryDir dir;
    auto o = tiny(dir.path(), "x");
    o.width = 63;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, make_sample_clip(o));
    o = tiny(dir.path(), "x");
    o.data_dir = "/nonexistent";
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, make_sample_clip(o));
  }

  void damagedTrackIsReported() {
    QTemporaryDir dir;
    auto o = tiny(dir.path(), "d");
    make_sample_clip(o);
    std::filesystem::resize_file(o.out_masks, std::filesystem::file_size(o.out_masks) / 2);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, read_mask_track(o.out_masks));
  }
};

QTEST_GUILESS_MAIN(TestSampleClip)
#include "test_sample_clip.moc"
