#include "model/checkpoint.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>
#include <type_traits>

#include <torch/serialize.h>
#include <torch/version.h>

#include "model/atomic_file.h"

namespace pl::model {
namespace {

constexpr const char* kFormat = "polyplens-checkpoint";
constexpr int64_t kFormatVersion = 1;
constexpr size_t kMaxListedProblems = 12;
constexpr const char* kRgb[3] = {"_r", "_g", "_b"};  // per-channel keys of mean and std

std::string default_classes(int k) {
  if (k == 2) return "background,polyp";
  std::string s = "background";
  for (int i = 1; i < k; ++i) s += ",class" + std::to_string(i);
  return s;
}

std::string join_scales(const std::vector<int64_t>& v) {
  std::string s;
  for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string describe(const SegmentorOptions& o) {
  std::ostringstream s;
  s << "preset " << o.preset << ", ResNet-" << o.depth << " OS" << o.output_stride << ", " << o.num_classes
    << " classes, channels " << o.channels << "/" << o.project_channels << ", aux "
    << (o.with_aux ? std::to_string(o.aux_channels) : std::string("off"));
  return s.str();
}

std::string shape_str(const torch::Tensor& t) { return c10::str(t.sizes()); }

void fnv(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
}

c10::Dict<std::string, at::Tensor> to_dict(const std::map<std::string, torch::Tensor>& m) {
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& [k, v] : m) d.insert(k, v);
  return d;
}

void write_all_atomic(const std::string& path, const std::vector<char>& bytes) {
  try {
    pl::io::write_file_atomic(path, bytes.data(), bytes.size());
  } catch (const pl::io::AtomicWriteError& e) {
    throw CheckpointError("cannot write checkpoint '" + path + "': " + pl::io::describe_errno(e.error()));
  }
}

// Typed access to the flat meta dictionary; every failure names the key.
class MetaReader {
 public:
  MetaReader(const c10::impl::GenericDict& d, const std::string& path) : d_(d), path_(path) {}
  bool has(const std::string& k) const { return d_.contains(k); }
  const c10::IValue& get(const std::string& k) const {
    auto it = d_.find(k);
    if (it == d_.end()) throw CheckpointError(where() + "meta has no '" + k + "'");
    return it->value();
  }
  std::string str(const std::string& k) const {
    const auto& v = get(k);
    if (!v.isString()) throw CheckpointError(where() + "meta '" + k + "' is not a string");
    return v.toStringRef();
  }
  int64_t integer(const std::string& k) const {
    const auto& v = get(k);
    if (!v.isInt()) throw CheckpointError(where() + "meta '" + k + "' is not an integer");
    return v.toInt();
  }
  double number(const std::string& k) const {
    const auto& v = get(k);
    if (v.isDouble()) return v.toDouble();
    if (v.isInt()) return static_cast<double>(v.toInt());
    throw CheckpointError(where() + "meta '" + k + "' is not a number");
  }
  int small_int(const std::string& k) const {
    const auto v = integer(k);
    if (v < -(1 << 30) || v > (1 << 30)) throw CheckpointError(where() + "meta '" + k + "' is out of range");
    return static_cast<int>(v);
  }

 private:
  std::string where() const { return "checkpoint '" + path_ + "': "; }
  const c10::impl::GenericDict& d_;
  std::string path_;
};

std::vector<int64_t> parse_scales(const std::string& s, const std::string& path) {
  std::vector<int64_t> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      v.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw CheckpointError("checkpoint '" + path + "': meta 'key_pool_scales' = '" + s + "' is not a list of integers");
    }
  }
  return v;
}

std::map<std::string, torch::Tensor> tensor_dict(const c10::IValue& v, const std::string& field, const std::string& path) {
  if (!v.isGenericDict()) throw CheckpointError("checkpoint '" + path + "': '" + field + "' is not a dictionary");
  std::map<std::string, torch::Tensor> out;
  for (const auto& e : v.toGenericDict()) {
    if (!e.key().isString() || !e.value().isTensor())
      throw CheckpointError("checkpoint '" + path + "': '" + field + "' must map names to tensors");
    out.emplace(e.key().toStringRef(), e.value().toTensor());
  }
  return out;
}

const char* const kOptionKeys[] = {"architecture", "preset", "depth", "output_stride", "num_classes", "channels",
                                   "project_channels", "key_pool_scales", "dropout", "with_aux", "aux_channels",
                                   "input_h", "input_w", "mean_r", "mean_g", "mean_b", "std_r", "std_g", "std_b"};

}  // namespace

std::map<std::string, torch::Tensor> state_dict(AnnSegmentor& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : model->named_parameters()) out.emplace(p.key(), p.value().detach());
  for (const auto& b : model->named_buffers()) out.emplace(b.key(), b.value().detach());
  return out;
}

