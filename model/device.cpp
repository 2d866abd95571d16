#include "model/device.h"

#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>

namespace pl::model {

c10::Device select_device(const std::string& pref) {
  const bool cuda = torch::cuda::is_available();
  c10::Device device(c10::kCPU);
  if (pref == "auto") {
    device = cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  } else if (pref == "cpu") {
    device = c10::Device(c10::kCPU);
  } else if (pref == "cuda" || pref.rfind("cuda:", 0) == 0) {
    if (!cuda)
      throw std::invalid_argument("device '" + pref + "': CUDA is not available (" +
                                  std::string(at::hasCUDA() ? "no usable GPU found" : "this LibTorch has no CUDA support") +
                                  "); use --device cpu or auto");
    int index = 0;
    if (pref.size() > 5) {
      try {
        size_t used = 0;
        index = std::stoi(pref.substr(5), &used);
        if (used != pref.size() - 5 || index < 0) throw std::invalid_argument(pref);
      } catch (const std::exception&) {
        throw std::invalid_argument("device '" + pref + "': expected cuda:N with N a GPU index");
      }
    }
    const auto count = static_cast<int>(torch::cuda::device_count());
    if (index >= count)
      throw std::invalid_argument("device '" + pref + "': only " + std::to_string(count) + " CUDA device(s)");
    device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
  } else {
    throw std::invalid_argument("device '" + pref + "': expected auto, cpu, cuda or cuda:N");
  }
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  return device;
}

void configure_cpu_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}

std::string describe_device(const c10::Device& device) {
  if (device.is_cpu()) return "cpu (" + std::to_string(at::get_num_threads()) + " threads)";
  return device.str();
}

bool cpu_has_native_bf16() {
  static const bool has = [] {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("flags", 0) == 0)
        return line.find(" avx512_bf16") != std::string::npos || line.find(" amx_bf16") != std::string::npos;
    return false;
  }();
  return has;
}

}  // namespace pl::model
