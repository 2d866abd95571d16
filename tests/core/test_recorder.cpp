// Annotated recording: a recording finalised by destroying the recorder (as on app exit) is a playable
// MP4 with every frame; a killed process still leaves a playable file (fragmented MP4); a full queue
// drops instead of blocking the caller, and the counts add up; bad paths fail with the path.
#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/export/recorder.h"
#include "readonly_dir.h"

using namespace pl::core::exporting;

namespace {

// Frame i: a hue that moves with i and the frame number written in, so frames differ.
cv::Mat numbered(int i, int w, int h) {
  cv::Mat f(h, w, CV_8UC3, cv::Scalar((i * 37) % 256, (i * 11) % 256, 128));
  cv::putText(f, std::to_string(i), {4, h / 2}, cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(255, 255, 255), 2);
  return f;
}

struct Decoded {
  int frames = 0;
  cv::Size size;
  std::vector<cv::Scalar> means;
};

Decoded decode(const std::string& path) {
  Decoded d;
  cv::VideoCapture cap(path, cv::CAP_GSTREAMER);
  if (!cap.isOpened()) return d;
  cv::Mat f;
  while (cap.read(f)) {
    ++d.frames;
    d.size = f.size();
    d.means.push_back(cv::mean(f));
  }
  return d;
}

RecorderOptions opts(const std::string& path, int w, int h) {
  RecorderOptions o;
  o.path = path;
  o.width = w;
  o.height = h;
  o.fps = 10;
  o.wall_clock = false;
  o.queue_frames = 64;
  o.speed_preset = "ultrafast";
  return o;
}

// Child mode (see main): record 30 frames, make sure they reached the muxer, then die without
// finalising, like a crash or `kill -9`.
int record_then_die(const char* path) {
  Recorder r(opts(path, 96, 64));
  r.start();
  for (int i = 0; i < 30; ++i) r.push(numbered(i, 96, 64));
  while (r.stats().written < 30) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // Let the encoder and muxer catch up: wait until the file has stopped growing for 0.5 s (at most 5 s).
  std::error_code ec;
  uintmax_t last = 0;
  for (int stable = 0, i = 0; stable < 5 && i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const uintmax_t size = std::filesystem::file_size(path, ec);
    stable = !ec && size > 0 && size == last ? stable + 1 : 0;
    last = ec ? 0 : size;
  }
  std::raise(SIGKILL);
  return 3;
}

}  // namespace

