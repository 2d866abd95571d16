#pragma once
// PolypLens checkpoints: one file per checkpoint, written with torch::pickle_save so Python reads it
// with a plain `torch.load(path)`:
//   {"state_dict": {name: tensor}, "meta": {str: str|int|float}, "extra": {name: tensor}}
// "meta" holds every SegmentorOptions field (so a file rebuilds its model), the class names, the
// epoch/iteration, metrics ("metrics.<name>"), free-form strings ("strings.<name>"), the creation
// time and a content hash over the stored tensors. "extra" carries trainer state, opaque here.
// Files are written atomically (temporary file in the same folder, fsync, rename).
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

#include <ATen/core/Tensor.h>

#include "model/options.h"
#include "model/segmentor.h"

namespace pl::model {

struct CheckpointMeta {
  int64_t epoch = 0, iteration = 0;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> strings;  // free-form extra metadata
};

struct Checkpoint {
  SegmentorOptions options;
  CheckpointMeta meta;
  std::map<std::string, torch::Tensor> state, extra;  // as stored (fp16 floats when saved so)
  std::string content_hash, path;
  std::string created;        // ISO 8601 UTC
  std::string storage_dtype;  // "fp32" or "fp16"
  std::string classes;        // comma-separated class names, index order
};

class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws CheckpointError (with the path) when the file cannot be written. The model may live on
// any device; tensors are stored on the CPU. fp16 stores floating-point state as half precision.
// meta.strings["classes"] (comma-separated) overrides the default class names.
void save_checkpoint(const std::string& path, AnnSegmentor& model, const CheckpointMeta& meta,
                     const std::map<std::string, torch::Tensor>& extra = {}, bool fp16 = false);

// Throws CheckpointError naming the path and the reason (missing, truncated, not a torch file,
// not a PolypLens checkpoint, bad options, hash mismatch).
Checkpoint read_checkpoint(const std::string& path);

// Builds the model from ck.options and loads the state (see load_state).
AnnSegmentor model_from_checkpoint(const Checkpoint& ck);

// Copies ck.state into an existing model after checking that every name and shape fits; on a
// mismatch throws CheckpointError listing what does not fit (and both architectures), and leaves
// the model unchanged. Values are converted to each parameter's dtype and device.
void load_state(AnnSegmentor& model, const Checkpoint& ck);

// FNV-1a 64 over names, dtypes, shapes and bytes of the tensors in name order, as 16 hex digits.
std::string content_hash(const std::map<std::string, torch::Tensor>& tensors);

// The model's parameters and buffers by state-dict name (detached, on the model's device).
std::map<std::string, torch::Tensor> state_dict(AnnSegmentor& model);

}  // namespace pl::model
