#include "core/review/job.h"

#include <exception>
#include <stdexcept>

namespace pl::core::review {

const char* to_string(JobOutcome o) {
  switch (o) {
    case JobOutcome::NotStarted: return "not started";
    case JobOutcome::Running: return "running";
    case JobOutcome::Finished: return "finished";
    case JobOutcome::Cancelled: return "cancelled";
    case JobOutcome::Failed: return "failed";
  }
  return "unknown";
}

JobRunner::JobRunner(JobCallbacks callbacks) : callbacks_(std::move(callbacks)) {}

JobRunner::~JobRunner() {
  cancel();
  if (thread_.joinable()) thread_.join();
}

void JobRunner::start(Body body) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (active_) throw std::logic_error("job: already running");
  if (thread_.joinable()) thread_.join();  // the previous run has finished its callbacks
  cancel_ = false;
  result_ = JobResult{};
  result_.outcome = JobOutcome::Running;
  active_ = true;
  started_ = last_report_ = std::chrono::steady_clock::now();
  thread_ = std::thread(&JobRunner::run, this, std::move(body));
}

void JobRunner::cancel() { cancel_ = true; }

JobResult JobRunner::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [&] { return !active_; });
  return result_;
}

bool JobRunner::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return active_;
}

JobProgress JobRunner::progress() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return result_.progress;
}

JobResult JobRunner::result() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return result_;
}

JobProgress JobRunner::make_progress(int64_t done, int64_t total) const {
  JobProgress p;
  p.done = done;
  p.total = total;
  p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  p.rate = p.elapsed_s > 0 ? static_cast<double>(done) / p.elapsed_s : 0.0;
  return p;
}

void JobRunner::report(int64_t done, int64_t total) {
  const JobProgress p = make_progress(done, total);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    result_.progress = p;
  }
  const auto now = std::chrono::steady_clock::now();
  if (callbacks_.on_progress && now - last_report_ >= std::chrono::milliseconds(callbacks_.progress_interval_ms)) {
    last_report_ = now;
    callbacks_.on_progress(p);
  }
}

void JobRunner::run(Body body) {
  JobOutcome outcome = JobOutcome::Finished;
  std::string error;
  try {
    body(*this);
    if (cancelled()) outcome = JobOutcome::Cancelled;
  } catch (const std::exception& e) {
    outcome = JobOutcome::Failed;
    error = e.what();
  } catch (...) {
    outcome = JobOutcome::Failed;
    error = "unknown error";
  }
  JobResult r;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    result_.progress = make_progress(result_.progress.done, result_.progress.total);
    result_.outcome = outcome;
    result_.error = error;
    r = result_;
  }
  if (callbacks_.on_progress) callbacks_.on_progress(r.progress);
  // Notify waiters after the callback so that wait() returning means on_finished has run.
  if (callbacks_.on_finished) callbacks_.on_finished(r);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    active_ = false;
  }
  done_cv_.notify_all();
}

}  // namespace pl::core::review
