#include "model/autocast.h"

#include <torch/version.h>

// LibTorch 2.4 generalised the autocast API over device types and deprecated the per-device calls.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define PL_AUTOCAST_BY_DEVICE 1
#else
#define PL_AUTOCAST_BY_DEVICE 0
#endif

namespace pl::model {

AutocastScope::AutocastScope(bool enable, bool cuda, at::ScalarType dtype) : enable_(enable), cuda_(cuda) {
  if (!enable_) return;
#if PL_AUTOCAST_BY_DEVICE
  const auto device = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  prev_ = at::autocast::is_autocast_enabled(device);
  prev_dtype_ = at::autocast::get_autocast_dtype(device);
  at::autocast::set_autocast_dtype(device, dtype);
  at::autocast::set_autocast_enabled(device, true);
#else
  if (cuda_) {
    prev_ = at::autocast::is_enabled();
    prev_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(true);
  } else {
    prev_ = at::autocast::is_cpu_enabled();
    prev_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(true);
  }
#endif
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!enable_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if PL_AUTOCAST_BY_DEVICE
  const auto device = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  at::autocast::set_autocast_enabled(device, prev_);
  at::autocast::set_autocast_dtype(device, prev_dtype_);
#else
  if (cuda_) {
    at::autocast::set_enabled(prev_);
    at::autocast::set_autocast_gpu_dtype(prev_dtype_);
  } else {
    at::autocast::set_cpu_enabled(prev_);
    at::autocast::set_autocast_cpu_dtype(prev_dtype_);
  }
#endif
}

}  // namespace pl::model
