#pragma once
// JSON pieces shared by the suites' reports (pl::json = nlohmann/json, header-only; no Qt, no torch).
#include <string>

#include "core/base/json.h"
#include "core/bench/timing.h"

namespace pl::core::bench {

// {"runs", "median_ms", "p90_ms", "min_ms", "max_ms", "mean_ms"} (+ "cpu_median_ms" when measured)
pl::json::Json to_json(const Stats& s);
// Adds the fields of `s` to the object `o` (flat, for rows that carry their own labels).
void add_stats(pl::json::Json& o, const Stats& s);

// Indented JSON text (4 spaces, keys sorted, a final newline).
std::string json_text(const pl::json::Json& j);

}  // namespace pl::core::bench