class TestRecorder : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // Odd width*3 (98 * 3 = 294 is not a multiple of 4) exercises the stride path; the odd height is
  // rounded down to even for 4:2:0.
  void destroyedRecorderLeavesPlayableFile() {
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/rec.mp4").toStdString();
    QElapsedTimer timer;
    timer.start();
    {
      Recorder r(opts(path, 98, 63));
      QVERIFY(!r.push(numbered(0, 98, 63)));  // not started
      r.start();
      QVERIFY(r.recording());
      for (int i = 0; i < 25; ++i) QVERIFY(r.push(numbered(i, 98, 63)));
      QCOMPARE(r.stats().accepted, int64_t(25));
    }  // destructor: EOS, wait, close
    const qint64 ms = timer.elapsed();
    const Decoded d = decode(path);
    QCOMPARE(d.frames, 25);
    QCOMPARE(d.size, cv::Size(98, 62));
    // The frames are the ones pushed, in order (colour means survive H.264 within a few levels).
    for (int i : {0, 7, 24}) {
      const cv::Scalar want = cv::mean(numbered(i, 98, 62));
      for (int c = 0; c < 3; ++c)
        QVERIFY2(std::abs(d.means[size_t(i)][c] - want[c]) < 6,
                 qPrintable(QString("frame %1 channel %2: %3 vs %4").arg(i).arg(c).arg(d.means[size_t(i)][c]).arg(want[c])));
    }
    cv::VideoCapture cap(path, cv::CAP_GSTREAMER);
    QCOMPARE(cap.get(cv::CAP_PROP_FPS), 10.0);
    qInfo("recorded and finalised 25 frames in %lld ms", static_cast<long long>(ms));
  }

  void stopReportsAndIsIdempotent() {
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/rec.mp4").toStdString();
    Recorder r(opts(path, 64, 48));
    QCOMPARE(r.stop().written, int64_t(0));  // before start: nothing
    r.start();
    // Other sizes and channel counts are converted.
    QVERIFY(r.push(numbered(0, 64, 48)));
    QVERIFY(r.push(numbered(1, 128, 96)));
    cv::Mat gray(48, 64, CV_8UC1, cv::Scalar(77));
    QVERIFY(r.push(gray));
    QVERIFY(!r.push(cv::Mat()));
    QVERIFY(!r.push(cv::Mat(48, 64, CV_32FC3)));
    const auto s = r.stop();
    QCOMPARE(s.written, int64_t(3));
    QCOMPARE(s.dropped, int64_t(0));
    QVERIFY2(s.error.empty(), s.error.c_str());
    QCOMPARE(s.media_seconds, 0.3);
    QVERIFY(!r.recording());
    QVERIFY(!r.push(numbered(3, 64, 48)));  // after stop
    QCOMPARE(r.stop().written, int64_t(3));
    QCOMPARE(decode(path).frames, 3);
    QVERIFY_THROWS_EXCEPTION(RecordError, r.start());  // once only
  }

  // push() never waits for the encoder: with a queue of one, a burst of large frames mostly drops,
  // and every accepted frame is in the file.
  void fullQueueDropsAndCounts() {
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/burst.mp4").toStdString();
    RecorderOptions o = opts(path, 640, 480);
    o.queue_frames = 1;
    o.wall_clock = true;
    Recorder r(o);
    r.start();
    const cv::Mat f = numbered(5, 640, 480);
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < 200; ++i) r.push(f);
    const double push_ms = double(t.nsecsElapsed()) / 1e6;
    const auto s = r.stop();
    QCOMPARE(s.accepted + s.dropped, int64_t(200));
    QVERIFY2(s.dropped > 0, "a burst into a queue of one must drop");
    QCOMPARE(s.written, s.accepted);
    QCOMPARE(int64_t(decode(path).frames), s.written);
    qInfo("200 pushes of 640x480 in %.1f ms (%lld accepted, %lld dropped)", push_ms,
          static_cast<long long>(s.accepted), static_cast<long long>(s.dropped));
  }

  void killedRecordingStillPlays() {
    QTemporaryDir dir;
    const QString path = dir.path() + "/killed.mp4";
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("POLYPLENS_RECORDER_CHILD", path);
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(child.waitForFinished(30000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    const Decoded d = decode(path.toStdString());
    // 1 s fragments at 10 fps: at least the first two complete fragments are readable.
    QVERIFY2(d.frames >= 20 && d.frames <= 30, qPrintable(QString("%1 frames").arg(d.frames)));
  }

  // Started and stopped without a frame (R pressed twice): stop() returns at once, no error, no file.
  void emptyRecording() {
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/empty.mp4").toStdString();
    Recorder r(opts(path, 64, 48));
    r.start();
    QElapsedTimer t;
    t.start();
    const auto s = r.stop();
    QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
    QVERIFY2(s.error.empty(), s.error.c_str());
    QCOMPARE(s.written, int64_t(0));
    QVERIFY(!std::filesystem::exists(path));  // no empty file left behind
  }

  void badPathsFailWithThePath() {
    QTemporaryDir dir;
    const std::string existing = (dir.path() + "/taken.mp4").toStdString();
    { std::ofstream(existing) << "x"; }
    try {
      Recorder(opts(existing, 64, 48)).start();
      QFAIL("overwrote an existing file");
    } catch (const RecordError& e) {
      QVERIFY2(QString(e.what()).contains(QString::fromStdString(existing)), e.what());
    }
    const std::string ro = (dir.path() + "/ro").toStdString();
    std::filesystem::create_directory(ro);
    {
      pl::test::ReadOnlyDir guard(ro);
      QVERIFY(!guard.writable_probe());
      try {
        Recorder(opts(ro + "/x.mp4", 64, 48)).start();
        QFAIL("recorded into a read-only folder");
      } catch (const RecordError& e) {
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(ro)), e.what());
      }
    }
    QVERIFY(std::filesystem::is_empty(ro));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Recorder(opts("", 64, 48)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Recorder(opts(existing, 1, 48)));
    RecorderOptions bad = opts(existing, 64, 48);
    bad.speed_preset = "warp";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Recorder{bad});
  }
};

int main(int argc, char** argv) {
  if (const char* child = std::getenv("POLYPLENS_RECORDER_CHILD")) return record_then_die(child);
  QCoreApplication app(argc, argv);
  TestRecorder t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_recorder.moc"
