#pragma once
// Small conversions shared by the benchmarks: dtype and device names, device synchronisation.
#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace pl::core::bench {

// "fp32" | "bf16" | "fp16"; throws std::invalid_argument listing the valid names.
c10::ScalarType scalar_type_of(const std::string& dtype);
// "cpu" | "cuda"; throws std::invalid_argument for others, std::runtime_error for cuda without CUDA.
c10::Device device_of(const std::string& device);
// Waits for queued work on a CUDA device; no-op on the CPU.
void synchronize(const c10::Device& device);
// True when this CPU runs bf16 matrix products natively (AVX-512 BF16 / AMX); otherwise bf16 is
// emulated and slower than fp32, which the tables should say.
bool cpu_has_native_bf16();

}  // namespace pl::core::bench
