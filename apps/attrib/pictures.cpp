// Pictures of the attrib program (pictures.hpp).
#include "pictures.hpp"

namespace attrib::cli {

namespace {
/// [1, H, W, C] -> [1, C, H, W]; other shapes unchanged.
Tensor<T> as_nchw(ConstView<T> a, bool nhwc) {
  if (!nhwc || a.rank() != 4) return Tensor<T>::copy_of(a);
  const Index H = a.dim(1), W = a.dim(2), C = a.dim(3);
  Tensor<T> out(Shape{1, C, H, W});
  for (Index y = 0; y < H; ++y)
    for (Index x = 0; x < W; ++x)
      for (Index c = 0; c < C; ++c) out[(c * H + y) * W + x] = a[(y * W + x) * C + c];
  return out;
}
/// A map the heatmap writer takes: [1, C, H, W] as is, [1, L] / [1, C, L] as one row.
Tensor<T> as_map(ConstView<T> a, bool nhwc) {
  Tensor<T> m = as_nchw(a, nhwc);
  if (m.rank() == 4) return m;
  const Index n = m.size();
  return Tensor<T>(Shape{1, 1, 1, n}, std::vector<T>(m.data(), m.data() + n));
}
}  // namespace

int picture_scale(Index width) { return int(std::max<Index>(1, (112 + width - 1) / std::max<Index>(width, 1))); }

Image heatmap_picture(ConstView<T> attribution, bool nhwc) {
  const Tensor<T> m = as_map(attribution, nhwc);
  HeatmapOptions o;
  o.scale = picture_scale(m.dim(3));
  return heatmap(m.cview(), o);
}

Image overlay_picture(const Input& in, ConstView<T> attribution, bool nhwc) {
  const Tensor<T> m = as_map(attribution, nhwc);
  if ((in.display.size() == 0) || in.display.dim(2) != m.dim(2) || in.display.dim(3) != m.dim(3)) return heatmap_picture(attribution, nhwc);
  HeatmapOptions o;
  o.scale = picture_scale(m.dim(3));
  return overlay(in.display.cview(), m.cview(), o);
}

Image input_picture(const Input& in, Index height, Index width) {
  if ((in.display.size() == 0)) return Image(int(width * picture_scale(width)), int(height * picture_scale(width)), Rgb{200, 200, 200});
  return input_image(in.display.cview(), 0.0, 1.0, picture_scale(in.display.dim(3)));
}

}  // namespace attrib::cli
