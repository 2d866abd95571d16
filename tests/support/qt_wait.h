#pragma once
// Waits in GUI tests: the event loop keeps running (queued signals, timers, repaints) while waiting.
#include <functional>

#include <QElapsedTimer>
#include <QtTest>

namespace pl::test {

// True as soon as `cond` holds; false after `timeout_ms`.
inline bool wait_until(const std::function<bool()>& cond, int timeout_ms) {
  QElapsedTimer t;
  t.start();
  while (!cond()) {
    if (t.elapsed() > timeout_ms) return false;
    QTest::qWait(20);
  }
  return true;
}

}  // namespace pl::test
