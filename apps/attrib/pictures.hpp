#pragma once
// Heatmap, overlay and input pictures at a readable size (small inputs are upscaled).
#include "cli.hpp"

namespace attrib::cli {

/// Upscaling factor that makes a W-pixel-wide map at least 112 pixels wide.
int picture_scale(Index width);
Image heatmap_picture(ConstView<T> attribution, bool nhwc);
Image overlay_picture(const Input& in, ConstView<T> attribution, bool nhwc);
Image input_picture(const Input& in, Index height, Index width);

}  // namespace attrib::cli
