#pragma once
// A folder that really is read-only for this process, also when the tests run as root (CI containers):
// the folder's mode is set to r-x and, as root, CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH / CAP_FOWNER are
// dropped from the calling thread's effective set (threads started meanwhile inherit that) and
// restored afterwards. `writable_probe()` lets a test assert that the folder refuses writes before
// it relies on that.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace pl::test {

class ReadOnlyDir {
 public:
  explicit ReadOnlyDir(std::string dir) : dir_(std::move(dir)) {
    ::chmod(dir_.c_str(), 0555);
    if (::geteuid() == 0) {
      header_.version = _LINUX_CAPABILITY_VERSION_3;
      header_.pid = 0;
      if (::syscall(SYS_capget, &header_, saved_) == 0) {
        __user_cap_data_struct reduced[2];
        std::memcpy(reduced, saved_, sizeof reduced);
        reduced[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) | (1u << CAP_FOWNER));
        dropped_ = ::syscall(SYS_capset, &header_, reduced) == 0;
      }
    }
  }
  ~ReadOnlyDir() {
    if (dropped_) ::syscall(SYS_capset, &header_, saved_);
    ::chmod(dir_.c_str(), 0755);
  }
  ReadOnlyDir(const ReadOnlyDir&) = delete;
  ReadOnlyDir& operator=(const ReadOnlyDir&) = delete;

  // True if a file can still be created in the folder (then the test cannot check refusals).
  bool writable_probe() const {
    const std::string p = dir_ + "/.probe";
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return false;
    ::close(fd);
    ::unlink(p.c_str());
    return true;
  }

 private:
  std::string dir_;
  bool dropped_ = false;
  __user_cap_header_struct header_{};
  __user_cap_data_struct saved_[2]{};
};

}  // namespace pl::test
