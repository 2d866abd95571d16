#include "core/pipeline/live_session_bridge.h"

namespace pl::core {

LiveSessionBridge::LiveSessionBridge(LiveSession& session, QObject* parent) : QObject(parent) {
  qRegisterMetaType<SourceState>();
  qRegisterMetaType<SourceInfo>();
  qRegisterMetaType<VideoError>();
  qRegisterMetaType<ReconnectInfo>();
  SessionCallbacks cb;
  cb.on_update = [this] { Q_EMIT updateReady(); };
  cb.on_state = [this](SourceState s, const SourceInfo& i) { Q_EMIT stateChanged(s, i); };
  cb.on_error = [this](const VideoError& e) { Q_EMIT errorOccurred(e); };
  cb.on_reconnect = [this](const ReconnectInfo& r) { Q_EMIT reconnecting(r); };
  cb.on_mask = [this](const MaskResult& m) { Q_EMIT maskReady(m.frame_index, m.pts_ns, m.polyp_area_percent); };
  cb.on_inference_error = [this](const std::string& msg) { Q_EMIT inferenceFailed(QString::fromStdString(msg)); };
  session.set_callbacks(std::move(cb));
}

}  // namespace pl::core
