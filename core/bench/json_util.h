#pragma once
// JSON pieces shared by the suites' reports (QtCore's QJson*, no torch).
#include <string>

#include <QJsonObject>
#include <QString>

#include "core/bench/timing.h"

namespace pl::core::bench {

// {"runs", "median_ms", "p90_ms", "min_ms", "max_ms", "mean_ms"}
QJsonObject to_json(const Stats& s);
// Adds the fields of `s` to `o` (flat, for rows that carry their own labels).
void add_stats(QJsonObject& o, const Stats& s);

inline QString qs(const std::string& s) { return QString::fromStdString(s); }

// Indented JSON text of an object.
std::string json_text(const QJsonObject& o);

}  // namespace pl::core::bench
