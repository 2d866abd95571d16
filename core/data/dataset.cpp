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
#include <system_error>

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

// Why a recognised image file cannot be decoded by this build ("" when it can): stb_image reads
// JPEG, PNG, BMP (and TGA, GIF, PNM, PSD), core/data/tiff.h baseline TIFF; nothing reads WebP.
std::string undecodable_format(const std::string& path) {
  const std::string ext = lower(fs::path(path).extension().string());
  if (ext == ".webp") return "WebP is not supported by this build's decoder; convert to PNG";
  return "";
}

// stem -> path for every image file directly in `dir`; other files become problems.
std::map<std::string, std::string> list_images(const fs::path& dir, std::vector<Problem>& problems) {
  std::map<std::string, std::string> out;
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    files.push_back(it->path());
  }
  if (ec) throw DatasetError("cannot list the files of " + dir.string() + " (" + ec.message() + ")");
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
  pl::json::Json roots = pl::json::Json::array();
  roots.push_back(opt.root);
  for (const auto& r : opt.extra_roots) roots.push_back(r);
  const pl::json::Json o = {{"mode", opt.split}, {"seed", std::to_string(opt.seed)}, {"root", opt.root},
                            {"roots", roots},    {"train", arr(train)},             {"val", arr(val)}};
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

// One data folder: its pairs by name (prefix + stem, sorted).
struct Folder {
  fs::path root;
  std::string prefix;  // "" for DatasetOptions::root, "<folder name>/" for the extra roots
  std::map<std::string, SamplePair> pairs;
  size_t images = 0;
};

// The name a folder's pairs are prefixed with: its last path component ("CVC-ClinicDB" for
// "/data/CVC-ClinicDB/").
std::string folder_label(const fs::path& root) {
  const fs::path p = root.lexically_normal();
  std::string name = p.filename().string();
  if (name.empty()) name = p.parent_path().filename().string();  // a trailing separator
  if (name.empty() || name == "." || name == "..") {
    std::error_code ec;
    const fs::path abs = fs::weakly_canonical(fs::absolute(root, ec), ec);
    name = ec ? "" : abs.filename().string();
  }
  return name.empty() || name == "." || name == ".." ? "data" : name;
}

Folder scan_folder(const fs::path& root, const std::string& prefix, std::vector<Problem>& problems) {
  const fs::path img_dir = root / "images", mask_dir = root / "masks";
  if (!fs::is_directory(root)) throw DatasetError("data folder " + root.string() + " does not exist");
  if (!fs::is_directory(img_dir) || !fs::is_directory(mask_dir))
    throw DatasetError("data folder " + root.string() + " must contain images/ and masks/ (Kvasir-SEG layout)");
  Folder f{root, prefix, {}, 0};
  const size_t first_problem = problems.size();
  const auto images = list_images(img_dir, problems);
  const auto masks = list_images(mask_dir, problems);
  for (const auto& [stem, path] : images) {
    const std::string bad_image = undecodable_format(path);
    if (!bad_image.empty()) problems.push_back({path, bad_image});
    auto m = masks.find(stem);
    if (m == masks.end()) {
      problems.push_back({path, "no mask with the same name in " + mask_dir.string()});
      continue;
    }
    const std::string bad_mask = undecodable_format(m->second);
    if (!bad_mask.empty()) problems.push_back({m->second, bad_mask});
    if (!bad_image.empty() || !bad_mask.empty()) continue;
    f.pairs.emplace(prefix + stem, SamplePair{prefix + stem, path, m->second});
  }
  for (const auto& [stem, path] : masks)
    if (!images.count(stem)) problems.push_back({path, "mask without an image in " + img_dir.string()});
  f.images = images.size();
  if (f.pairs.empty()) {
    std::string msg = "no image/mask pairs in " + root.string() + " (images/ has " + std::to_string(images.size()) +
                      " images, masks/ has " + std::to_string(masks.size()) + ")";
    if (problems.size() > first_problem)
      msg += "; first problem: " + problems[first_problem].file + ": " + problems[first_problem].reason;
    throw DatasetError(msg);
  }
  return f;
}

