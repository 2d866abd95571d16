#pragma once
// The machine's dense matrix-product speed through at::mm (OpenBLAS for fp32, oneDNN for bf16 on
// CPUs with AVX-512 BF16), used as the physical floor for a model: MACs x 2 / peak. Convolutions
// run at about the same rate on this class of CPU (spec/toolchain.md: fp32 3x3 conv ~220 GFLOP/s
// vs mm ~195), so the floor is what a perfect implementation of the model's arithmetic would take.
#include <string>

namespace pl::core::bench {

struct MatmulPeak {
  std::string dtype;       // "fp32" | "bf16" | "fp16"
  std::string device;      // "cpu" | "cuda"
  int n = 0;               // square size n x n x n
  double gflops = 0;       // best run (a peak, not a typical value)
  double median_gflops = 0;
  // GFLOP per CPU-second (process CPU time, all threads), best run: with the model's CPU time this
  // gives a floor that other load hardly moves (see floor_ms / VariantResult::over_floor_cpu).
  double cpu_gflops = 0;
};

// Square products of size n; runs `runs` timed products after one warm-up. Throws
// std::invalid_argument for an unknown dtype or n < 16; std::runtime_error when the dtype is not
// supported on the device.
MatmulPeak measure_matmul_peak(const std::string& dtype, int n = 2048, int runs = 5, const std::string& device = "cpu");

// Milliseconds that `macs` multiply-accumulates take at `gflops` (0 when gflops <= 0).
double floor_ms(double macs, double gflops);

}  // namespace pl::core::bench
