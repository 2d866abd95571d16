#pragma once
// Decoding image and mask files: the one place the data path reads pixels from disk. It uses
// stb_image (header-only) and our own TIFF reader (core/data/tiff.h) in every build, so a model
// trained on a headless GPU server and evaluated on the workstation sees the same pixels. JPEG, PNG
// (8 and 16 bit), BMP, TGA, GIF (first frame), PNM and PSD by stb_image; baseline TIFF (8-bit or
// bilevel; uncompressed, LZW or PackBits), recognised by its header whatever the extension, by
// tiff.h. Not WebP. Everything after decoding runs on torch tensors (docs/data.md §1).
#include <cstdint>
#include <string>
#include <vector>

namespace pl::core::data {

// An 8-bit image, rows packed: height x width x channels.
struct Image8 {
  int height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// Decodes an image file to 8-bit RGB (3 channels). Grayscale, alpha and 16-bit files are converted
// (16 bit scales by 1/257). Throws DatasetError (core/data/dataset.h) naming the file when it is
// missing, unreadable, corrupt or of an unsupported format.
Image8 decode_image_rgb(const std::string& path);

// Decodes a mask file to 1-channel labels {0 = background, 1 = polyp}. Masks whose values are all
// 0/1 (label-index PNGs, 8 or 16 bit) are taken as they are; others are thresholded at > 127
// (Kvasir's JPEG masks are not pure 0/255; docs/data.md §2). Colour masks are converted to gray
// first (ITU-R 601 luma, as OpenCV does).
Image8 decode_mask(const std::string& path);

// Encodes 8-bit pixels (1, 3 or 4 channels, rows packed) as PNG bytes. Throws std::runtime_error.
std::vector<uint8_t> encode_png(const uint8_t* pixels, int height, int width, int channels);

}  // namespace pl::core::data
