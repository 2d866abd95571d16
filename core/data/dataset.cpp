#include "core/data/dataset.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <iterator>
#include <sstream>

#include "core/base/json.h"
#include "core/data/rng.h"
#include "core/log/log.h"
#include "model/atomic_file.h"

namespace fs = std::filesystem;

namespace pl::core::data {
namespace {

const char* const kSplitFile = "split.json";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// stem -> path for every image file directly in `dir`; other files become problems.
std::map<std::string, std::string> list_images(const fs::path& dir, std::vector<Problem>& problems) {
  std::map<std::string, std::string> out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    const std::string name = p.filename().string();
    if (!name.empty() && name[0] == '.') continue;  // .DS_Store, editor files: not data
    if (!is_image_file(name)) {
      problems.push_back({p.string(), "not an image file (extension '" + p.extension().string() + "')"});
      continue;
    }
    const std::string stem = p.stem().string();
    auto [it, inserted] = out.emplace(stem, p.string());
    if (!inserted)
      problems.push_back({p.string(), "duplicate stem '" + stem + "' (already have " + it->second + ")"});
  }
  return out;
}

std::vector<std::string> read_list(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw DatasetError("cannot read split list " + file.string());
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    // Accept "name", "name.jpg" and "images/name.jpg".
    names.push_back(fs::path(line).stem().string());
  }
  return names;
}

struct SplitNames {
  std::vector<std::string> train, val;
  std::string mode;
};

bool read_saved_split(const fs::path& file, SplitNames& out) {
  std::ifstream f(file);
  if (!f) return false;
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  pl::json::Json o;
  try {
    o = pl::json::parse(text, "saved split " + file.string());
  } catch (const std::runtime_error& e) {
    throw DatasetError(e.what());
  }
  if (!o.is_object()) throw DatasetError("saved split " + file.string() + " is not a JSON object");
  auto names = [&](const char* key) {
    std::vector<std::string> v;
    if (!o.contains(key) || !o[key].is_array())
      throw DatasetError("saved split " + file.string() + " has no '" + key + "' list");
    for (const auto& x : o[key]) {
      if (!x.is_string()) throw DatasetError("saved split " + file.string() + ": '" + key + "' holds a non-name");
      v.push_back(x.get<std::string>());
    }
    return v;
  };
  out.train = names("train");
  out.val = names("val");
  out.mode = o.contains("mode") && o["mode"].is_string() ? o["mode"].get<std::string>() : "";
  return true;
}

void write_saved_split(const fs::path& file, const DatasetOptions& opt, const std::vector<SamplePair>& train,
                       const std::vector<SamplePair>& val) {
  auto arr = [](const std::vector<SamplePair>& v) {
    pl::json::Json a = pl::json::Json::array();
    for (const auto& p : v) a.push_back(p.name);
    return a;
  };
  const pl::json::Json o = {{"mode", opt.split}, {"seed", std::to_string(opt.seed)}, {"root", opt.root},
                            {"train", arr(train)}, {"val", arr(val)}};
  fs::create_directories(file.parent_path());
  try {
    pl::io::write_file_atomic(file.string(), pl::json::dump(o));
  } catch (const pl::io::AtomicWriteError& e) {
    throw DatasetError(e.what());
  }
}

// Resolves names against the pairs; absent names become problems.
std::vector<SamplePair> pick(const std::vector<std::string>& names, const std::map<std::string, SamplePair>& pairs,
                             const std::string& list_name, std::vector<Problem>& problems) {
  std::vector<SamplePair> out;
  std::set<std::string> seen;
  for (const auto& n : names) {
    if (!seen.insert(n).second) continue;
    auto it = pairs.find(n);
    if (it == pairs.end()) {
      problems.push_back({list_name + ": " + n, "listed but no image/mask pair with that name"});
      continue;
    }
    out.push_back(it->second);
  }
  return out;
}

}  // namespace

void DatasetOptions::validate() const {
  if (root.empty()) throw std::invalid_argument("dataset root is empty; pass the folder holding images/ and masks/");
  if (split != "official" && split != "random90")
    throw std::invalid_argument("unknown split '" + split + "'; valid: official, random90");
  if (!(val_fraction > 0.0 && val_fraction < 1.0))
    throw std::invalid_argument("val_fraction must be in (0, 1), got " + std::to_string(val_fraction));
  if (max_images < 0) throw std::invalid_argument("max_images must be >= 0, got " + std::to_string(max_images));
}

bool is_image_file(const std::string& path) {
  static const std::set<std::string> kExt{".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"};
  return kExt.count(lower(fs::path(path).extension().string())) > 0;
}

std::string default_data_root() {
  if (const char* env = std::getenv("POLYPLENS_DATA"); env && *env) return (fs::path(env) / "kvasir-seg").string();
  return (fs::path("..") / "shared" / "data" / "kvasir-seg").string();
}