std::string join_roots(const DatasetOptions& opt) {
  std::string s = opt.root;
  for (const auto& r : opt.extra_roots) s += " + " + r;
  return s;
}

// The first n of v, taking from the folders in turn (v keeps its order); all of v when n >= size.
std::vector<SamplePair> take_from_each(const std::vector<SamplePair>& v, size_t n, const std::vector<Folder>& folders) {
  if (n >= v.size()) return v;
  auto folder_of = [&](const SamplePair& p) {
    for (size_t i = folders.size(); i-- > 1;)
      if (p.name.compare(0, folders[i].prefix.size(), folders[i].prefix) == 0) return i;
    return size_t{0};
  };
  std::vector<std::vector<size_t>> queues(folders.size());
  for (size_t i = 0; i < v.size(); ++i) queues[folder_of(v[i])].push_back(i);
  std::vector<bool> keep(v.size(), false);
  std::vector<size_t> next(folders.size(), 0);
  for (size_t taken = 0; taken < n;)
    for (size_t f = 0; f < queues.size() && taken < n; ++f)
      if (next[f] < queues[f].size()) {
        keep[queues[f][next[f]++]] = true;
        ++taken;
      }
  std::vector<SamplePair> out;
  for (size_t i = 0; i < v.size(); ++i)
    if (keep[i]) out.push_back(v[i]);
  return out;
}

}  // namespace

void DatasetOptions::validate() const {
  if (root.empty()) throw std::invalid_argument("dataset root is empty; pass the folder holding images/ and masks/");
  for (const auto& r : extra_roots)
    if (r.empty()) throw std::invalid_argument("an extra data folder is empty; pass folders holding images/ and masks/");
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
  const fs::path rel = fs::path("..") / "shared" / "data" / "kvasir-seg";
  std::error_code ec;
  if (fs::is_directory(rel, ec)) return rel.string();
  // Started from elsewhere (a desktop launcher, another folder): look beside the checkout the binary
  // was built in, i.e. ../shared/data from each folder above the executable (build/ci/app/polyplens
  // -> the repository -> its parent).
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      const fs::path candidate = dir / rel;
      if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
    }
  return rel.string();  // does not exist: the error that follows names it
}

