#pragma once
// What a benchmark ran on, recorded with its numbers: CPU model, cores, load average before and
// after (a busy machine makes every figure slower, so the report says how busy it was).
#include <string>

#include "core/base/json.h"

namespace pl::core::bench {

struct Environment {
  std::string cpu;          // /proc/cpuinfo "model name"
  int logical_cpus = 0;
  bool native_bf16 = false;
  double load_before = -1;  // 1-minute load average at capture(); -1 when unknown
  double load_after = -1;   // set by finish()
  std::string started;      // ISO 8601 UTC

  static Environment capture();
  void finish();            // records load_after
  std::string line() const; // one line for the terminal
  pl::json::Json json() const;  // {"cpu", "logical_cpus", "native_bf16", "load_before", "load_after", "started"}
};

// 1-minute load average from /proc/loadavg, -1 when unavailable.
double load_average();

}  // namespace pl::core::bench
