#pragma once
// ThreadedFrameSource: the control half shared by the sources that produce frames on one internal
// thread of their own (FakeFrameSource, ImageFolderSource): open() starts the thread, start()/pause()/
// stop() and seek requests are flags under one mutex that wake it, stop() joins. Subclasses write run()
// and must call stop() in their own destructor (the thread runs their code).
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/video/frame_source.h"

namespace pl::core {

class ThreadedFrameSource : public FrameSource {
 public:
  void open() override;
  void start() override;
  void pause() override;
  void stop() override;

 protected:
  virtual void run() = 0;
  // Asks the thread to seek to frame `index` (already validated by the caller).
  void request_seek(int64_t index);
  void store_rate(double rate);

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;  // guarded by mutex_
  bool play_requested_ = false;  // guarded by mutex_
  int64_t seek_target_ = -1;     // guarded by mutex_; -1 = none
  double rate_ = 1.0;            // guarded by mutex_
};

}  // namespace pl::core
