#pragma once
// The one way PolypLens writes a file: to a hidden temporary file in the destination folder, flushed
// to disk, then renamed onto the final name (and the folder flushed). A reader sees either the old
// file or the whole new one, never a half-written file; on any failure the temporary file is removed
// and the error names the path and the reason. Used by checkpoints, run files (config, split,
// metrics), evaluation reports and exports. It lives in model/, the lowest library, because
// checkpoints need it.
//
// Threading model: free functions, no shared state; safe from any thread. Two writers racing for the
// same final name without `replace` cannot both win: the loser gets errno EEXIST.
#include <cstddef>
#include <stdexcept>
#include <string>

namespace pl::io {

class AtomicWriteError : public std::runtime_error {
 public:
  AtomicWriteError(int error, std::string path, const std::string& message)
      : std::runtime_error(message), error_(error), path_(std::move(path)) {}
  int error() const { return error_; }                // errno of the failed step
  const std::string& path() const { return path_; }  // the file that could not be written

 private:
  int error_;
  std::string path_;
};

// "the disk is full", "permission denied (read-only folder?)", ... for an errno.
std::string describe_errno(int err);

// Writes `size` bytes atomically. `replace` = false never replaces an existing file (EEXIST).
// Throws AtomicWriteError: "cannot write '<path>': <reason>".
void write_file_atomic(const std::string& path, const void* data, size_t size, bool replace = true);
inline void write_file_atomic(const std::string& path, const std::string& text, bool replace = true) {
  write_file_atomic(path, text.data(), text.size(), replace);
}

// Copies `from` onto `to` atomically (e.g. last.pt -> best.pt). Throws AtomicWriteError.
void copy_file_atomic(const std::string& from, const std::string& to);

// Flushes a folder's entries (the renames) to disk; best effort, never throws.
void sync_dir(const std::string& dir);

}  // namespace pl::io
