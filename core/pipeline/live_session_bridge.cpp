#include "core/pipeline/live_session_bridge.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace pl::core {

LiveSessionBridge::LiveSessionBridge(LiveSession& session, QObject* parent) : QObject(parent) {
  qRegisterMetaType<SourceState>();
  qRegisterMetaType<SourceInfo>();
  qRegisterMetaType<VideoError>();
  qRegisterMetaType<ReconnectInfo>();
  qRegisterMetaType<cv::Mat>();
  SessionCallbacks cb;
  cb.on_update = [this] { Q_EMIT updateReady(); };
  cb.on_state = [this](SourceState s, const SourceInfo& i) { Q_EMIT stateChanged(s, i); };
  cb.on_error = [this](const VideoError& e) { Q_EMIT errorOccurred(e); };
  cb.on_reconnect = [this](const ReconnectInfo& r) { Q_EMIT reconnecting(r); };
  cb.on_mask = [this](const MaskResult& m) {
    Q_EMIT maskReady(m.frame_index, m.pts_ns, m.polyp_area_percent);
    if (m.mask.empty()) return;
    cv::Mat small;
    if (m.mask.cols > kFootprintWidth) {
      const int h = std::max(1, m.mask.rows * kFootprintWidth / m.mask.cols);
      cv::resize(m.mask, small, cv::Size(kFootprintWidth, h), 0, 0, cv::INTER_NEAREST);
    } else {
      small = m.mask.clone();
    }
    Q_EMIT maskFootprint(m.frame_index, small);
  };
  cb.on_inference_error = [this](const std::string& msg) { Q_EMIT inferenceFailed(QString::fromStdString(msg)); };
  session.set_callbacks(std::move(cb));
}

}  // namespace pl::core
