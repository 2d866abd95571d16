#pragma once
// Helper threads (image decoders, the batch producer) should run their tensor ops on one intra-op
// thread so they do not fight the model's OpenMP team for the cores.
//
// Not at::set_num_threads(1): in LibTorch 1.13 that call also writes process-wide state (the
// default count every new thread starts from, the pthreadpool size, oneDNN's computation cache),
// and calling it from a helper thread made two identical training runs differ in the last float
// bits. This only changes the calling thread's OpenMP setting.
namespace pl::core::data {

void use_one_intraop_thread_here();

}  // namespace pl::core::data
