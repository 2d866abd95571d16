// Snapshot and batch export: the files and sidecar fields of a snapshot, names that never overwrite,
// batch counts for both selections, and failures (read-only folder, file-size limit as "disk full")
// that name the path, stop cleanly and keep every file written before.
#include <QDateTime>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>

#include <opencv2/imgcodecs.hpp>

#include "core/export/batch_export.h"
#include "core/export/export_paths.h"
#include "core/export/file_writer.h"
#include "core/export/snapshot.h"
#include "core/log/log.h"
#include "readonly_dir.h"
#include "review_clip.h"

using namespace pl::core::exporting;
namespace fs = std::filesystem;

namespace {

cv::Mat test_frame() {
  cv::Mat f(48, 64, CV_8UC3);
  for (int y = 0; y < f.rows; ++y)
    for (int x = 0; x < f.cols; ++x) f.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(x * 4), uchar(y * 5), uchar(100 + x + y));
  return f;
}

cv::Mat test_mask() {  // 16 x 12 = 192 of 3072 pixels = 6.25 %
  cv::Mat m = cv::Mat::zeros(48, 64, CV_8U);
  m(cv::Rect(10, 20, 16, 12)).setTo(1);
  return m;
}

SnapshotMeta test_meta() {
  SnapshotMeta m;
  m.source = "/videos/case 12.mp4";
  m.frame_index = 123;
  m.pts_ns = 4'920'000'000;
  m.model_preset = "ann-r18-lite";
  m.checkpoint = "best.pt";
  m.checkpoint_hash = "0123456789abcdef";
  m.device = "cpu";
  m.mask_frame_index = 121;
  m.mask_age_ms = 83.5;
  return m;
}

QJsonObject read_json(const std::string& path) {
  QFile f(QString::fromStdString(path));
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll()).object();
}

std::map<std::string, std::string> snapshot_of_dir(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    out[fs::relative(e.path(), dir).string()] = std::string(std::istreambuf_iterator<char>(f), {});
  }
  return out;
}

int count_files(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

}  // namespace

class TestExport : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void snapshotFilesAndSidecar() {
    QTemporaryDir dir;
    SnapshotOptions o;
    o.out_dir = (dir.path() + "/snaps").toStdString();  // created on demand
    const auto before = QDateTime::currentDateTimeUtc().addSecs(-1);
    const SnapshotFiles files = write_snapshot(test_frame(), test_mask(), test_meta(), o);
    QCOMPARE(files.count(), 4);
    QVERIFY2(QString::fromStdString(files.stem).startsWith("case_12_f000123_"), files.stem.c_str());

    const cv::Mat frame = cv::imread(files.frame, cv::IMREAD_UNCHANGED);
    QCOMPARE(cv::norm(frame, test_frame(), cv::NORM_INF), 0.0);
    const cv::Mat mask = cv::imread(files.mask, cv::IMREAD_UNCHANGED);
    QCOMPARE(mask.type(), CV_8UC1);
    QCOMPARE(cv::countNonZero(mask == 255), 192);
    QCOMPARE(cv::countNonZero(mask == 0), 3072 - 192);
    const cv::Mat overlay = cv::imread(files.overlay, cv::IMREAD_UNCHANGED);
    QCOMPARE(cv::norm(overlay, pl::core::compose_overlay(test_frame(), test_mask(), o.overlay_options), cv::NORM_INF), 0.0);

