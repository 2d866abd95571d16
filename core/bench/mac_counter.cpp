#include "core/bench/mac_counter.h"

#include <cstring>
#include <memory>
#include <stdexcept>

#include <ATen/core/Tensor.h>
#include <ATen/record_function.h>

namespace pl::core::bench {
namespace {

thread_local MacCount* t_count = nullptr;

int64_t numel_of(c10::IntArrayRef sizes) {
  int64_t n = 1;
  for (auto s : sizes) n *= s;
  return n;
}

// aten::convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)
int64_t conv_macs(c10::ArrayRef<const c10::IValue> in) {
  if (in.size() < 9 || !in[0].isTensor() || !in[1].isTensor()) return 0;
  const auto x = in[0].toTensor().sizes();
  const auto w = in[1].toTensor().sizes();
  if (x.size() < 3 || w.size() != x.size()) return 0;
  const auto stride = in[3].toIntVector(), padding = in[4].toIntVector(), dilation = in[5].toIntVector();
  const bool transposed = in[6].toBool();
  const size_t spatial = x.size() - 2;
  auto at = [](const std::vector<int64_t>& v, size_t i) { return v.size() == 1 ? v[0] : v.at(i); };
  // Every output (or, transposed, input) position multiplies a Cin/groups x k x k window per output channel.
  int64_t positions = x[0];
  for (size_t i = 0; i < spatial; ++i) {
    const int64_t k = w[2 + i];
    positions *= transposed ? x[2 + i]
                            : (x[2 + i] + 2 * at(padding, i) - at(dilation, i) * (k - 1) - 1) / at(stride, i) + 1;
  }
  // weight: Cout x Cin/groups x k... (transposed: Cin x Cout/groups x k...); either way each position
  // costs numel(weight) multiply-accumulates.
  return positions * numel_of(w);
}

// Products (.., n, k) x (.., k, m) with batch dims folded in: the first two tensor arguments after
// an optional bias.
int64_t matmul_macs(c10::ArrayRef<const c10::IValue> in, size_t first) {
  if (in.size() < first + 2 || !in[first].isTensor() || !in[first + 1].isTensor()) return 0;
  const auto a = in[first].toTensor().sizes(), b = in[first + 1].toTensor().sizes();
  if (a.size() < 2 || b.size() < 2) return 0;
  return numel_of(a) * b[b.size() - 1];  // (batch * n * k) * m
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  if (!t_count) return nullptr;
  const char* name = fn.name();
  if (std::strcmp(name, "aten::convolution") == 0) t_count->conv += conv_macs(fn.inputs());
  else if (std::strcmp(name, "aten::mm") == 0 || std::strcmp(name, "aten::bmm") == 0)
    t_count->matmul += matmul_macs(fn.inputs(), 0);
  else if (std::strcmp(name, "aten::addmm") == 0 || std::strcmp(name, "aten::baddbmm") == 0)
    t_count->matmul += matmul_macs(fn.inputs(), 1);
  return nullptr;
}

}  // namespace

MacCount count_macs(const std::function<void()>& fn) {
  if (t_count) throw std::logic_error("count_macs: already counting on this thread");
  MacCount count;
  t_count = &count;
  at::RecordFunctionGuard enable(true);
  const auto handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback(on_start).needsInputs(true).scopes({at::RecordScope::FUNCTION}));
  try {
    fn();
  } catch (...) {
    at::removeCallback(handle);
    t_count = nullptr;
    throw;
  }
  at::removeCallback(handle);
  t_count = nullptr;
  return count;
}

}  // namespace pl::core::bench
