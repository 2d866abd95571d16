#include "core/data/intraop.h"

#include <ATen/Parallel.h>

// libgomp is loaded with LibTorch; a weak reference keeps us linkable if a build has no OpenMP.
extern "C" void omp_set_num_threads(int) __attribute__((weak));

namespace pl::core::data {

void use_one_intraop_thread_here() {
  // ATen initialises each thread's count lazily on first use, from the process default; do that
  // first so it cannot overwrite the setting below later.
  (void)at::get_num_threads();
  if (omp_set_num_threads) omp_set_num_threads(1);
}

}  // namespace pl::core::data
