#include "core/bench/json_util.h"

namespace pl::core::bench {

void add_stats(pl::json::Json& o, const Stats& s) {
  o["runs"] = s.runs;
  o["median_ms"] = pl::json::number(s.median_ms);
  o["p90_ms"] = pl::json::number(s.p90_ms);
  o["min_ms"] = pl::json::number(s.min_ms);
  o["max_ms"] = pl::json::number(s.max_ms);
  o["mean_ms"] = pl::json::number(s.mean_ms);
  if (s.cpu_median_ms > 0) o["cpu_median_ms"] = pl::json::number(s.cpu_median_ms);
}

pl::json::Json to_json(const Stats& s) {
  auto o = pl::json::Json::object();
  add_stats(o, s);
  return o;
}

// As pl::json::dump(j, true), but text that is not valid UTF-8 (a CPU name, an exception message or
// a subprocess's stderr) becomes U+FFFD instead of throwing after a long benchmark run.
std::string json_text(const pl::json::Json& j) {
  return j.dump(4, ' ', false, pl::json::Json::error_handler_t::replace) + "\n";
}

}  // namespace pl::core::bench