std::string content_hash(const std::map<std::string, torch::Tensor>& tensors) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& [name, t] : tensors) {
    fnv(h, name.data(), name.size());
    const std::string dtype = c10::toString(t.scalar_type());
    fnv(h, dtype.data(), dtype.size());
    for (auto s : t.sizes()) fnv(h, &s, sizeof s);
    auto c = t.cpu().contiguous();
    fnv(h, c.data_ptr(), c.numel() * c.element_size());
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

void save_checkpoint(const std::string& path, AnnSegmentor& model, const CheckpointMeta& meta,
                     const std::map<std::string, torch::Tensor>& extra, bool fp16) {
  std::map<std::string, torch::Tensor> state;
  for (auto& [name, t] : state_dict(model)) {
    auto c = t.to(torch::kCPU).contiguous();
    if (fp16 && c.is_floating_point()) c = c.to(torch::kHalf);
    else if (c.data_ptr() == t.data_ptr()) c = c.clone();  // never alias live parameters in the pickle
    state.emplace(name, c);
  }
  std::map<std::string, torch::Tensor> extra_cpu;
  for (const auto& [name, t] : extra) {
    if (!t.defined()) throw CheckpointError("cannot write checkpoint '" + path + "': extra '" + name + "' is undefined");
    extra_cpu.emplace(name, t.detach().to(torch::kCPU).contiguous());
  }

  const auto& o = model->options();
  c10::impl::GenericDict m(c10::StringType::get(), c10::AnyType::get());
  m.insert("format", std::string(kFormat));
  m.insert("format_version", kFormatVersion);
  m.insert("architecture", std::string("ann"));
  visit_fields(o, [&](const char* key, const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::string>) m.insert(key, v);
    else if constexpr (std::is_same_v<T, int>) m.insert(key, int64_t{v});
    else if constexpr (std::is_same_v<T, double>) m.insert(key, v);
    else if constexpr (std::is_same_v<T, bool>) m.insert(key, int64_t{v ? 1 : 0});
    else if constexpr (std::is_same_v<T, std::vector<int64_t>>) m.insert(key, join_scales(v));
    else  // std::array<float, 3>: one key per channel, <key>_r/_g/_b
      for (size_t c = 0; c < 3; ++c) m.insert(std::string(key) + kRgb[c], double{v[c]});
  });
  auto classes = meta.strings.find("classes");
  m.insert("classes", classes != meta.strings.end() ? classes->second : default_classes(o.num_classes));
  m.insert("epoch", meta.epoch);
  m.insert("iteration", meta.iteration);
  for (const auto& [k, v] : meta.metrics) m.insert("metrics." + k, v);
  for (const auto& [k, v] : meta.strings)
    if (k != "classes") m.insert("strings." + k, v);
  m.insert("created", now_utc());
  m.insert("storage_dtype", std::string(fp16 ? "fp16" : "fp32"));
  m.insert("libtorch_version", std::string(TORCH_VERSION));
  m.insert("content_hash", content_hash(state));

  c10::impl::GenericDict top(c10::StringType::get(), c10::AnyType::get());
  top.insert("state_dict", to_dict(state));
  top.insert("meta", m);
  top.insert("extra", to_dict(extra_cpu));
  std::vector<char> bytes;
  try {
    bytes = torch::pickle_save(top);
  } catch (const std::exception& e) {
    throw CheckpointError("cannot serialise checkpoint '" + path + "': " + e.what());
  }
  write_all_atomic(path, bytes);
}

