#pragma once
// Latency statistics and the timing loop every suite uses: warm-up runs that are not counted, then
// measured runs until a count or a time budget is reached, whichever comes first.
#include <functional>
#include <string>
#include <vector>

namespace pl::core::bench {

struct TimingOptions {
  int warmup = 2;            // runs before measuring (first-call allocations, oneDNN primitive caches)
  int runs = 10;             // measured runs (at least 1 is always taken)
  double max_seconds = 60;   // stop measuring after this much time, even before `runs`

  void validate() const;     // throws std::invalid_argument naming the bad value
};

struct Stats {
  int runs = 0;
  double median_ms = 0, p90_ms = 0, min_ms = 0, max_ms = 0, mean_ms = 0;
  // Process CPU time per run, median (all threads, OpenMP spinning included). With one thread it
  // hardly depends on other load, so it compares variants on a busy machine; 0 when not measured.
  double cpu_median_ms = 0;

  bool empty() const { return runs == 0; }
};

// Nearest-rank percentiles over the samples (ms); empty input gives empty Stats.
Stats summarize(std::vector<double> samples_ms);

// Times fn() per TimingOptions; returns the statistics of the measured runs (wall and CPU time).
Stats time_runs(const std::function<void()>& fn, const TimingOptions& options);

// Monotonic milliseconds, for hand-rolled measurements.
double now_ms();
// CPU time of this process (all threads) in milliseconds.
double process_cpu_ms();

// "1234 ms", "12.3 ms", "0.42 ms", "0.004 ms": about three significant figures for tables.
std::string format_ms(double ms);

}  // namespace pl::core::bench
