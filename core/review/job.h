#pragma once
// JobRunner: one long piece of work (a detection pass over a file, a batch export) on its own thread,
// with progress, cancel and exactly one result.
//
// Threading model
//   - start(), cancel(), wait(), running(), progress(), result(): any thread (usually the GUI thread).
//     cancel() only raises a flag; the body checks cancelled() between frames and returns.
//   - The body runs on the job thread; it calls report() with its progress.
//   - on_progress runs on the job thread, at most every `progress_interval_ms` plus once at the end;
//     on_finished runs on the job thread exactly once, after the result is stored. Keep both short
//     (post to the GUI thread); do not destroy the runner from inside them (the destructor joins).
//   - The destructor cancels and joins, so an owner that holds the runner as a member must destroy
//     it before the data the body uses (declare it last, or call cancel() + wait() first).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace pl::core::review {

enum class JobOutcome { NotStarted, Running, Finished, Cancelled, Failed };
const char* to_string(JobOutcome o);

struct JobProgress {
  int64_t done = 0;      // units finished (frames)
  int64_t total = -1;    // -1 if unknown
  double elapsed_s = 0;
  double rate = 0;       // units per second so far
  double fraction() const { return total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0; }
};

struct JobResult {
  JobOutcome outcome = JobOutcome::NotStarted;
  std::string error;  // Failed: what went wrong and where
  JobProgress progress;
};

struct JobCallbacks {
  std::function<void(const JobProgress&)> on_progress;  // job thread
  std::function<void(const JobResult&)> on_finished;    // job thread, once
  int progress_interval_ms = 100;
};

class JobRunner {
 public:
  // The body does the work. Returning normally means Finished, or Cancelled if cancel() was asked;
  // an exception means Failed with its message.
  using Body = std::function<void(JobRunner& job)>;

  explicit JobRunner(JobCallbacks callbacks = {});
  ~JobRunner();  // cancel() + join
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Starts the body on a new thread. Throws std::logic_error if a job is already running; a
  // finished runner may be started again.
  void start(Body body);
  void cancel();
  JobResult wait();  // blocks until the body has returned; the result of the last run
  bool running() const;  // true from start() until on_finished has returned
  JobProgress progress() const;
  JobResult result() const;  // outcome Running while it runs

  // For the body.
  bool cancelled() const { return cancel_.load(std::memory_order_relaxed); }
  void report(int64_t done, int64_t total);

 private:
  void run(Body body);
  JobProgress make_progress(int64_t done, int64_t total) const;

  JobCallbacks callbacks_;
  std::thread thread_;
  std::atomic<bool> cancel_{false};
  std::chrono::steady_clock::time_point started_{};
  std::chrono::steady_clock::time_point last_report_{};  // job thread only

  mutable std::mutex mutex_;
  std::condition_variable done_cv_;
  JobResult result_;     // written by the job thread under mutex_
  bool active_ = false;  // start() -> after on_finished returned
};

}  // namespace pl::core::review
