#include "core/bench/timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include <time.h>

namespace pl::core::bench {

void TimingOptions::validate() const {
  if (warmup < 0) throw std::invalid_argument("TimingOptions.warmup = " + std::to_string(warmup) + ": must be >= 0");
  if (runs < 1) throw std::invalid_argument("TimingOptions.runs = " + std::to_string(runs) + ": must be >= 1");
  if (!(max_seconds > 0))
    throw std::invalid_argument("TimingOptions.max_seconds = " + std::to_string(max_seconds) + ": must be > 0");
}

Stats summarize(std::vector<double> samples) {
  Stats s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  auto rank = [&](double p) { return samples[std::max<size_t>(1, size_t(std::ceil(p * n))) - 1]; };
  s.runs = int(n);
  s.median_ms = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  s.p90_ms = rank(0.9);
  s.min_ms = samples.front();
  s.max_ms = samples.back();
  s.mean_ms = std::accumulate(samples.begin(), samples.end(), 0.0) / double(n);
  return s;
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

Stats time_runs(const std::function<void()>& fn, const TimingOptions& options) {
  options.validate();
  for (int i = 0; i < options.warmup; ++i) fn();
  std::vector<double> samples, cpu;
  const double start = now_ms();
  for (int i = 0; i < options.runs; ++i) {
    const double t0 = now_ms(), c0 = process_cpu_ms();
    fn();
    cpu.push_back(process_cpu_ms() - c0);
    samples.push_back(now_ms() - t0);
    if (now_ms() - start > options.max_seconds * 1000.0) break;
  }
  Stats s = summarize(std::move(samples));
  s.cpu_median_ms = summarize(std::move(cpu)).median_ms;
  return s;
}

std::string format_ms(double ms) {
  char buf[32];
  if (ms >= 100) std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  else if (ms >= 10) std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  else if (ms >= 0.1) std::snprintf(buf, sizeof buf, "%.2f ms", ms);
  else std::snprintf(buf, sizeof buf, "%.3f ms", ms);
  return buf;
}

}  // namespace pl::core::bench
