#include "core/export/snapshot.h"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include <QJsonDocument>
#include <QJsonObject>

#include <opencv2/imgproc.hpp>

#include "core/export/file_writer.h"
#include "core/export/timecode.h"

namespace fs = std::filesystem;

namespace pl::core::exporting {
namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QJsonValue str_or_null(const std::string& s) { return s.empty() ? QJsonValue() : QJsonValue(q(s)); }

QJsonObject sidecar_json(const cv::Mat& bgr, bool has_mask, const SnapshotMeta& meta, const OverlayOptions& overlay,
                         const FieldOfView* view, const SnapshotFiles& files) {
  QJsonObject o;
  o["format"] = "polyplens-snapshot";
  o["version"] = 1;
  o["source"] = q(meta.source);
  o["frame"] = static_cast<qint64>(meta.frame_index);
  if (meta.pts_ns >= 0) {
    o["timestamp_s"] = static_cast<double>(meta.pts_ns) / 1e9;
    o["timecode"] = q(timecode(static_cast<double>(meta.pts_ns) / 1e9));
  } else {
    o["timestamp_s"] = QJsonValue();
    o["timecode"] = QJsonValue();
  }
  o["width"] = bgr.cols;
  o["height"] = bgr.rows;
  if (meta.model_preset.empty() && meta.checkpoint.empty()) {
    o["model"] = QJsonValue();
  } else {
    QJsonObject m;
    m["preset"] = str_or_null(meta.model_preset);
    m["checkpoint"] = str_or_null(meta.checkpoint);
    m["checkpoint_hash"] = str_or_null(meta.checkpoint_hash);
    m["device"] = str_or_null(meta.device);
    o["model"] = m;
  }
  if (has_mask) {
    o["polyp_area_percent"] = files.polyp_area_percent;
    o["mask_frame"] = static_cast<qint64>(meta.mask_frame_index >= 0 ? meta.mask_frame_index : meta.frame_index);
    o["mask_age_ms"] = meta.mask_age_ms >= 0 ? QJsonValue(meta.mask_age_ms) : QJsonValue();
  } else {
    o["polyp_area_percent"] = QJsonValue();
    o["mask_frame"] = QJsonValue();
    o["mask_age_ms"] = QJsonValue();
  }
  QJsonObject ov;
  ov["mode"] = to_string(overlay.mode);
  ov["alpha"] = overlay.alpha;
  ov["limit_to_view"] = overlay.limit_to_view;
  o["overlay"] = ov;
  const bool limited = view && !view->is_full() && overlay.limit_to_view;
  o["field_of_view_percent"] = limited ? QJsonValue(100.0 * view->area_fraction()) : QJsonValue();
  QJsonObject f;
  auto name = [](const std::string& p) { return p.empty() ? QJsonValue() : QJsonValue(q(fs::path(p).filename().string())); };
  f["frame"] = name(files.frame);
  f["mask"] = name(files.mask);
  f["overlay"] = name(files.overlay);
  o["files"] = f;
  QJsonObject app;
  app["name"] = "PolypLens";
  app["version"] = POLYPLENS_VERSION;
  o["app"] = app;
  o["exported_at"] = q(iso8601_utc_now());
  return o;
}

}  // namespace

void SnapshotOptions::validate() const {
  if (out_dir.empty()) throw std::invalid_argument("snapshot: out_dir is empty");
  if (!frame && !mask && !overlay && !sidecar)
    throw std::invalid_argument("snapshot: frame, mask, overlay and sidecar are all off: nothing to write");
  overlay_options.validate();
}

int SnapshotFiles::count() const {
  return !frame.empty() + !mask.empty() + !overlay.empty() + !sidecar.empty();
}

std::string default_snapshot_stem(const SnapshotMeta& meta) {
  char frame[32];
  std::snprintf(frame, sizeof frame, "_f%06lld", static_cast<long long>(std::max<int64_t>(meta.frame_index, 0)));
  return source_stem(meta.source) + frame + "_" + file_time(std::time(nullptr));
}

SnapshotFiles write_snapshot(const cv::Mat& bgr, const cv::Mat& mask01, const SnapshotMeta& meta,
                             const SnapshotOptions& options, const FieldOfView* view) {
  options.validate();
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("snapshot: the frame must be a non-empty CV_8UC3 (BGR) image");
  if (!mask01.empty() && mask01.type() != CV_8UC1)
    throw std::invalid_argument("snapshot: the mask must be CV_8UC1");
  if (view && view->size() != bgr.size())
    throw std::invalid_argument("snapshot: the field of view is " + std::to_string(view->size().width) + "x" +
                                std::to_string(view->size().height) + " but the frame is " +
                                std::to_string(bgr.cols) + "x" + std::to_string(bgr.rows));

  ensure_writable_dir(options.out_dir);
  const bool has_mask = !mask01.empty();
  // A mask at the model's resolution (the live view's) is saved at the frame's size as the screen
  // shows it; the overlay is composed from the mask itself, so its edges are the screen's smooth ones.
  const cv::Mat mask = has_mask ? upsample_mask(mask01, bgr.size()) : mask01;

  OverlayOptions overlay = options.overlay_options;
  if (overlay.mode == OverlayMode::Off) overlay.mode = OverlayMode::Fill;

  const std::string base = options.stem.empty() ? default_snapshot_stem(meta) : sanitize_name(options.stem);
  const std::string stem = unique_stem(options.out_dir, base, {"_frame.png", "_mask.png", "_overlay.png", ".json"});
  const fs::path dir(options.out_dir);

  SnapshotFiles files;
  files.stem = stem;
  if (has_mask) {
    files.polyp_area_percent = polyp_area_percent(mask);
    if (options.mask) {
      const std::string p = (dir / (stem + "_mask.png")).string();
      write_png_atomic(p, mask > 0);  // 0/255: visible in any viewer
      files.mask = p;
    }
  }
  if (options.frame) {
    const std::string p = (dir / (stem + "_frame.png")).string();
    write_png_atomic(p, bgr);
    files.frame = p;
  }
  if (has_mask && options.overlay) {
    const std::string p = (dir / (stem + "_overlay.png")).string();
    write_png_atomic(p, compose_overlay(bgr, mask01, overlay, view));
    files.overlay = p;
  }
  if (options.sidecar) {
    const std::string p = (dir / (stem + ".json")).string();
    const QJsonObject json = sidecar_json(bgr, has_mask, meta, overlay, view, files);
    write_file_atomic(p, QJsonDocument(json).toJson(QJsonDocument::Indented).toStdString());
    files.sidecar = p;
  }
  sync_dir(options.out_dir);
  return files;
}

}  // namespace pl::core::exporting
