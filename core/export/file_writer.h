#pragma once
// Writing export files so that nothing is overwritten and nothing half-written is left behind.
//
// Every file is written to a hidden temporary file in the destination folder, flushed to disk and then
// renamed onto its final name with RENAME_NOREPLACE: a reader sees either no file or the whole file,
// an existing file is never replaced, and on any failure the temporary file is removed and the error
// names the path. Files written before a failure stay as they are.
//
// Threading model: free functions, no shared state; safe from any thread. Two threads (or processes)
// racing for the same final name cannot both win: the loser gets ExportError (kind Exists).
#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace pl::core::exporting {

class ExportError : public std::runtime_error {
 public:
  enum class Kind {
    NotWritable,  // folder missing / read-only / permission denied
    NoSpace,      // disk full or file-size limit
    Exists,       // the final name is taken (never overwritten)
    Encode,       // the image could not be encoded
    Other,
  };
  ExportError(Kind kind, std::string path, const std::string& message);
  Kind kind() const { return kind_; }
  const std::string& path() const { return path_; }  // the file or folder that failed

 private:
  Kind kind_;
  std::string path_;
};

// Creates `dir` (and its parents) if needed and checks that a file can be created in it. Throws
// ExportError naming the folder ("... is read-only", "... is not a folder").
void ensure_writable_dir(const std::string& dir);

// Writes `bytes` to `path` atomically (temp + fsync + rename). An existing file is never replaced
// (ExportError kind Exists) unless `replace` is true (a file the user chose in a Save dialog that
// already asked). Throws ExportError.
void write_file_atomic(const std::string& path, const void* data, size_t size, bool replace = false);
inline void write_file_atomic(const std::string& path, const std::string& text, bool replace = false) {
  write_file_atomic(path, text.data(), text.size(), replace);
}

// Encodes `image` as PNG (8-bit, 1 or 3 channels) and writes it atomically. Throws ExportError.
void write_png_atomic(const std::string& path, const cv::Mat& image);

// Flushes a folder's entries (the renames) to disk; best effort, never throws.
void sync_dir(const std::string& dir);

// Makes a string safe as part of a file name: letters, digits, '-', '_' and '.' are kept, runs of
// anything else become one '_', at most 64 characters, never empty ("export").
std::string sanitize_name(const std::string& s);

// The file-name stem of a source description: "/videos/case 12.mp4" -> "case_12",
// "rtsp://cam:554/live" -> "cam_554_live", "" -> "export".
std::string source_stem(const std::string& source);

// Local time as "20261126-143502" (file names) and UTC as ISO 8601 "2026-11-26T14:35:02.123Z".
std::string file_time(std::time_t t);
std::string iso8601_utc_now();

// The first `stem`, `stem_2`, `stem_3`, ... for which none of `stem + suffix` exists in `dir`.
// (A later writer may still take a name first; write_file_atomic then refuses to overwrite.)
std::string unique_stem(const std::string& dir, const std::string& stem, const std::vector<std::string>& suffixes);

}  // namespace pl::core::exporting