DatasetIndex scan_dataset(const DatasetOptions& opt) {
  opt.validate();
  auto log = pl::log::get("train");
  const fs::path root(opt.root);
  const fs::path img_dir = root / "images", mask_dir = root / "masks";
  if (!fs::is_directory(root)) throw DatasetError("data folder " + root.string() + " does not exist");
  if (!fs::is_directory(img_dir) || !fs::is_directory(mask_dir))
    throw DatasetError("data folder " + root.string() + " must contain images/ and masks/ (Kvasir-SEG layout)");

  DatasetIndex index;
  DatasetSummary& s = index.summary;
  s.root = opt.root;
  std::vector<Problem>& problems = s.problems;

  const auto images = list_images(img_dir, problems);
  const auto masks = list_images(mask_dir, problems);
  std::map<std::string, SamplePair> pairs;
  for (const auto& [stem, path] : images) {
    auto m = masks.find(stem);
    if (m == masks.end()) {
      problems.push_back({path, "no mask with the same name in " + mask_dir.string()});
      continue;
    }
    pairs.emplace(stem, SamplePair{stem, path, m->second});
  }
  for (const auto& [stem, path] : masks)
    if (!images.count(stem)) problems.push_back({path, "mask without an image"});
  s.pairs_found = static_cast<int>(pairs.size());
  if (pairs.empty())
    throw DatasetError("no image/mask pairs in " + root.string() + " (images/ has " + std::to_string(images.size()) +
                       " images, masks/ has " + std::to_string(masks.size()) + ")");

  const fs::path saved = opt.split_dir.empty() ? fs::path() : fs::path(opt.split_dir) / kSplitFile;
  SplitNames names;
  const bool reuse = !saved.empty() && fs::exists(saved) && read_saved_split(saved, names);
  if (reuse) {
    s.split = "saved";
    log->info("reusing the split saved in {} ({} train, {} val)", saved.string(), names.train.size(), names.val.size());
    index.train = pick(names.train, pairs, saved.string() + " train", problems);
    index.val = pick(names.val, pairs, saved.string() + " val", problems);
  } else if (opt.split == "official") {
    s.split = "official";
    const fs::path tr = root / "train.txt", va = root / "val.txt";
    if (!fs::exists(tr) || !fs::exists(va))
      throw DatasetError("split 'official' needs train.txt and val.txt in " + root.string() +
                         "; use the random90 split for folders without them");
    index.train = pick(read_list(tr), pairs, "train.txt", problems);
    index.val = pick(read_list(va), pairs, "val.txt", problems);
  } else {
    s.split = "random90";
    std::vector<SamplePair> all;
    for (const auto& kv : pairs) all.push_back(kv.second);  // sorted by name: order-independent of the file system
    Rng rng(derive_seed(opt.seed, 0x5b1170));
    shuffle(all, rng);
    const size_t n_val = std::max<size_t>(1, static_cast<size_t>(std::lround(all.size() * opt.val_fraction)));
    if (all.size() < 2) throw DatasetError("random90 needs at least 2 pairs, found " + std::to_string(all.size()));
    index.val.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n_val));
    index.train.assign(all.begin() + static_cast<std::ptrdiff_t>(n_val), all.end());
  }

  if (opt.max_images > 0) {
    const size_t total = index.train.size() + index.val.size();
    if (static_cast<size_t>(opt.max_images) < total) {
      const size_t cap = static_cast<size_t>(opt.max_images);
      size_t n_val = cap < 2 ? 0 : std::max<size_t>(1, cap * index.val.size() / std::max<size_t>(1, total));
      n_val = std::min(n_val, index.val.size());
      const size_t n_train = std::min(cap - n_val, index.train.size());
      index.train.resize(n_train);
      index.val.resize(n_val);
    }
  }

  if (!saved.empty() && !reuse) write_saved_split(saved, opt, index.train, index.val);

  s.train_count = static_cast<int>(index.train.size());
  s.val_count = static_cast<int>(index.val.size());
  s.skipped = static_cast<int>(images.size() - pairs.size());  // images without a mask
  for (const auto& p : problems) log->warn("data: {}: {}", p.file, p.reason);
  if (opt.strict && !problems.empty())
    throw DatasetError("strict mode: " + std::to_string(problems.size()) + " problem(s) in " + root.string() +
                       ", first: " + problems.front().file + ": " + problems.front().reason);
  if (index.train.empty()) throw DatasetError("no training images left in " + root.string() + " after the split");
  return index;
}

std::string DatasetSummary::to_string() const {
  std::ostringstream os;
  os << "data " << root << ": " << pairs_found << " pairs, split " << split << " -> " << train_count << " train / "
     << val_count << " val";
  if (skipped) os << ", " << skipped << " skipped";
  if (!problems.empty()) {
    os << ", " << problems.size() << " problem(s):";
    const size_t shown = std::min<size_t>(problems.size(), 20);
    for (size_t i = 0; i < shown; ++i) os << "\n  " << problems[i].file << ": " << problems[i].reason;
    if (problems.size() > shown) os << "\n  ... and " << problems.size() - shown << " more";
  }
  return os.str();
}

}  // namespace pl::core::data
