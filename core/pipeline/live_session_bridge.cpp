#include "core/pipeline/live_session_bridge.h"

namespace pl::core {

LiveSessionBridge::LiveSessionBridge(LiveSession& session, QObject* parent) : QObject(parent) {
  SessionCallbacks cb;
  cb.on_update = [this] { Q_EMIT updateReady(); };
  cb.on_state = [this](SourceState s, const SourceInfo& i) {
    Q_EMIT stateChanged(static_cast<int>(s), QString::fromUtf8(to_string(s)), QString::fromStdString(i.description));
  };
  cb.on_error = [this](const VideoError& e) {
    Q_EMIT errorOccurred(static_cast<int>(e.category), QString::fromUtf8(to_string(e.category)),
                         QString::fromStdString(e.message), e.transient);
  };
  cb.on_reconnect = [this](const ReconnectInfo& r) {
    Q_EMIT reconnecting(r.attempt, r.delay_ms, QString::fromStdString(r.reason.message));
  };
  cb.on_mask = [this](const MaskResult& m) { Q_EMIT maskReady(m.frame_index, m.pts_ns, m.polyp_area_percent); };
  cb.on_inference_error = [this](const std::string& msg) { Q_EMIT inferenceFailed(QString::fromStdString(msg)); };
  session.set_callbacks(std::move(cb));
}

}  // namespace pl::core
