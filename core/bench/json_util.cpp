#include "core/bench/json_util.h"

#include <QJsonDocument>

namespace pl::core::bench {

void add_stats(QJsonObject& o, const Stats& s) {
  o["runs"] = s.runs;
  o["median_ms"] = s.median_ms;
  o["p90_ms"] = s.p90_ms;
  o["min_ms"] = s.min_ms;
  o["max_ms"] = s.max_ms;
  o["mean_ms"] = s.mean_ms;
  if (s.cpu_median_ms > 0) o["cpu_median_ms"] = s.cpu_median_ms;
}

QJsonObject to_json(const Stats& s) {
  QJsonObject o;
  add_stats(o, s);
  return o;
}

std::string json_text(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString(); }

}  // namespace pl::core::bench
