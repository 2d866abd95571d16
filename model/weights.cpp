#include "model/weights.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <torch/serialize.h>

namespace pl::model {
namespace {

std::string list_head(const std::vector<std::string>& v, size_t n = 3) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < n; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > n) s += ", ...";
  return s;
}

std::string resaved_name(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const auto slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + "-dict.pth";
  return path.substr(0, dot) + "-dict" + path.substr(dot);
}

// Accepts {name: tensor} or a wrapper holding it under "state_dict" / "model"; strips "module."
// (DataParallel) prefixes.
std::map<std::string, torch::Tensor> tensors_of(const c10::IValue& root, const std::string& where) {
  if (!root.isGenericDict()) throw WeightsError(where + "top level is " + root.tagKind() + ", expected a dict of tensors");
  auto dict = root.toGenericDict();
  for (const char* wrapper : {"state_dict", "model"}) {
    auto it = dict.find(std::string(wrapper));
    if (it != dict.end() && it->value().isGenericDict()) return tensors_of(it->value(), where);
  }
  std::map<std::string, torch::Tensor> out;
  for (const auto& e : dict) {
    if (!e.key().isString()) throw WeightsError(where + "has a non-string key");
    if (!e.value().isTensor()) continue;  // e.g. metadata entries
    std::string name = e.key().toStringRef();
    if (name.rfind("module.", 0) == 0) name = name.substr(7);
    out.emplace(name, e.value().toTensor());
  }
  if (out.empty()) throw WeightsError(where + "holds no tensors");
  return out;
}

}  // namespace

std::string resave_command(const std::string& path) {
  return "/usr/bin/python3 -c \"import torch; torch.save(dict(torch.load('" + path +
         "', map_location='cpu')), '" + resaved_name(path) + "')\"";
}

std::string WeightsReport::summary() const {
  std::ostringstream s;
  s << loaded.size() << " loaded, " << missing.size() << " missing";
  if (!missing.empty()) s << " (" << list_head(missing) << ")";
  s << ", " << unexpected.size() << " unexpected";
  if (!unexpected.empty()) s << " (" << list_head(unexpected) << ")";
  s << ", " << skipped.size() << " skipped (classifier fc.*)";
  return s.str();
}

WeightsReport load_torchvision_backbone(AnnSegmentor& model, const std::string& path) {
  const std::string where = "backbone weights '" + path + "': ";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw WeightsError(where + "cannot open: " + std::strerror(errno));
  std::vector<char> bytes;
  try {
    // libstdc++ opens a folder "successfully" and then throws from the first read (EISDIR).
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {
    throw WeightsError(where + "cannot be read (a folder, or an I/O error): " + e.what());
  }
  if (bytes.size() < 4) throw WeightsError(where + "file is empty or truncated");
  if (std::memcmp(bytes.data(), "PK\x03\x04", 4) != 0) {
    // Pre-1.6 torch.save files start with a pickle protocol byte (0x80) instead of a zip header.
    const bool legacy = static_cast<unsigned char>(bytes[0]) == 0x80;
    throw WeightsError(where + (legacy ? "legacy (pre-1.6, non-zip) torch file" : "not a torch zip file") +
                       "; LibTorch reads only zip-format files. Re-save it once with:\n  " + resave_command(path));
  }
  // LibTorch's unpickler cannot build collections.OrderedDict (what `torch.save(model.state_dict())`
  // and the torchvision downloads contain): it fails or yields None. The pickle is stored
  // uncompressed in the zip, so its GLOBAL opcode is visible in the raw bytes.
  static const char kOrderedDict[] = "collections\nOrderedDict\n";
  const bool ordered_dict =
      std::search(bytes.begin(), bytes.end(), kOrderedDict, kOrderedDict + sizeof kOrderedDict - 1) != bytes.end();
  const std::string ordered_help = "holds an OrderedDict (torch.save(model.state_dict())), which LibTorch cannot "
                                   "read. Convert it once to a plain dict with:\n  " + resave_command(path) +
                                   "\nthen pass the new file.";
  c10::IValue root;
  try {
    root = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    if (ordered_dict) throw WeightsError(where + ordered_help);
    std::string msg = e.what();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    throw WeightsError(where + "cannot be read (" + msg + "). If it opens in Python, re-save it with:\n  " +
                       resave_command(path));
  }
  if (root.isNone() && ordered_dict) throw WeightsError(where + ordered_help);
  const auto file = tensors_of(root, where);

  std::map<std::string, torch::Tensor> target;
  for (const auto& p : model->backbone->named_parameters()) target.emplace(p.key(), p.value());
  for (const auto& b : model->backbone->named_buffers()) target.emplace(b.key(), b.value());

  WeightsReport report;
  report.path = path;
  std::vector<std::string> mismatched;
  for (const auto& [name, t] : file) {
    if (name.rfind("fc.", 0) == 0) {
      report.skipped.push_back(name);
      continue;
    }
    auto it = target.find(name);
    if (it == target.end()) {
      report.unexpected.push_back(name);
    } else if (it->second.sizes() != t.sizes()) {
      mismatched.push_back(name + ": file " + c10::str(t.sizes()) + ", model " + c10::str(it->second.sizes()));
    } else {
      report.loaded.push_back(name);
    }
  }
  for (const auto& [name, t] : target)
    if (!file.count(name)) report.missing.push_back(name);

  const std::string model_desc = "the model's backbone is ResNet-" + std::to_string(model->options().depth);
  if (!mismatched.empty()) {
    std::string msg = where + std::to_string(mismatched.size()) + " tensors do not fit (" + model_desc +
                      "; pass weights of the same depth):";
    for (size_t i = 0; i < mismatched.size() && i < 8; ++i) msg += "\n  " + mismatched[i];
    if (mismatched.size() > 8) msg += "\n  ... and " + std::to_string(mismatched.size() - 8) + " more";
    throw WeightsError(msg);
  }
  if (report.loaded.empty())
    throw WeightsError(where + "no tensor matches a torchvision ResNet name (" + model_desc +
                       "); first names in the file: " + list_head(report.unexpected, 5));
  // Anything else left over means a different architecture (another depth, mmseg's deep stem):
  // loading part of it would leave random layers behind a "pretrained" label. Only the BN counters
  // may be absent (files from before they existed).
  std::vector<std::string> missing_weights;
  for (const auto& name : report.missing)
    if (name.size() < 19 || name.compare(name.size() - 19, 19, "num_batches_tracked") != 0)
      missing_weights.push_back(name);
  if (!missing_weights.empty() || !report.unexpected.empty()) {
    std::string hint;
    for (const auto& n : report.unexpected)
      if (n.rfind("stem.", 0) == 0) hint = " (the file has a deep stem 'stem.*': mmseg ResNetV1c weights are not "
                                           "torchvision weights)";
    throw WeightsError(where + "does not match a torchvision ResNet-" + std::to_string(model->options().depth) +
                       ": " + std::to_string(missing_weights.size()) + " backbone tensors missing (" +
                       list_head(missing_weights) + "), " + std::to_string(report.unexpected.size()) +
                       " unexpected (" + list_head(report.unexpected) + ")" + hint);
  }

  for (const auto& name : report.loaded) {
    const auto& t = file.at(name);
    if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
      throw WeightsError(where + "tensor '" + name + "' holds non-finite values (NaN or Inf); the file is damaged");
  }
  torch::NoGradGuard no_grad;
  for (const auto& name : report.loaded) target.at(name).copy_(file.at(name));
  return report;
}

}  // namespace pl::model