Checkpoint read_checkpoint(const std::string& path) {
  const std::string where = "checkpoint '" + path + "': ";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(where + "cannot open: " + std::strerror(errno));
  std::vector<char> bytes;
  try {
    // libstdc++ opens a folder "successfully" and then throws from the first read (EISDIR).
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {
    throw CheckpointError(where + "cannot be read (a folder, or an I/O error): " + e.what());
  }
  if (in.bad()) throw CheckpointError(where + "read error");
  if (bytes.empty()) throw CheckpointError(where + "file is empty");
  // torch.save / pickle_save files are zip archives; anything else (a legacy torch file, a JPEG, a
  // truncated download) is refused before the unpickler sees it.
  if (bytes.size() < 22 || std::memcmp(bytes.data(), "PK\x03\x04", 4) != 0)
    throw CheckpointError(where + "not a zip-format torch file (truncated, or not a checkpoint)");

  c10::IValue root;
  try {
    root = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    throw CheckpointError(where + "cannot be read (truncated or corrupt?): " + msg);
  }
  if (!root.isGenericDict())
    throw CheckpointError(where + "not a PolypLens checkpoint (top level is " + root.tagKind() + ", not a dict)");
  auto top = root.toGenericDict();
  auto meta_it = top.find(std::string("meta"));
  auto state_it = top.find(std::string("state_dict"));
  if (meta_it == top.end() || state_it == top.end() || !meta_it->value().isGenericDict())
    throw CheckpointError(where +
                          "not a PolypLens checkpoint (no 'meta'/'state_dict'); for torchvision ImageNet weights "
                          "use the backbone-weights option instead");
  const auto meta_dict = meta_it->value().toGenericDict();
  MetaReader meta(meta_dict, path);
  if (!meta.has("format") || meta.str("format") != kFormat)
    throw CheckpointError(where + "not a PolypLens checkpoint (meta 'format' is not '" + kFormat + "')");
  if (meta.integer("format_version") > kFormatVersion)
    throw CheckpointError(where + "format version " + std::to_string(meta.integer("format_version")) +
                          " is newer than this build understands (" + std::to_string(kFormatVersion) + ")");
  if (meta.str("architecture") != "ann")
    throw CheckpointError(where + "unknown architecture '" + meta.str("architecture") + "'");

  Checkpoint ck;
  ck.path = path;
  auto& o = ck.options;
  visit_fields(o, [&](const char* key, auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::string>) v = meta.str(key);
    else if constexpr (std::is_same_v<T, int>) v = meta.small_int(key);
    else if constexpr (std::is_same_v<T, double>) v = meta.number(key);
    else if constexpr (std::is_same_v<T, bool>) v = meta.integer(key) != 0;
    else if constexpr (std::is_same_v<T, std::vector<int64_t>>) v = parse_scales(meta.str(key), path);
    else
      for (size_t c = 0; c < 3; ++c) v[c] = static_cast<float>(meta.number(std::string(key) + kRgb[c]));
  });
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    throw CheckpointError(where + "stored options are invalid: " + e.what());
  }
  ck.meta.epoch = meta.integer("epoch");
  ck.meta.iteration = meta.integer("iteration");
  ck.classes = meta.str("classes");
  ck.created = meta.has("created") ? meta.str("created") : "";
  ck.storage_dtype = meta.has("storage_dtype") ? meta.str("storage_dtype") : "fp32";
  for (const auto& e : meta_dict) {
    const std::string k = e.key().toStringRef();
    if (k.rfind("metrics.", 0) == 0) ck.meta.metrics[k.substr(8)] = meta.number(k);
    if (k.rfind("strings.", 0) == 0) ck.meta.strings[k.substr(8)] = meta.str(k);
  }
  ck.meta.strings["classes"] = ck.classes;

  ck.state = tensor_dict(state_it->value(), "state_dict", path);
  auto extra_it = top.find(std::string("extra"));
  if (extra_it != top.end()) ck.extra = tensor_dict(extra_it->value(), "extra", path);
  ck.content_hash = content_hash(ck.state);
  if (meta.has("content_hash") && meta.str("content_hash") != ck.content_hash)
    throw CheckpointError(where + "content hash mismatch (stored " + meta.str("content_hash") + ", computed " +
                          ck.content_hash + "): the file is corrupt");
  return ck;
}

void load_state(AnnSegmentor& model, const Checkpoint& ck) {
  auto target = state_dict(model);
  std::vector<std::string> problems;
  size_t missing = 0, unexpected = 0, mismatched = 0;
  for (const auto& [name, t] : target) {
    auto it = ck.state.find(name);
    if (it == ck.state.end()) {
      ++missing;
      problems.push_back("missing '" + name + "' " + shape_str(t));
    } else if (it->second.sizes() != t.sizes()) {
      ++mismatched;
      problems.push_back("shape of '" + name + "': checkpoint " + shape_str(it->second) + ", model " + shape_str(t));
    } else if (it->second.is_floating_point() != t.is_floating_point()) {
      ++mismatched;
      problems.push_back("dtype of '" + name + "': checkpoint " + c10::toString(it->second.scalar_type()) +
                         ", model " + c10::toString(t.scalar_type()));
    }
  }
  for (const auto& [name, t] : ck.state)
    if (!target.count(name)) {
      ++unexpected;
      problems.push_back("unexpected '" + name + "' " + shape_str(t));
    }
  if (problems.empty()) {
    // NaN/Inf weights load fine and then predict garbage (all background or all polyp): refuse them.
    std::vector<std::string> non_finite;
    for (const auto& [name, t] : ck.state)
      if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) non_finite.push_back(name);
    if (!non_finite.empty()) {
      std::ostringstream msg;
      msg << "checkpoint '" << ck.path << "' holds non-finite values (NaN or Inf) in " << non_finite.size()
          << " tensor(s), e.g. '" << non_finite.front() << "'; the run that wrote it diverged. Use an earlier "
          << "checkpoint (best.pt or an epoch_NNNN.pt snapshot).";
      throw CheckpointError(msg.str());
    }
  }
  if (!problems.empty()) {
    std::ostringstream msg;
    msg << "checkpoint '" << ck.path << "' does not fit the model (" << missing << " missing, " << unexpected
        << " unexpected, " << mismatched << " mismatched); checkpoint: " << describe(ck.options)
        << "; model: " << describe(model->options()) << ". First problems:";
    for (size_t i = 0; i < problems.size() && i < kMaxListedProblems; ++i) msg << "\n  " << problems[i];
    if (problems.size() > kMaxListedProblems) msg << "\n  ... and " << problems.size() - kMaxListedProblems << " more";
    throw CheckpointError(msg.str());
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : target) t.copy_(ck.state.at(name));
}

AnnSegmentor model_from_checkpoint(const Checkpoint& ck) {
  AnnSegmentor model(ck.options);
  load_state(model, ck);
  return model;
}

}  // namespace pl::model
