#include "core/export/file_writer.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <opencv2/imgcodecs.hpp>

#include "model/atomic_file.h"

namespace fs = std::filesystem;

namespace pl::core::exporting {
namespace {

ExportError::Kind kind_of(int err) {
  switch (err) {
    case EACCES: case EPERM: case EROFS: case ENOENT: case ENOTDIR: return ExportError::Kind::NotWritable;
    case ENOSPC: case EDQUOT: case EFBIG: return ExportError::Kind::NoSpace;
    case EEXIST: return ExportError::Kind::Exists;
    default: return ExportError::Kind::Other;
  }
}

[[noreturn]] void fail(int err, const std::string& path, const std::string& what) {
  throw ExportError(kind_of(err), path, "cannot " + what + " '" + path + "': " + pl::io::describe_errno(err));
}

std::string temp_name_for(const fs::path& final_path) {
  static std::atomic<uint64_t> counter{0};
  const auto dir = final_path.parent_path();
  const auto name = "." + final_path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter.fetch_add(1));
  return (dir / name).string();
}

}  // namespace

ExportError::ExportError(Kind kind, std::string path, const std::string& message)
    : std::runtime_error(message), kind_(kind), path_(std::move(path)) {}

void ensure_writable_dir(const std::string& dir) {
  if (dir.empty()) throw ExportError(ExportError::Kind::NotWritable, dir, "no output folder given");
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw ExportError(ExportError::Kind::NotWritable, dir, "cannot export to '" + dir + "': it is not a folder");
  fs::create_directories(dir, ec);
  if (ec) fail(ec.value(), dir, "create the folder");
  // Permission bits do not tell the whole story (root, ACLs, read-only mounts): try it.
  const std::string probe = temp_name_for(fs::path(dir) / "probe");
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail(errno, dir, "write into the folder");
  ::close(fd);
  ::unlink(probe.c_str());
}

void write_file_atomic(const std::string& path, const void* data, size_t size, bool replace) {
  try {
    pl::io::write_file_atomic(path, data, size, replace);
  } catch (const pl::io::AtomicWriteError& e) {
    throw ExportError(kind_of(e.error()), path, e.what());
  }
}

void write_png_atomic(const std::string& path, const cv::Mat& image) {
  if (image.empty() || image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
    throw ExportError(ExportError::Kind::Encode, path,
                      "cannot write '" + path + "': the image must be 8-bit with 1 or 3 channels");
  std::vector<uchar> png;
  bool ok = false;
  try {
    // Level 1: a 640x512 frame encodes in a few ms; higher levels cost 5-10x for ~10 % smaller files.
    ok = cv::imencode(".png", image, png, {cv::IMWRITE_PNG_COMPRESSION, 1});
  } catch (const cv::Exception& e) {
    throw ExportError(ExportError::Kind::Encode, path, "cannot encode '" + path + "': " + e.what());
  }
  if (!ok) throw ExportError(ExportError::Kind::Encode, path, "cannot encode '" + path + "' as PNG");
  write_file_atomic(path, png.data(), png.size());
}

void sync_dir(const std::string& dir) { pl::io::sync_dir(dir); }

std::string sanitize_name(const std::string& s) {
  std::string out;
  bool pending_sep = false;
  for (unsigned char c : s) {
    const bool keep = std::isalnum(c) || c == '-' || c == '_' || c == '.';
    if (!keep) {
      pending_sep = !out.empty();
      continue;
    }
    if (pending_sep) out += '_';
    pending_sep = false;
    out += static_cast<char>(c);
    if (out.size() >= 64) break;
  }
  while (!out.empty() && (out.front() == '.' || out.front() == '_')) out.erase(out.begin());
  return out.empty() ? "export" : out;
}

std::string source_stem(const std::string& source) {
  std::string s = source;
  const auto scheme = s.find("://");
  if (scheme != std::string::npos) {
    s = s.substr(scheme + 3);
    const auto at = s.rfind('@', s.find('/'));  // drop credentials
    if (at != std::string::npos) s = s.substr(at + 1);
    return sanitize_name(s);
  }
  const fs::path p(s);
  return sanitize_name(p.stem().string());
}

std::string file_time(std::time_t t) {
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

std::string iso8601_utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

std::string unique_stem(const std::string& dir, const std::string& stem, const std::vector<std::string>& suffixes) {
  for (int n = 1;; ++n) {
    const std::string candidate = n == 1 ? stem : stem + "_" + std::to_string(n);
    bool free = true;
    for (const auto& suffix : suffixes) {
      std::error_code ec;
      if (fs::exists(fs::path(dir) / (candidate + suffix), ec)) {
        free = false;
        break;
      }
    }
    if (free) return candidate;
  }
}

}  // namespace pl::core::exporting
