#pragma once
// What the window remembers between runs, in one place: QSettings("PolypLens", "PolypLens").
// Thread: GUI thread only (QSettings itself is reentrant, but the values belong to the window).
#include <QByteArray>
#include <QSettings>
#include <QString>
#include <QStringList>

namespace pl::ui {

class Settings {
 public:
  static constexpr int kMaxRecent = 10;

  Settings();

  QString overlay_mode() const;  // "fill", "outline" or "off"
  void set_overlay_mode(const QString& mode);
  double overlay_alpha() const;  // 0..1
  void set_overlay_alpha(double alpha);
  // Overlay only inside the scope's field of view (OverlayOptions::limit_to_view); default on.
  bool overlay_limit_to_view() const;
  void set_overlay_limit_to_view(bool on);
  bool hud_visible() const;
  void set_hud_visible(bool on);

  // Most recent first, no duplicates, at most kMaxRecent.
  QStringList recent_files() const;
  void add_recent_file(const QString& path);
  QStringList recent_urls() const;
  void add_recent_url(const QString& url);
  void clear_recent();
  // Takes `spec` (a file path or URL) out of both lists: it failed to open.
  void remove_recent(const QString& spec);
  // The source that last played (reopened at start); empty when the user stopped it.
  QString last_source() const;
  void set_last_source(const QString& spec);
  // True until the window has started once (the first run opens the bundled sample clip).
  bool first_run() const;
  void set_first_run_done();

  // A named folder ("video", "checkpoint", "data", "output", "snapshot"); empty if never set.
  QString last_folder(const QString& key) const;
  void set_last_folder(const QString& key, const QString& folder);

  QByteArray window_geometry() const;
  void set_window_geometry(const QByteArray& geometry);
  QByteArray window_state() const;
  void set_window_state(const QByteArray& state);

  QString device() const;  // "auto" | "cpu" | "cuda"
  void set_device(const QString& device);

  // The Training tab's settings as TrainConfig JSON (written at Start); empty before the first run.
  QString training_config() const;
  void set_training_config(const QString& json);
  // The recipe the user picked in the Training tab (a built-in name or a file path, saved with the
  // config at Start); empty while the preset's default recipe applies.
  QString training_recipe() const;
  void set_training_recipe(const QString& name_or_file);
  // Training processes on this machine (1 = in the window's own process; more = data-parallel,
  // docs/distributed.md §6); saved at Start with the config.
  int training_processes() const;
  void set_training_processes(int n);

  QString last_checkpoint() const;
  void set_last_checkpoint(const QString& path);

 private:
  QStringList push_front(const QString& key, const QString& value);
  mutable QSettings s_;
};

}  // namespace pl::ui
