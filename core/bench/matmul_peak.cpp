#include "core/bench/matmul_peak.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <ATen/ATen.h>

#include "core/bench/timing.h"
#include "core/bench/torch_util.h"

namespace pl::core::bench {

MatmulPeak measure_matmul_peak(const std::string& dtype, int n, int runs, const std::string& device) {
  if (n < 16) throw std::invalid_argument("measure_matmul_peak: n = " + std::to_string(n) + ": must be >= 16");
  if (runs < 1) throw std::invalid_argument("measure_matmul_peak: runs = " + std::to_string(runs) + ": must be >= 1");
  const auto type = scalar_type_of(dtype);
  const auto dev = device_of(device);
  at::InferenceMode guard;
  auto opts = at::TensorOptions().dtype(type).device(dev);
  auto a = at::randn({n, n}, opts), b = at::randn({n, n}, opts);
  std::vector<double> ms, cpu;
  for (int i = 0; i <= runs; ++i) {
    const double t0 = now_ms(), c0 = process_cpu_ms();
    auto c = at::mm(a, b);
    synchronize(dev);
    if (i == 0) continue;  // the first product sets up buffers and kernels
    ms.push_back(now_ms() - t0);
    cpu.push_back(process_cpu_ms() - c0);
  }
  const double flop = 2.0 * double(n) * n * n;
  MatmulPeak p;
  p.dtype = dtype;
  p.device = device;
  p.n = n;
  p.gflops = flop / (*std::min_element(ms.begin(), ms.end()) * 1e6);
  p.median_gflops = flop / (summarize(ms).median_ms * 1e6);
  const double best_cpu = *std::min_element(cpu.begin(), cpu.end());
  p.cpu_gflops = best_cpu > 0 ? flop / (best_cpu * 1e6) : 0;
  return p;
}

double floor_ms(double macs, double gflops) { return gflops > 0 ? 2.0 * macs / (gflops * 1e6) : 0.0; }

}  // namespace pl::core::bench
