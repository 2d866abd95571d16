#pragma once
// The row above the video: pick a source (capture devices found on this machine, recent stream
// URLs, the test pattern, recent files) and the overlay controls (mode and alpha).
// Thread: GUI thread only.
#include <QStringList>
#include <QWidget>

class QComboBox;
class QSlider;
class QToolButton;

namespace pl::ui {

class SourceBar : public QWidget {
  Q_OBJECT

 public:
  explicit SourceBar(QWidget* parent = nullptr);

  // Rebuilds the source list: devices (found now), then the given recent URLs and files.
  void refresh(const QStringList& recent_urls, const QStringList& recent_files);
  QStringList sources() const;  // the specs in the list, in order (for tests)
  // Selects the entry for `spec` (the source just opened), if listed.
  void set_current(const QString& spec);
  // The Stop button: enabled while a source is open.
  void set_stop_enabled(bool on);
  bool stop_enabled() const;

  // "fill" | "outline" | "off"
  void set_overlay_mode(const QString& mode);
  void set_overlay_alpha(double alpha);

  struct Device {
    QString spec;   // what open_requested() carries: "/dev/video0"
    QString label;  // "HD Pro Webcam C920 (/dev/video0)"
  };
  // Capture devices found now (GstDeviceMonitor; blocks for well under a second).
  static QList<Device> find_devices();

 Q_SIGNALS:
  void open_requested(const QString& spec);
  void open_file_requested();
  void stop_requested();
  void overlay_mode_selected(const QString& mode);
  void overlay_alpha_changed(double alpha);

 private:
  QComboBox* sources_ = nullptr;
  QToolButton* open_ = nullptr;
  QToolButton* file_ = nullptr;
  QToolButton* stop_ = nullptr;
  QComboBox* mode_ = nullptr;
  QSlider* alpha_ = nullptr;
};

}  // namespace pl::ui
