#pragma once
// LatestSlot<T>: a mailbox of depth one where the latest item wins.
//
// put() never blocks: it replaces an item nobody has taken yet and counts that as a drop. A consumer
// either polls (try_take) or waits (take). This is the hand-off between a producer that must keep its
// rate (capture) and a consumer that may be slower (inference, the GUI).
//
// Threading model: any number of producers and consumers, all methods thread-safe; the item is moved
// in and out under the lock, so T should be cheap to move (cv::Mat shares its pixels).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

namespace pl::core {

struct SlotCounters {
  int64_t put = 0;       // items offered
  int64_t replaced = 0;  // items overwritten before anyone took them (drops)
  int64_t taken = 0;     // items handed to a consumer
};

template <typename T>
class LatestSlot {
 public:
  // Stores `item`; returns true when it replaced an untaken one (a drop). Ignored after close().
  bool put(T item) {
    bool replaced = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return false;
      replaced = item_.has_value();
      item_ = std::move(item);
      ++counters_.put;
      if (replaced) ++counters_.replaced;
    }
    ready_.notify_one();
    return replaced;
  }

  // Takes the item if there is one; never blocks.
  std::optional<T> try_take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return take_locked();
  }

  // Waits up to `timeout` for an item; empty on timeout or when closed.
  template <typename Rep, typename Period>
  std::optional<T> take(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait_for(lock, timeout, [&] { return closed_ || item_.has_value(); });
    return take_locked();
  }

  // Wakes waiting consumers; later put()s are ignored. The pending item, if any, stays takeable.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  // Re-opens after close() and forgets any pending item (counters are kept).
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = false;
    item_.reset();
  }

  bool closed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }

  bool has_item() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return item_.has_value();
  }

  SlotCounters counters() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counters_;
  }

 private:
  std::optional<T> take_locked() {
    std::optional<T> out;
    if (item_) {
      out = std::move(item_);
      item_.reset();
      ++counters_.taken;
    }
    return out;
  }

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<T> item_;
  SlotCounters counters_;
  bool closed_ = false;
};

}  // namespace pl::core
