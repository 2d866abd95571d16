#pragma once
// What Python's `with torch.autocast(device, dtype=torch.bfloat16):` does on entry and exit: the one
// autocast scope of PolypLens (trainer, benchmarks, GPU check). Works with LibTorch 1.13 (Debian) and
// 2.x, which generalised the API over device types in 2.4 and deprecated the per-device calls.
#include <ATen/autocast_mode.h>
#include <c10/core/ScalarType.h>

namespace pl::model {

class AutocastScope {
 public:
  AutocastScope(bool enable, bool cuda, at::ScalarType dtype = at::kBFloat16);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enable_, cuda_, prev_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

}  // namespace pl::model
