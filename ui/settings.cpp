#include "ui/settings.h"

#include <algorithm>

namespace pl::ui {

Settings::Settings() : s_(QStringLiteral("PolypLens"), QStringLiteral("PolypLens")) {}

QString Settings::overlay_mode() const {
  const QString m = s_.value("overlay/mode", "fill").toString();
  return (m == "fill" || m == "outline" || m == "off") ? m : QStringLiteral("fill");
}
void Settings::set_overlay_mode(const QString& mode) { s_.setValue("overlay/mode", mode); }

double Settings::overlay_alpha() const {
  return std::clamp(s_.value("overlay/alpha", 0.45).toDouble(), 0.0, 1.0);
}
void Settings::set_overlay_alpha(double alpha) { s_.setValue("overlay/alpha", std::clamp(alpha, 0.0, 1.0)); }

bool Settings::overlay_limit_to_view() const { return s_.value("overlay/limit_to_view", true).toBool(); }
void Settings::set_overlay_limit_to_view(bool on) { s_.setValue("overlay/limit_to_view", on); }

bool Settings::hud_visible() const { return s_.value("view/hud", true).toBool(); }
void Settings::set_hud_visible(bool on) { s_.setValue("view/hud", on); }

QStringList Settings::push_front(const QString& key, const QString& value) {
  QStringList list = s_.value(key).toStringList();
  list.removeAll(value);
  list.prepend(value);
  while (list.size() > kMaxRecent) list.removeLast();
  s_.setValue(key, list);
  return list;
}

QStringList Settings::recent_files() const { return s_.value("recent/files").toStringList(); }
void Settings::add_recent_file(const QString& path) {
  if (!path.isEmpty()) push_front("recent/files", path);
}
QStringList Settings::recent_urls() const { return s_.value("recent/urls").toStringList(); }
void Settings::add_recent_url(const QString& url) {
  if (!url.isEmpty()) push_front("recent/urls", url);
}
void Settings::clear_recent() {
  s_.remove("recent/files");
  s_.remove("recent/urls");
}

void Settings::remove_recent(const QString& spec) {
  for (const char* key : {"recent/files", "recent/urls"}) {
    QStringList list = s_.value(key).toStringList();
    if (list.removeAll(spec) > 0) s_.setValue(key, list);
  }
}

QString Settings::last_source() const { return s_.value("source/last").toString(); }
void Settings::set_last_source(const QString& spec) { s_.setValue("source/last", spec); }
bool Settings::first_run() const { return !s_.value("app/started").toBool(); }
void Settings::set_first_run_done() { s_.setValue("app/started", true); }

QString Settings::last_folder(const QString& key) const { return s_.value("folders/" + key).toString(); }
void Settings::set_last_folder(const QString& key, const QString& folder) {
  s_.setValue("folders/" + key, folder);
}

QByteArray Settings::window_geometry() const { return s_.value("window/geometry").toByteArray(); }
void Settings::set_window_geometry(const QByteArray& g) { s_.setValue("window/geometry", g); }
QByteArray Settings::window_state() const { return s_.value("window/state").toByteArray(); }
void Settings::set_window_state(const QByteArray& st) { s_.setValue("window/state", st); }

QString Settings::device() const {
  const QString d = s_.value("model/device", "auto").toString();
  return (d == "auto" || d == "cpu" || d == "cuda") ? d : QStringLiteral("auto");
}
void Settings::set_device(const QString& device) { s_.setValue("model/device", device); }

QString Settings::training_config() const { return s_.value("train/config").toString(); }
void Settings::set_training_config(const QString& json) { s_.setValue("train/config", json); }
QString Settings::training_recipe() const { return s_.value("train/recipe").toString(); }
void Settings::set_training_recipe(const QString& name_or_file) { s_.setValue("train/recipe", name_or_file); }
int Settings::training_processes() const { return std::max(1, s_.value("train/processes", 1).toInt()); }
void Settings::set_training_processes(int n) { s_.setValue("train/processes", std::max(1, n)); }

QString Settings::last_checkpoint() const { return s_.value("model/checkpoint").toString(); }
void Settings::set_last_checkpoint(const QString& path) { s_.setValue("model/checkpoint", path); }

}  // namespace pl::ui
