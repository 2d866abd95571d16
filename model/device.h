#pragma once
// Device choice and CPU threading for model code.
#include <string>

#include <c10/core/Device.h>

namespace pl::model {

// "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N". Throws std::invalid_argument
// for an unknown name or an unavailable CUDA device (saying why). On CUDA, enables the cuDNN
// autotuner (input sizes are fixed per session, so benchmarking pays off).
c10::Device select_device(const std::string& pref);

// Intra-op threads for LibTorch (its default here is 1). n <= 0 means all hardware threads.
// Call before the first model run.
void configure_cpu_threads(int n);

// True when this CPU runs bf16 matrix products natively (AVX-512 BF16 or AMX); without them bf16 is
// emulated and slower than fp32. Read once from /proc/cpuinfo.
bool cpu_has_native_bf16();

// "cpu", or "cuda:N (<name>)" style text for logs and `polyplens info`.
std::string describe_device(const c10::Device& device);

}  // namespace pl::model
