#pragma once
// LiveSessionBridge: LiveSession's callbacks as Qt signals, for the Live / Review tab (ui/live_tab.h).
//
// Threading model: the bridge is a QObject living on the GUI thread. It installs the session's
// callbacks (call it before LiveSession::set_source) and emits its signals from the session's
// threads; Qt delivers them to receivers on the GUI thread as queued calls (AutoConnection across
// threads). updateReady() is coalesced by the session: at most one is in flight until the GUI calls
// LiveSession::take_update(), so the GUI's event queue stays bounded whatever the frame rate.
//
// Lifetime: the bridge must outlive the session's sources and worker: destroy (or stop()) the
// LiveSession before the bridge, e.g. declare the session after the bridge's owner sets it up and
// call session.stop() in the owner's destructor.
//
// Typical use:
//   auto* bridge = new LiveSessionBridge(session, this);
//   connect(bridge, &LiveSessionBridge::updateReady, this, [this] { show(session.take_update()); });
//   session.set_source(make_frame_source(path));
#include <QObject>
#include <QString>

#include "core/pipeline/live_session.h"

namespace pl::core {

class LiveSessionBridge : public QObject {
  Q_OBJECT
 public:
  explicit LiveSessionBridge(LiveSession& session, QObject* parent = nullptr);
  static constexpr int kFootprintWidth = 160;

 Q_SIGNALS:
  void updateReady();  // a new frame and/or mask: call session.take_update()
  void stateChanged(pl::core::SourceState state, const pl::core::SourceInfo& info);
  // error.transient: a reconnect follows (live sources)
  void errorOccurred(const pl::core::VideoError& error);
  void reconnecting(const pl::core::ReconnectInfo& info);  // "reconnecting in 2 s…"
  void maskReady(qint64 frameIndex, qint64 ptsNs, double polypAreaPercent);  // e.g. detection timeline
  // The same mask shrunk on the worker thread to at most kFootprintWidth px wide (nearest
  // neighbour, non-zero = polyp): where the polyps are, for polyp events and the once-per-event alert
  // (core/review/polyp_events.h) without a full-resolution mask crossing to the GUI thread.
  void maskFootprint(qint64 frameIndex, const cv::Mat& mask);
  void inferenceFailed(const QString& message);
};

}  // namespace pl::core

Q_DECLARE_METATYPE(pl::core::SourceState)
Q_DECLARE_METATYPE(pl::core::SourceInfo)
Q_DECLARE_METATYPE(pl::core::VideoError)
Q_DECLARE_METATYPE(pl::core::ReconnectInfo)
Q_DECLARE_METATYPE(cv::Mat)
