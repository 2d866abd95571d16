#pragma once
// What Python's `with torch.autocast(device, dtype=torch.bfloat16):` does on entry and exit, for
// LibTorch 1.13 (the Debian build this project compiles against).
#include <ATen/autocast_mode.h>

namespace pl::core::bench {

class AutocastScope {
 public:
  AutocastScope(bool enable, bool cuda) : enable_(enable), cuda_(cuda) {
    if (!enable_) return;
    if (cuda_) {
      prev_ = at::autocast::is_enabled();
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      prev_ = at::autocast::is_cpu_enabled();
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!enable_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    if (cuda_) at::autocast::set_enabled(prev_);
    else at::autocast::set_cpu_enabled(prev_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enable_, cuda_, prev_ = false;
};

}  // namespace pl::core::bench