    const QJsonObject j = read_json(files.sidecar);
    QCOMPARE(j["format"].toString(), QString("polyplens-snapshot"));
    QCOMPARE(j["source"].toString(), QString("/videos/case 12.mp4"));
    QCOMPARE(j["frame"].toInteger(), 123);
    QCOMPARE(j["timestamp_s"].toDouble(), 4.92);
    QCOMPARE(j["timecode"].toString(), QString("00:00:04.920"));
    QCOMPARE(j["width"].toInt(), 64);
    QCOMPARE(j["height"].toInt(), 48);
    const QJsonObject model = j["model"].toObject();
    QCOMPARE(model["preset"].toString(), QString("ann-r18-lite"));
    QCOMPARE(model["checkpoint"].toString(), QString("best.pt"));
    QCOMPARE(model["checkpoint_hash"].toString(), QString("0123456789abcdef"));
    QCOMPARE(model["device"].toString(), QString("cpu"));
    QCOMPARE(j["polyp_area_percent"].toDouble(), 6.25);
    QCOMPARE(j["mask_frame"].toInteger(), 121);
    QCOMPARE(j["mask_age_ms"].toDouble(), 83.5);
    QCOMPARE(j["overlay"].toObject()["mode"].toString(), QString("fill"));
    QCOMPARE(j["overlay"].toObject()["alpha"].toDouble(), 0.5);
    QCOMPARE(j["app"].toObject()["version"].toString(), QString(POLYPLENS_VERSION));
    const QJsonObject names = j["files"].toObject();
    QCOMPARE(names["frame"].toString(), QString::fromStdString(fs::path(files.frame).filename().string()));
    QCOMPARE(names["mask"].toString(), QString::fromStdString(fs::path(files.mask).filename().string()));
    QCOMPARE(names["overlay"].toString(), QString::fromStdString(fs::path(files.overlay).filename().string()));
    const auto when = QDateTime::fromString(j["exported_at"].toString(), Qt::ISODateWithMs);
    QVERIFY2(when.isValid() && when >= before && when <= QDateTime::currentDateTimeUtc().addSecs(1),
             qPrintable(j["exported_at"].toString()));
    // Nothing else (no temporaries) in the folder.
    QCOMPARE(count_files(o.out_dir), 4);
  }

  // With the scope's field of view the overlay PNG leaves the border as it was, as the window does;
  // limit_to_view off paints it; a view of another size is refused.
  void snapshotKeepsTheBorderOutsideTheView() {
    QTemporaryDir dir;
    cv::Mat inside = cv::Mat::zeros(48, 64, CV_8U);
    cv::circle(inside, {32, 24}, 20, cv::Scalar(255), cv::FILLED);
    const auto view = pl::core::FieldOfView::from_mask(inside);
    cv::Mat mask = test_mask();
    mask(cv::Rect(0, 0, 4, 4)).setTo(1);  // a polyp pixel in the corner, outside the view
    SnapshotOptions o;
    o.out_dir = dir.path().toStdString();
    o.stem = "limited";
    const SnapshotFiles limited = write_snapshot(test_frame(), mask, test_meta(), o, &view);
    const cv::Mat overlay = cv::imread(limited.overlay, cv::IMREAD_UNCHANGED);
    cv::Mat changed;
    cv::compare(overlay.reshape(1, 48 * 64), test_frame().reshape(1, 48 * 64), changed, cv::CMP_NE);
    cv::Mat changed_px;
    cv::reduce(changed, changed_px, 1, cv::REDUCE_MAX);
    QCOMPARE(cv::countNonZero(changed_px.reshape(1, 48) & ~inside), 0);  // the border is untouched
    QCOMPARE(cv::countNonZero(changed_px.reshape(1, 48) & inside), cv::countNonZero(inside));  // the view is not
    const QJsonObject j = read_json(limited.sidecar);
    QCOMPARE(j["overlay"].toObject()["limit_to_view"].toBool(), true);
    QVERIFY(std::abs(j["field_of_view_percent"].toDouble() - 100.0 * view.area_fraction()) < 1e-9);
    QVERIFY(j["field_of_view_percent"].toDouble() < 70.0);

    o.stem = "everywhere";
    o.overlay_options.limit_to_view = false;
    const SnapshotFiles everywhere = write_snapshot(test_frame(), mask, test_meta(), o, &view);
    QCOMPARE(cv::norm(cv::imread(everywhere.overlay, cv::IMREAD_UNCHANGED),
                      pl::core::compose_overlay(test_frame(), mask, o.overlay_options), cv::NORM_INF), 0.0);
    QVERIFY(cv::imread(everywhere.overlay, cv::IMREAD_UNCHANGED).at<cv::Vec3b>(1, 1) != test_frame().at<cv::Vec3b>(1, 1));
    const QJsonObject e = read_json(everywhere.sidecar);
    QCOMPARE(e["overlay"].toObject()["limit_to_view"].toBool(), false);
    QVERIFY(e["field_of_view_percent"].isNull());

    const auto other = pl::core::FieldOfView::full({32, 24});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, write_snapshot(test_frame(), mask, test_meta(), o, &other));
  }

  void snapshotNeverOverwrites() {
    QTemporaryDir dir;
    SnapshotOptions o;
    o.out_dir = dir.path().toStdString();
    o.stem = "same";
    const auto first = write_snapshot(test_frame(), test_mask(), test_meta(), o);
    const auto saved = snapshot_of_dir(o.out_dir);
    cv::Mat other = test_frame();
    other.setTo(cv::Scalar(1, 2, 3));
    const auto second = write_snapshot(other, test_mask(), test_meta(), o);
    const auto third = write_snapshot(other, test_mask(), test_meta(), o);
    QCOMPARE(first.stem, std::string("same"));
    QCOMPARE(second.stem, std::string("same_2"));
    QCOMPARE(third.stem, std::string("same_3"));
    const auto now = snapshot_of_dir(o.out_dir);
    QCOMPARE(int(now.size()), 12);
    for (const auto& [name, bytes] : saved) QVERIFY2(now.at(name) == bytes, name.c_str());
    // The low-level writer refuses an existing name outright.
    try {
      write_file_atomic(first.sidecar, std::string("x"));
      QFAIL("overwrote a file");
    } catch (const ExportError& e) {
      QCOMPARE(e.kind(), ExportError::Kind::Exists);
      QCOMPARE(e.path(), first.sidecar);
    }
  }

  void snapshotWithoutModel() {
    QTemporaryDir dir;
    SnapshotOptions o;
    o.out_dir = dir.path().toStdString();
    SnapshotMeta m;
    m.source = "rtsp://user:secret@cam.local:554/live";
    m.frame_index = 7;
    const auto files = write_snapshot(test_frame(), cv::Mat(), m, o);
    QCOMPARE(files.count(), 2);  // frame + sidecar: no mask, no overlay
    QVERIFY(files.mask.empty() && files.overlay.empty());
    QVERIFY2(files.stem.find("secret") == std::string::npos, files.stem.c_str());
    QVERIFY2(QString::fromStdString(files.stem).startsWith("cam.local_554_live_f000007"), files.stem.c_str());
    const QJsonObject j = read_json(files.sidecar);
    QVERIFY(j["model"].isNull());
    QVERIFY(j["polyp_area_percent"].isNull());
    QVERIFY(j["mask_age_ms"].isNull());
    QVERIFY(j["timestamp_s"].isNull());
    QVERIFY(j["files"].toObject()["mask"].isNull());
    // A mask of another size is scaled to the frame.
    cv::Mat half;
    cv::resize(test_mask(), half, {32, 24}, 0, 0, cv::INTER_NEAREST);
    const auto scaled = write_snapshot(test_frame(), half, test_meta(), o);
    QCOMPARE(cv::countNonZero(cv::imread(scaled.mask, cv::IMREAD_GRAYSCALE)), 192);
    // Bad input is refused before anything is written.
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, write_snapshot(cv::Mat(), cv::Mat(), m, o));
    SnapshotOptions none = o;
    none.frame = none.mask = none.overlay = none.sidecar = false;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, write_snapshot(test_frame(), cv::Mat(), m, none));
  }

  void batchCounts() {
    QTemporaryDir dir;
    const std::string clip = (dir.path() + "/clip.mp4").toStdString();
    std::set<int> red{5, 6, 7, 8, 9, 20};
    QVERIFY(pl::test::write_disk_clip(clip, 30, red));
    const std::string out = (dir.path() + "/out").toStdString();

    auto run = [&](BatchSelection sel, int n, bool with_model, SnapshotOptions snap) {
      BatchExportOptions o;
      o.selection = sel;
      o.every_n = n;
      o.area_threshold = 0.02;
      snap.out_dir = out;
      o.snapshot = snap;
      BatchExporter ex;
      std::unique_ptr<pl::core::FrameSegmenter> seg;
      if (with_model) seg = std::make_unique<pl::test::RedSegmenter>();
      SnapshotMeta meta;
      meta.model_preset = "test";
      ex.start(clip, std::move(seg), meta, o);
      const auto r = ex.wait();
      return std::make_pair(r, ex.summary());
    };
    QElapsedTimer timer;
    timer.start();
    auto [r1, s1] = run(BatchSelection::Detections, 1, true, {});
    QCOMPARE(r1.outcome, pl::core::review::JobOutcome::Finished);
    QCOMPARE(s1.frames_exported, int64_t(6));
    QCOMPARE(s1.files_written, int64_t(24));
    QCOMPARE(count_files(s1.folder), 24);
    for (int f : red) {
      const std::string stem = s1.folder + "/clip_f" + QString::number(f).rightJustified(6, '0').toStdString();
      QVERIFY2(fs::exists(stem + "_overlay.png"), stem.c_str());
      const QJsonObject j = read_json(stem + ".json");
      QCOMPARE(j["frame"].toInteger(), f);
      QCOMPARE(j["mask_age_ms"].toDouble(), 0.0);
      QVERIFY(j["polyp_area_percent"].toDouble() > 2.0);
      QVERIFY(std::abs(j["timestamp_s"].toDouble() - f / pl::test::kClipFps) < 1e-3);
    }
    QCOMPARE(r1.progress.done, int64_t(30));

    // Every 10th frame: frames 0, 10, 20 (with masks even where there is no polyp).
    auto [r2, s2] = run(BatchSelection::EveryNth, 10, true, {});
    QCOMPARE(s2.frames_exported, int64_t(3));
    QCOMPARE(count_files(s2.folder), 12);
    QVERIFY2(s2.folder != s1.folder, "each batch gets its own folder");
    // Without a model only frames and sidecars; only frames when asked.
    auto [r3, s3] = run(BatchSelection::EveryNth, 7, false, {});
    QCOMPARE(s3.frames_exported, int64_t(5));  // 0 7 14 21 28
    QCOMPARE(count_files(s3.folder), 10);
    SnapshotOptions frames_only;
    frames_only.mask = frames_only.overlay = frames_only.sidecar = false;
    auto [r4, s4] = run(BatchSelection::EveryNth, 1, true, frames_only);
    QCOMPARE(count_files(s4.folder), 30);
    qInfo("4 batch exports of a 30-frame clip: %lld ms", static_cast<long long>(timer.elapsed()));

    BatchExporter ex;
    BatchExportOptions o;
    o.snapshot.out_dir = out;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ex.start(clip, nullptr, {}, o));  // detections need a model
    o.every_n = 0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ex.start(clip, std::make_unique<pl::test::RedSegmenter>(), {}, o));
  }

  void batchCancel() {
    QTemporaryDir dir;
    const std::string clip = (dir.path() + "/clip.mp4").toStdString();
    QVERIFY(pl::test::write_disk_clip(clip, 200, {}));
    BatchExportOptions o;
    o.selection = BatchSelection::EveryNth;
    o.every_n = 1;
    o.snapshot.out_dir = dir.path().toStdString();
    pl::core::review::JobCallbacks cb;
    cb.progress_interval_ms = 0;
    BatchExporter* self = nullptr;
    cb.on_progress = [&](const pl::core::review::JobProgress& p) {
      if (p.done == 20 && self) self->cancel();
    };
    BatchExporter ex(cb);
    self = &ex;
    ex.start(clip, nullptr, {}, o);
    const auto r = ex.wait();
    QCOMPARE(r.outcome, pl::core::review::JobOutcome::Cancelled);
    const auto s = ex.summary();
    QVERIFY2(s.frames_exported >= 19 && s.frames_exported <= 21, qPrintable(QString::number(s.frames_exported)));
    QCOMPARE(count_files(s.folder), int(s.files_written));
  }

  void readOnlyFolder() {
    QTemporaryDir dir;
    const std::string out = dir.path().toStdString();
    SnapshotOptions o;
    o.out_dir = out;
    write_snapshot(test_frame(), test_mask(), test_meta(), o);
    const auto before = snapshot_of_dir(out);
    QTemporaryDir clip_dir;  // the video lives elsewhere
    const std::string clip = (clip_dir.path() + "/clip.mp4").toStdString();
    QVERIFY(pl::test::write_disk_clip(clip, 12, {3, 4, 5}));
    {
      pl::test::ReadOnlyDir ro(out);
      QVERIFY2(!ro.writable_probe(), "the test could not make the folder read-only");
      try {
        write_snapshot(test_frame(), test_mask(), test_meta(), o);
        QFAIL("wrote into a read-only folder");
      } catch (const ExportError& e) {
        QCOMPARE(e.kind(), ExportError::Kind::NotWritable);
        QCOMPARE(e.path(), out);
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(out)) && QString(e.what()).contains("read-only"),
                 e.what());
      }
      BatchExportOptions bo;
      bo.selection = BatchSelection::EveryNth;
      bo.snapshot.out_dir = out;
      BatchExporter ex;
      ex.start(clip, nullptr, {}, bo);
      const auto r = ex.wait();
      QCOMPARE(r.outcome, pl::core::review::JobOutcome::Failed);
      QVERIFY2(QString::fromStdString(r.error).contains(QString::fromStdString(out)), r.error.c_str());
      QCOMPARE(ex.summary().failed_path, out);
    }
    QCOMPARE(snapshot_of_dir(out), before);
  }

  // "Disk full" stand-in: a file-size limit makes write() fail with EFBIG part-way through a file.
  // The batch stops at the first file, says which, leaves no temporary behind and loses nothing.
  void fileSizeLimitStopsCleanly() {
    QTemporaryDir dir;
    const std::string clip = (dir.path() + "/clip.mp4").toStdString();
    QVERIFY(pl::test::write_disk_clip(clip, 20, {2, 3, 4}));
    const std::string out = (dir.path() + "/out").toStdString();
    SnapshotOptions o;
    o.out_dir = out;
    write_snapshot(test_frame(), test_mask(), test_meta(), o);
    const auto before = snapshot_of_dir(out);

    BatchExportOptions bo;
    bo.selection = BatchSelection::EveryNth;
    bo.every_n = 5;
    bo.subfolder = false;
    bo.snapshot.out_dir = out;
    BatchExporter ex;
    rlimit saved{};
    ::getrlimit(RLIMIT_FSIZE, &saved);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit tiny = saved;
    tiny.rlim_cur = 10;  // bytes: less than any PNG's header
    // The limit holds for the log file too: keep the exporter's logger quiet meanwhile.
    auto log = pl::log::get("video");
    const auto level = log->level();
    log->set_level(spdlog::level::off);
    ::setrlimit(RLIMIT_FSIZE, &tiny);
    ex.start(clip, std::make_unique<pl::test::RedSegmenter>(), {}, bo);
    const auto r = ex.wait();
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
    log->set_level(level);

    QCOMPARE(r.outcome, pl::core::review::JobOutcome::Failed);
    const auto s = ex.summary();
    QVERIFY2(QString::fromStdString(s.failed_path).endsWith("clip_f000000_mask.png"), s.failed_path.c_str());
    QVERIFY2(QString::fromStdString(r.error).contains(QString::fromStdString(s.failed_path)) &&
                 QString::fromStdString(r.error).contains("file-size limit"),
             r.error.c_str());
    QCOMPARE(s.frames_exported, int64_t(0));
    QCOMPARE(snapshot_of_dir(out), before);  // nothing lost, nothing half-written, no temporaries
  }

  void names() {
    QCOMPARE(source_stem("/a/b/My Clip (2).mp4"), std::string("My_Clip_2"));
    QCOMPARE(source_stem("rtsp://u:p@10.0.0.2:8554/cam/1"), std::string("10.0.0.2_8554_cam_1"));
    QCOMPARE(source_stem(""), std::string("export"));
    QCOMPARE(sanitize_name("../../etc/passwd"), std::string("etc_passwd"));
    QCOMPARE(int(sanitize_name(std::string(200, 'a')).size()), 64);

    QTemporaryDir dir;
    const std::string d = dir.path().toStdString();
    const std::string a = new_recording_path(d, "/x/case 1.mp4");
    QVERIFY2(QString::fromStdString(a).startsWith(dir.path() + "/case_1_") && QString::fromStdString(a).endsWith(".mp4"),
             a.c_str());
    std::ofstream(a) << "taken";
    const std::string b = new_recording_path(d, "/x/case 1.mp4");
    QVERIFY2(b != a && !fs::exists(b), b.c_str());  // "_2" within the same second
    QVERIFY(QString::fromStdString(default_snapshot_dir()).endsWith("/PolypLens"));
    QVERIFY(QString::fromStdString(default_recording_dir()).endsWith("/PolypLens"));
  }
};

QTEST_GUILESS_MAIN(TestExport)
#include "test_export.moc"
