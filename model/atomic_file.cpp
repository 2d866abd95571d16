#include "model/atomic_file.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace fs = std::filesystem;

namespace pl::io {
namespace {

std::string temp_name_for(const fs::path& final_path) {
  static std::atomic<uint64_t> counter{0};
  const auto name = "." + final_path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter.fetch_add(1));
  return (final_path.parent_path() / name).string();
}

// rename() without replacing: RENAME_NOREPLACE where the file system supports it, otherwise a hard
// link (which also refuses an existing name) and unlink of the temporary.
int rename_noreplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  if (::link(from.c_str(), to.c_str()) != 0) return errno;
  ::unlink(from.c_str());
  return 0;
}

[[noreturn]] void fail(int err, const std::string& path) {
  throw AtomicWriteError(err, path, "cannot write '" + path + "': " + describe_errno(err));
}

}  // namespace

std::string describe_errno(int err) {
  switch (err) {
    case EROFS: return "the file system is read-only";
    case EACCES: case EPERM: return "permission denied (read-only folder?)";
    case ENOSPC: return "the disk is full";
    case EDQUOT: return "the disk quota is exhausted";
    case EFBIG: return "the file is larger than allowed (file-size limit)";
    case ENOENT: return "the folder does not exist";
    case ENOTDIR: return "a part of the path is not a folder";
    case EEXIST: return "a file of that name already exists (not overwritten)";
    default: return std::strerror(err);
  }
}

void write_file_atomic(const std::string& path, const void* data, size_t size, bool replace) {
  const fs::path final_path(path);
  const std::string tmp = temp_name_for(final_path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail(errno, path);
  const char* p = static_cast<const char*>(data);
  size_t left = size;
  int err = 0;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (!err) err = replace ? (::rename(tmp.c_str(), path.c_str()) == 0 ? 0 : errno) : rename_noreplace(tmp, path);
  if (err) {
    ::unlink(tmp.c_str());
    fail(err, path);
  }
  const auto dir = final_path.parent_path();
  sync_dir(dir.empty() ? "." : dir.string());
}

void copy_file_atomic(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw AtomicWriteError(errno, to, "cannot copy '" + from + "' to '" + to + "': " + describe_errno(errno));
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw AtomicWriteError(EIO, to, "cannot copy '" + from + "' to '" + to + "': read error");
  write_file_atomic(to, bytes.data(), bytes.size(), /*replace=*/true);
}

void sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace pl::io
