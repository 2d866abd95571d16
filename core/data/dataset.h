#pragma once
// Kvasir-SEG style data sets: `images/` and `masks/` folders whose files share a stem
// (`images/abc.jpg` ↔ `masks/abc.jpg|png|…`), split into train/val either by the official
// `train.txt`/`val.txt` lists or by a seeded 90/10 split ("random90").
//
// The split is saved as `split.json` in a run directory so a resumed run reuses exactly the same
// images; when that file exists it wins over the split mode.
//
// This header is free of torch and OpenCV so the GUI's Training tab can include it cheaply.
// Scanning looks at file names only; decoding (and the problems only decoding can find:
// corrupt files, size mismatches) happens in sample_cache.h.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pl::core::data {

struct DatasetOptions {
  std::string root;                  // folder holding images/ and masks/
  std::string split = "official";    // "official" (train.txt/val.txt) or "random90"
  std::string split_dir;             // where split.json is read from / written to ("" = nowhere)
  uint64_t seed = 0;                 // random90 shuffle seed
  double val_fraction = 0.1;         // random90: share of pairs that go to val
  int max_images = 0;                // 0 = all; otherwise the total is capped (divided train:val
                                     // in the split's proportion, at least one val image)
  bool strict = false;               // any problem is an error instead of a counted warning

  // Throws std::invalid_argument naming the bad field and value.
  void validate() const;
};

// One image/mask pair on disk.
struct SamplePair {
  std::string name;        // the shared stem, e.g. "cju0qkwl35piu0993l0dewei2"
  std::string image_path;
  std::string mask_path;
};

// Something wrong with a file; the pair (if any) was skipped.
struct Problem {
  std::string file;        // path (or list name) the problem is about
  std::string reason;
};

// What the GUI's Training tab and the CLI show before training starts.
struct DatasetSummary {
  std::string root;
  std::string split;               // "official", "random90" or "saved" (split.json reused)
  int pairs_found = 0;             // image files with a mask (before decoding)
  int train_count = 0;
  int val_count = 0;
  int skipped = 0;                 // images dropped: no mask here, undecodable in sample_cache
  std::vector<Problem> problems;

  std::string to_string() const;  // a few lines, problems listed (at most 20, then a count)
};

struct DatasetIndex {
  std::vector<SamplePair> train;
  std::vector<SamplePair> val;
  DatasetSummary summary;
};

// Thrown for unusable data sets (missing folders, no pairs, unknown split, strict-mode problems).
class DatasetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Finds the pairs and splits them. Writes split.json into options.split_dir when one is given and
// no split.json is there yet. Throws DatasetError.
DatasetIndex scan_dataset(const DatasetOptions& options);

// True for the image extensions we decode (case-insensitive): jpg jpeg png bmp tif tiff webp.
bool is_image_file(const std::string& path);

// $POLYPLENS_DATA/kvasir-seg, or ../shared/data/kvasir-seg relative to the working directory.
std::string default_data_root();

}  // namespace pl::core::data
