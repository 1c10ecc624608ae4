// Preprocessing of the attrib program (preprocess.hpp).
#include "preprocess.hpp"

#include <attrib/io/image.hpp>
#include <attrib/io/npy.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace attrib::cli {

namespace {
bool is_npy(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
}
double channel_value(const std::vector<double>& v, Index c, Index channels, const char* what) {
  if (v.size() == 1) return v[0];
  if (Index(v.size()) != channels)
    usage("cli.003", "--", what, " has ", v.size(), " values, the model input has ", channels, " channels (give 1 or ", channels, ")");
  return v[std::size_t(c)];
}
}  // namespace

Image resize_bilinear(const Image& in, int width, int height) {
  Image out(width, height, in.channels);
  const double sx = double(in.width) / width, sy = double(in.height) / height;
  for (int y = 0; y < height; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, double(in.height - 1));
    const int y0 = int(fy), y1 = std::min(y0 + 1, in.height - 1);
    const double ty = fy - y0;
    for (int x = 0; x < width; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, double(in.width - 1));
      const int x0 = int(fx), x1 = std::min(x0 + 1, in.width - 1);
      const double tx = fx - x0;
      for (int c = 0; c < in.channels; ++c) {
        const double v = (1 - ty) * ((1 - tx) * in.at(x0, y0, c) + tx * in.at(x1, y0, c)) +
                         ty * ((1 - tx) * in.at(x0, y1, c) + tx * in.at(x1, y1, c));
        out.at(x, y, c) = static_cast<unsigned char>(std::lround(std::clamp(v, 0.0, 255.0)));
      }
    }
  }
  return out;
}

InputProbe probe_input(const std::string& path, const Preprocess& p) {
  InputProbe r;
  if (is_npy(path)) {
    const Tensor<T> a = load_npy<T>(path);
    const Shape& s = a.shape();
    if (s.rank() >= 3) {
      const Index k = s.rank() - 3;
      r.channels = p.nhwc ? s[k + 2] : s[k];
      r.height = p.nhwc ? s[k] : s[k + 1];
      r.width = p.nhwc ? s[k + 1] : s[k + 2];
    }
    return r;
  }
  const Image img = read_image(path);
  r.channels = p.grayscale ? 1 : img.channels >= 3 ? 3 : 1;
  r.height = p.size ? p.size->first : img.height;
  r.width = p.size ? p.size->second : img.width;
  return r;
}

std::pair<double, double> input_range(const Preprocess& p, Index channels) {
  double lo = 1e300, hi = -1e300;
  for (Index c = 0; c < channels; ++c) {
    const double m = channel_value(p.mean, c, channels, "mean"), s = channel_value(p.std, c, channels, "std");
    lo = std::min(lo, (0 - m) / s);
    hi = std::max(hi, (1 - m) / s);
  }
  return {lo, hi};
}

namespace {
Input load_npy_input(const std::string& path, const Shape& want) {
  Input in;
  Tensor<T> a = load_npy<T>(path);
  if (a.shape() != want) {
    if (a.shape().rank() + 1 == want.rank() && a.size() == want.sample_size() &&
        std::equal(a.shape().begin(), a.shape().end(), want.begin() + 1))
      a = Tensor<T>(want, std::vector<T>(a.data(), a.data() + a.size()));
    else
      usage("cli.021", "input '", path, "' has shape ", a.shape(), ", the model takes ", want,
            " (or the same without the batch dimension)");
  }
  for (Index i = 0; i < a.size(); ++i)
    if (!std::isfinite(double(a[i]))) usage("cli.022", "input '", path, "' has a non-finite value at flat index ", i);
  in.x = std::move(a);
  if (want.rank() == 4 && (want[1] == 1 || want[1] == 3)) {  // a picture: min-max scaled
    in.display = Tensor<T>::copy_of(in.x.cview());
    const T lo = in.display.vec().minCoeff(), hi = in.display.vec().maxCoeff();
    for (Index i = 0; i < in.display.size(); ++i) in.display[i] = hi > lo ? (in.display[i] - lo) / (hi - lo) : T(0.5);
  }
  return in;
}

Input load_image_input(const std::string& path, const Shape& want, const Preprocess& p) {
  if (want.rank() != 4)
    usage("cli.020", "input '", path, "' is an image but the model input ", want, " is not [N, C, H, W] or [N, H, W, C]");
  const Index C = p.nhwc ? want[3] : want[1], H = p.nhwc ? want[1] : want[2], W = p.nhwc ? want[2] : want[3];
  if (C != 1 && C != 3) usage("cli.020", "input '", path, "': the model takes ", C, " channels; images give 1 or 3 (use .npy)");
  Image img = read_image(path, p.grayscale || C == 1 ? 1 : 3);
  if (img.width != W || img.height != H) {
    if (p.fit == Preprocess::Fit::exact)
      usage("cli.020", "image '", path, "' is ", img.width, "x", img.height, " (WxH) but the model takes ", W, "x", H,
            "; pass --resize or --center-crop (or --size HxW for a model with symbolic H, W)");
    if (p.fit == Preprocess::Fit::resize) img = resize_bilinear(img, int(W), int(H));
    else {
      const double scale = std::max(double(W) / img.width, double(H) / img.height);
      const int sw = std::max(int(W), int(std::lround(img.width * scale))), sh = std::max(int(H), int(std::lround(img.height * scale)));
      const Image big = resize_bilinear(img, sw, sh);
      Image crop(int(W), int(H), big.channels);
      const int ox = (sw - int(W)) / 2, oy = (sh - int(H)) / 2;
      for (int y = 0; y < crop.height; ++y)
        for (int x = 0; x < crop.width; ++x)
          for (int c = 0; c < crop.channels; ++c) crop.at(x, y, c) = big.at(x + ox, y + oy, c);
      img = std::move(crop);
    }
  }
  Input in;
  in.display = Tensor<T>(Shape{1, C, H, W});
  in.x = Tensor<T>(want);
  for (Index c = 0; c < C; ++c) {
    const double m = channel_value(p.mean, c, C, "mean"), s = channel_value(p.std, c, C, "std");
    for (Index y = 0; y < H; ++y)
      for (Index x = 0; x < W; ++x) {
        const double v = img.at(int(x), int(y), img.channels == 1 ? 0 : int(c)) / 255.0;
        in.display[(c * H + y) * W + x] = T(v);
        in.x[p.nhwc ? (y * W + x) * C + c : (c * H + y) * W + x] = T((v - m) / s);
      }
  }
  return in;
}
}  // namespace

std::vector<Input> load_inputs(const std::vector<std::string>& paths, const Shape& model_input, const Preprocess& p) {
  std::vector<Input> out;
  for (const auto& path : paths) {
    Input in = is_npy(path) ? load_npy_input(path, model_input) : load_image_input(path, model_input, p);
    in.path = path;
    in.stem = std::filesystem::path(path).stem().string();
    for (const auto& prev : out)
      if (prev.stem == in.stem) in.stem += "_" + std::to_string(out.size());
    out.push_back(std::move(in));
  }
  return out;
}

}  // namespace attrib::cli
