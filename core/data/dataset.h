#pragma once
// Kvasir-SEG style data sets: `images/` and `masks/` folders whose files share a stem
// (`images/abc.jpg` ↔ `masks/abc.jpg|png|…`), split into train/val either by the official
// `train.txt`/`val.txt` lists or by a seeded 90/10 split ("random90").
//
// Any such folder works (CVC-ClinicDB, ETIS, PolypGen ...): JPEG, PNG and BMP files, matched by
// stem, so a mask may have another extension than its image. TIFF and WebP files are recognised but
// reported as problems (stb_image, the one decoder, reads neither; convert them to PNG).
//
// Split files per folder ("official" mode):
//   train.txt and val.txt    the lists (either may be empty, e.g. a test-only set with an empty train.txt)
//   only one of them         the other list is taken as empty (a note says so)
//   neither                  the folder is unsplit: for training every pair trains ("all-train"); for
//                            evaluation (DatasetOptions::evaluation) every pair is in val ("none"),
//                            so `eval --split val` and `--split all` both score every pair
//
// Several folders (DatasetOptions::extra_roots, `polyplens train --data A --data B`): each is
// split on its own as above and the lists are concatenated (random90 pools all pairs instead). Pair
// names from the first folder are the bare stems; those from the others are "<folder name>/<stem>"
// (e.g. "CVC-ClinicDB/12"), so names stay unique and a saved split.json can be resolved again.
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
  std::vector<std::string> extra_roots;  // more such folders, scanned with root (mixtures, e.g.
                                         // Kvasir + ClinicDB); their pair names are "<folder name>/<stem>"
  std::string split = "official";    // "official" (train.txt/val.txt per folder) or "random90"
  std::string split_dir;             // where split.json is read from / written to ("" = nowhere)
  uint64_t seed = 0;                 // random90 shuffle seed
  double val_fraction = 0.1;         // random90: share of pairs that go to val
  int max_images = 0;                // 0 = all; otherwise the total is capped (divided train:val
                                     // in the split's proportion, at least one val image; with
                                     // several folders each list takes from the folders in turn)
  bool strict = false;               // any problem is an error instead of a counted warning
  // Scanning for evaluation rather than training: an empty train list is fine, and a folder without
  // train.txt/val.txt puts all its pairs in val instead of train.
  bool evaluation = false;

  // Throws std::invalid_argument naming the bad field and value.
  void validate() const;
};

// One image/mask pair on disk.
struct SamplePair {
  std::string name;        // the shared stem, e.g. "cju0qkwl35piu0993l0dewei2" ("<folder>/<stem>"
                           // for the pairs of DatasetOptions::extra_roots)
  std::string image_path;
  std::string mask_path;
};

// Something wrong with a file; the pair (if any) was skipped.
struct Problem {
  std::string file;        // path (or list file and name) the problem is about
  std::string reason;
};

// What the GUI's Training tab and the CLI show before training starts.
struct DatasetSummary {
  std::string root;
  std::vector<std::string> extra_roots;  // DatasetOptions::extra_roots
  // "official", "random90" or "saved" (split.json reused); in official mode the kinds of the
  // folders joined by '+': "official" (lists), "all-train" (no lists, training), "none" (no lists,
  // evaluation: all in val), e.g. "official+all-train".
  std::string split;
  int pairs_found = 0;             // image files with a mask (before decoding), all folders
  int train_count = 0;
  int val_count = 0;
  int skipped = 0;                 // images dropped: no mask here, undecodable in sample_cache
  std::vector<std::string> notes;  // how folders were split (unsplit folders, missing lists, names)
  std::vector<Problem> problems;

  std::string to_string() const;  // a few lines: notes, problems listed (at most 20, then a count)
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
// no split.json is there yet. Throws DatasetError (also for a folder given twice, and for training
// when no training image is left; an evaluation scan only needs some image in train or val).
DatasetIndex scan_dataset(const DatasetOptions& options);

// True for the image extensions the scan recognises (case-insensitive): jpg jpeg png bmp tif tiff
// webp. WebP is then reported as not decodable by this build (see decode.h); TIFF is decoded.
bool is_image_file(const std::string& path);

// $POLYPLENS_DATA/kvasir-seg; else ../shared/data/kvasir-seg relative to the working directory when it
// exists, else relative to the first folder above the executable where it exists (a binary in
// build/ci/app finds the data beside its checkout wherever it is started from); else the relative path.
std::string default_data_root();

}  // namespace pl::core::data