DatasetIndex scan_dataset(const DatasetOptions& opt) {
  opt.validate();
  auto log = pl::log::get("train");

  DatasetIndex index;
  DatasetSummary& s = index.summary;
  s.root = opt.root;
  s.extra_roots = opt.extra_roots;
  std::vector<Problem>& problems = s.problems;

  // The folders: the first keeps bare stems, the others get "<folder name>/" (made unique).
  std::vector<Folder> folders;
  {
    std::vector<fs::path> roots{fs::path(opt.root)};
    for (const auto& r : opt.extra_roots) roots.emplace_back(r);
    std::set<std::string> labels;
    std::map<std::string, std::string> seen;  // canonical path -> as given
    for (size_t i = 0; i < roots.size(); ++i) {
      std::error_code ec;
      const std::string key = fs::weakly_canonical(fs::absolute(roots[i], ec), ec).string();
      if (!ec) {
        auto [it, inserted] = seen.emplace(key, roots[i].string());
        if (!inserted)
          throw DatasetError("data folder " + roots[i].string() + " is given twice (also as " + it->second + ")");
      }
      std::string prefix;
      if (i > 0) {
        const std::string base = folder_label(roots[i]);
        std::string label = base;
        for (int n = 2; !labels.insert(label).second; ++n) label = base + "-" + std::to_string(n);
        prefix = label + "/";
      }
      folders.push_back(scan_folder(roots[i], prefix, problems));
      if (i > 0)
        s.notes.push_back(roots[i].string() + ": " + std::to_string(folders.back().pairs.size()) +
                          " pairs, named '" + prefix + "<stem>'");
    }
  }
  std::map<std::string, SamplePair> pairs;  // all folders, by name
  size_t images = 0;
  for (const auto& f : folders) {
    pairs.insert(f.pairs.begin(), f.pairs.end());
    images += f.images;
  }
  s.pairs_found = static_cast<int>(pairs.size());

  const fs::path saved = opt.split_dir.empty() ? fs::path() : fs::path(opt.split_dir) / kSplitFile;
  SplitNames names;
  const bool reuse = !saved.empty() && fs::exists(saved) && read_saved_split(saved, names);
  if (reuse) {
    s.split = "saved";
    log->info("reusing the split saved in {} ({} train, {} val)", saved.string(), names.train.size(), names.val.size());
    index.train = pick(names.train, pairs, saved.string() + " train", problems);
    index.val = pick(names.val, pairs, saved.string() + " val", problems);
  } else if (opt.split == "official") {
    std::vector<std::string> kinds;
    for (const auto& f : folders) {
      const fs::path tr = f.root / "train.txt", va = f.root / "val.txt";
      const bool has_tr = fs::exists(tr), has_va = fs::exists(va);
      std::string kind;
      if (has_tr || has_va) {
        kind = "official";
        auto listed = [&](const fs::path& list, std::vector<SamplePair>& into) {
          std::vector<std::string> v = read_list(list);
          for (auto& n : v) n = f.prefix + n;
          const auto picked = pick(v, f.pairs, list.string(), problems);
          into.insert(into.end(), picked.begin(), picked.end());
        };
        if (has_tr) listed(tr, index.train);
        else s.notes.push_back(f.root.string() + " has val.txt but no train.txt: no training images from it");
        if (has_va) listed(va, index.val);
        else s.notes.push_back(f.root.string() + " has train.txt but no val.txt: no validation images from it");
      } else {
        kind = opt.evaluation ? "none" : "all-train";
        auto& into = opt.evaluation ? index.val : index.train;
        for (const auto& kv : f.pairs) into.push_back(kv.second);
        s.notes.push_back(f.root.string() + " has no train.txt/val.txt: all " + std::to_string(f.pairs.size()) +
                          (opt.evaluation ? " pairs are in val (split 'val' and 'all' score them all)"
                                          : " pairs are used for training, none for validation (split random90 "
                                            "holds out 10 % instead)"));
      }
      if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
    }
    for (const auto& k : kinds) s.split += (s.split.empty() ? "" : "+") + k;
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
      index.train = take_from_each(index.train, n_train, folders);
      index.val = take_from_each(index.val, n_val, folders);
    }
  }

  if (!saved.empty() && !reuse) write_saved_split(saved, opt, index.train, index.val);

  s.train_count = static_cast<int>(index.train.size());
  s.val_count = static_cast<int>(index.val.size());
  s.skipped = static_cast<int>(images - pairs.size());  // images without a (decodable) mask pair
  for (const auto& p : problems) log->warn("data: {}: {}", p.file, p.reason);
  for (const auto& n : s.notes) log->info("data: {}", n);
  if (opt.strict && !problems.empty())
    throw DatasetError("strict mode: " + std::to_string(problems.size()) + " problem(s) in " + join_roots(opt) +
                       ", first: " + problems.front().file + ": " + problems.front().reason);
  if (!opt.evaluation && index.train.empty())
    throw DatasetError("no training images left in " + join_roots(opt) + " after the split" +
                       (s.split == "official" ? " (train.txt lists no image/mask pair here)" : ""));
  if (index.train.empty() && index.val.empty())
    throw DatasetError("no images left in " + join_roots(opt) + " after the split (the lists name no image/mask pair)");
  return index;
}

std::string DatasetSummary::to_string() const {
  std::ostringstream os;
  os << "data " << root;
  for (const auto& r : extra_roots) os << " + " << r;
  os << ": " << pairs_found << " pairs, split " << split << " -> " << train_count << " train / " << val_count << " val";
  if (skipped) os << ", " << skipped << " skipped";
  if (!problems.empty()) {
    os << ", " << problems.size() << " problem(s):";
    const size_t shown = std::min<size_t>(problems.size(), 20);
    for (size_t i = 0; i < shown; ++i) os << "\n  " << problems[i].file << ": " << problems[i].reason;
    if (problems.size() > shown) os << "\n  ... and " << problems.size() - shown << " more";
  }
  for (const auto& n : notes) os << "\n  note: " << n;
  return os.str();
}

}  // namespace pl::core::data
