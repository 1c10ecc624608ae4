#pragma once
// Inputs of the attrib program: images (PNG, JPEG, BMP) resized / cropped, scaled to [0, 1],
// normalised by mean and std, in NCHW or NHWC; or .npy arrays holding the model input.
#include <utility>

#include "cli.hpp"

namespace attrib::cli {

/// Channels, height and width of the first input (images: as stored; .npy: from its shape,
/// 0 when unknown) — fills symbolic model dimensions before the import.
struct InputProbe {
  Index channels = 0, height = 0, width = 0;
};
InputProbe probe_input(const std::string& path, const Preprocess& p);

/// Every input as the model input of shape model_input ([1, ...]).
std::vector<Input> load_inputs(const std::vector<std::string>& paths, const Shape& model_input, const Preprocess& p);

/// The model-input range of image pixels in [0, 1] after normalisation: (min, max) over channels.
std::pair<double, double> input_range(const Preprocess& p, Index channels);

/// Bilinear resize of an H x W x C byte image (half-pixel centres, as PIL and torch).
Image resize_bilinear(const Image& in, int width, int height);

}  // namespace attrib::cli
