#pragma once
// A small baseline TIFF reader (no library): the data-set formats of docs/data.md §1. Reads the first
// image (IFD) of little- and big-endian files: 8-bit gray, gray + alpha, RGB and RGBA (extra samples
// dropped) and 1-bit bilevel; MinIsWhite is inverted; chunky or planar samples; strips or tiles;
// compression none, LZW (with or without the horizontal predictor) and PackBits. Anything else
// (JPEG or Deflate compression, 16-bit or float samples, palette, CMYK, BigTIFF) is refused by name.
// Every offset and count is checked against the file size and dimensions are capped, so a truncated
// or corrupt file is an error, never a read outside the buffer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/data/decode.h"

namespace pl::core::data {

// The largest width or height accepted, and the largest decoded size in bytes.
inline constexpr uint32_t kTiffMaxSide = 32768;
inline constexpr uint64_t kTiffMaxBytes = uint64_t(1) << 30;

// True when `data` starts with a TIFF header ("II*\0" or "MM\0*").
bool is_tiff(const uint8_t* data, size_t size);

// Decodes the first image of a TIFF file held in memory to 8 bits per sample, 1 channel (gray) or 3
// (RGB). `name` (the file's path) starts every error message. Throws DatasetError
// (core/data/dataset.h) for an unsupported or corrupt file.
Image8 decode_tiff(const uint8_t* data, size_t size, const std::string& name);

}  // namespace pl::core::data
