// Heatmap utilities: colour-map endpoints and centre, percentile and normalisation values
// against numpy's definitions worked out by hand, channel reductions against naive loops, text,
// overlay and the labelled grid's layout.
#include <cmath>
#include <limits>

#include "io/io_test_support.hpp"
#include "attrib/io/heatmap.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
template <class E, class F>
void require_error(F&& f, const std::string& id, const std::string& fragment) {
  try {
    f();
  } catch (const E& e) {
    INFO(e.what());
    CHECK(e.id() == "attrib." + id);
    CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    return;
  }
  FAIL("no exception, expected " << id);
}
int count_not(const Image& img, Rgb background, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) n += img.rgb(x, y) != background;
  return n;
}
}  // namespace

TEST_CASE("Diverging colour map: blue-white-red centred at zero", "[heatmap]") {
  CHECK(diverging_color(-1.0) == Rgb{0, 0, 255});
  CHECK(diverging_color(0.0) == Rgb{255, 255, 255});
  CHECK(diverging_color(1.0) == Rgb{255, 0, 0});
  CHECK(diverging_color(0.5) == Rgb{255, 128, 128});   // round(127.5) = 128
  CHECK(diverging_color(-0.5) == Rgb{128, 128, 255});
  CHECK(diverging_color(7.0) == Rgb{255, 0, 0});       // clipped
  CHECK(diverging_color(-7.0) == Rgb{0, 0, 255});
  for (double v = 0.05; v <= 1.0; v += 0.05) {          // symmetric: red for +v is blue for -v
    const Rgb p = diverging_color(v), m = diverging_color(-v);
    CHECK(p.r == m.b);
    CHECK(p.g == m.g);
    CHECK(p.b == m.r);
    CHECK(p.g < 255);
  }
}

TEST_CASE("Sequential and grey colour maps", "[heatmap]") {
  CHECK(sequential_color(0.0) == Rgb{255, 255, 255});
  CHECK(sequential_color(1.0) == Rgb{103, 0, 13});
  CHECK(sequential_color(0.5) == Rgb{251, 106, 74});
  CHECK(sequential_color(0.125) == Rgb{254, 221, 208});  // halfway between the first two anchors
  CHECK(sequential_color(-1.0) == sequential_color(0.0));
  int last_g = 256;
  for (double v = 0; v <= 1.0; v += 0.01) {  // green falls monotonically: lighter to darker
    CHECK(int(sequential_color(v).g) <= last_g);
    last_g = sequential_color(v).g;
  }
  CHECK(grey_color(0.0) == Rgb{0, 0, 0});
  CHECK(grey_color(1.0) == Rgb{255, 255, 255});
  CHECK(grey_color(0.5) == Rgb{128, 128, 128});
}

TEMPLATE_TEST_CASE("Percentile and normalisation values", "[heatmap]", float, double) {
  // 1..100 with alternating signs: |x| = 1..100; numpy.percentile(1..100, 99.5) = 99.505.
  Tensor<TestType> x(Shape{100});
  for (Index i = 0; i < 100; ++i) x[i] = TestType((i % 2 ? -1 : 1) * (i + 1));
  CHECK(abs_percentile(x.cview(), 99.5) == Approx(99.505).epsilon(1e-12));
  CHECK(abs_percentile(x.cview(), 50.0) == Approx(50.5).epsilon(1e-12));
  CHECK(abs_percentile(x.cview(), 100.0) == Approx(100.0));
  const Tensor<TestType> s = normalize_signed(x.cview(), 99.5);
  CHECK(double(s[0]) == Approx(1.0 / 99.505));
  CHECK(double(s[9]) == Approx(-10.0 / 99.505));
  CHECK(double(s[98]) == Approx(99.0 / 99.505));
  CHECK(double(s[99]) == -1.0);  // -100 clipped
  const Tensor<TestType> a = normalize_abs(x.cview(), 50.0);
  CHECK(double(a[9]) == Approx(10.0 / 50.5));
  CHECK(double(a[60]) == 1.0);

  // Per batch item: the second sample is 1000x the first and normalises to the same values.
  Tensor<TestType> b(Shape{2, 1, 2, 2}, {1, -2, 3, 4, 1000, -2000, 3000, 4000});
  const Tensor<TestType> nb = normalize_signed(b.cview(), 100.0);
  for (Index i = 0; i < 4; ++i) CHECK(double(nb[i]) == Approx(double(nb[4 + i])));
  CHECK(double(nb[1]) == Approx(-0.5));
  const Tensor<TestType> zero = normalize_signed(Tensor<TestType>(Shape{1, 1, 3, 3}).cview());
  CHECK(zero.vec().cwiseAbs().maxCoeff() == 0);

  Tensor<TestType> bad(Shape{4}, {1, 2, std::numeric_limits<TestType>::quiet_NaN(), 4});
  require_error<ArgumentError>([&] { normalize_signed(bad.cview()); }, "io.343", "non-finite value nan at index 2");
  require_error<ArgumentError>([&] { abs_percentile(x.cview(), 0.0); }, "io.344", "percentile 0");
  require_error<ArgumentError>([&] { normalize_abs(x.cview(), 100.5); }, "io.344", "percentile 100.5");
}

TEMPLATE_TEST_CASE("Channel reduction: sum and abs-max against naive loops", "[heatmap]", float, double) {
  Tensor<TestType> a(Shape{2, 3, 2, 2});
  for (Index i = 0; i < a.size(); ++i) a[i] = TestType(std::sin(double(i) * 1.7) * 3);
  const Tensor<TestType> s = reduce_channels(a.cview(), ChannelReduction::sum);
  const Tensor<TestType> m = reduce_channels(a.cview(), ChannelReduction::abs_max);
  REQUIRE(s.shape() == Shape{2, 1, 2, 2});
  for (Index n = 0; n < 2; ++n)
    for (Index y = 0; y < 2; ++y)
      for (Index x = 0; x < 2; ++x) {
        double sum = 0, mx = 0;
        for (Index c = 0; c < 3; ++c) {
          sum += double(a.at(n, c, y, x));
          mx = std::max(mx, std::abs(double(a.at(n, c, y, x))));
        }
        CHECK(double(s.at(n, 0, y, x)) == Approx(sum).margin(1e-6));
        CHECK(double(m.at(n, 0, y, x)) == Approx(mx).margin(1e-6));
      }
  CHECK(reduce_channels(Tensor<TestType>(Shape{3, 4, 5}).cview()).shape() == Shape{1, 4, 5});
  require_error<ShapeError>([&] { reduce_channels(Tensor<TestType>(Shape{4, 5}).cview()); }, "io.341", "shape [4, 5]");
}

TEST_CASE("heatmap(): colours per pixel, scale, reductions", "[heatmap]") {
  Tensor<float> a(Shape{1, 1, 2, 3}, {0.f, 1.f, -1.f, 0.5f, -0.25f, 0.f});
  const Image h = heatmap(a.cview(), {ChannelReduction::sum, 100.0, Colormap::diverging, 1});
  REQUIRE(h.width == 3);
  REQUIRE(h.height == 2);
  REQUIRE(h.channels == 3);
  CHECK(h.rgb(0, 0) == Rgb{255, 255, 255});
  CHECK(h.rgb(1, 0) == Rgb{255, 0, 0});
  CHECK(h.rgb(2, 0) == Rgb{0, 0, 255});
  CHECK(h.rgb(0, 1) == diverging_color(0.5));
  CHECK(h.rgb(1, 1) == diverging_color(-0.25));

  const Image big = heatmap(a.cview(), {ChannelReduction::sum, 100.0, Colormap::diverging, 4});
  CHECK(big.width == 12);
  CHECK(big.height == 8);
  CHECK(big.rgb(7, 3) == Rgb{255, 0, 0});  // pixel (1, 0) covers x 4-7, y 0-3
  CHECK(big.rgb(8, 3) == Rgb{0, 0, 255});

  const Image abs = heatmap(a.cview(), {ChannelReduction::sum, 100.0, Colormap::sequential, 1});
  CHECK(abs.rgb(1, 0) == abs.rgb(2, 0));  // |1| == |-1|
  CHECK(abs.rgb(1, 0) == sequential_color(1.0));
  CHECK(heatmap(Tensor<double>(Shape{3, 4, 5}).cview()).width == 5);
  require_error<ShapeError>([&] { heatmap(Tensor<float>(Shape{2, 1, 4, 4}).cview()); }, "io.341", "[2, 1, 4, 4]");
}

TEST_CASE("input_image and overlay", "[heatmap]") {
  Tensor<float> x(Shape{1, 1, 2, 2}, {0.f, 1.f, 0.5f, 2.f});
  const Image in = input_image(x.cview());
  CHECK(in.rgb(0, 0) == Rgb{0, 0, 0});
  CHECK(in.rgb(1, 0) == Rgb{255, 255, 255});
  CHECK(in.rgb(0, 1) == Rgb{128, 128, 128});
  CHECK(in.rgb(1, 1) == Rgb{255, 255, 255});  // clipped
  Tensor<float> rgb(Shape{3, 1, 1}, {1.f, 0.f, 0.5f});
  CHECK(input_image(rgb.cview()).rgb(0, 0) == Rgb{255, 0, 128});

  Tensor<float> a(Shape{1, 1, 2, 2}, {0.f, 0.f, 0.f, 1.f});
  const Image o = overlay(x.cview(), a.cview(), {ChannelReduction::sum, 100.0, Colormap::diverging, 1}, 1.0);
  CHECK(o.rgb(0, 0) == Rgb{64, 64, 64});     // zero attribution: dimmed grey of black = 0.5 * 0 + 64
  CHECK(o.rgb(1, 0) == Rgb{192, 192, 192});  // white input: 0.5 * 255 + 64, rounded
  CHECK(o.rgb(1, 1) == Rgb{255, 0, 0});      // full attribution, opacity 1: pure colour
  const Image half = overlay(x.cview(), a.cview(), {ChannelReduction::sum, 100.0, Colormap::diverging, 1}, 0.5);
  CHECK(half.rgb(1, 1) == Rgb{223, 96, 96});  // 0.5 * 191.5 + 0.5 * (255, 0, 0), rounded
  require_error<ShapeError>([&] { overlay(x.cview(), Tensor<float>(Shape{1, 1, 3, 2}).cview()); }, "io.341", "differ in size");
}

TEST_CASE("Bitmap text: glyph pixels and widths", "[heatmap]") {
  CHECK(text_width("") == 0);
  CHECK(text_width("A") == 5);
  CHECK(text_width("AB") == 11);
  CHECK(text_width("AB", 2) == 22);
  Image img(20, 10, Rgb{255, 255, 255});
  draw_text(img, 1, 1, "I", Rgb{0, 0, 0});
  // 'I' = columns 0x00 0x41 0x7F 0x41 0x00: a full vertical bar in column 2, serifs at rows 0 and 6.
  for (int row = 0; row < 7; ++row) CHECK(img.rgb(1 + 2, 1 + row) == Rgb{0, 0, 0});
  CHECK(img.rgb(1 + 1, 1 + 0) == Rgb{0, 0, 0});
  CHECK(img.rgb(1 + 1, 1 + 3) == Rgb{255, 255, 255});
  CHECK(count_not(img, Rgb{255, 255, 255}, 0, 0, 20, 10) == 7 + 4);
  Image tiny(3, 3, Rgb{255, 255, 255});
  draw_text(tiny, -2, -2, "WWW", Rgb{0, 0, 0});  // clipped at the borders, no out-of-bounds writes
  CHECK(count_not(tiny, Rgb{255, 255, 255}, 0, 0, 3, 3) > 0);
  // every printable character draws something except the space
  for (char c = 33; c < 127; ++c) {
    Image g(6, 8, Rgb{255, 255, 255});
    draw_text(g, 0, 0, std::string(1, c), Rgb{0, 0, 0});
    INFO("character " << c);
    CHECK(count_not(g, Rgb{255, 255, 255}, 0, 0, 6, 8) > 0);
  }
}

TEST_CASE("labelled_grid: layout, cells in place, labels drawn", "[heatmap]") {
  const int rows = 2, cols = 3, cw = 30, ch = 20;
  std::vector<Image> cells;
  for (int i = 0; i < rows * cols; ++i) cells.emplace_back(cw, ch, Rgb{static_cast<unsigned char>(10 * i), 100, 200});
  GridOptions o;  // padding 2, font scale 1
  const Image g = labelled_grid(cells, rows, cols, {"row0", "r1"}, {"a", "bb", "a_rather_long_name"}, o);
  // column labels wrap to (30 + 1) / 6 = 5 characters: "a_", "rathe", "r_", "long_", "name" -> 5 lines of 9 px
  const int head = 5 * 9, left = text_width("row0") + 4;
  CHECK(g.width == left + 2 + cols * (cw + 2));
  CHECK(g.height == head + 2 + 2 + rows * (ch + 2));
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const int x0 = left + 2 + c * (cw + 2), y0 = head + 2 + 2 + r * (ch + 2);
      CHECK(g.rgb(x0, y0) == cells[std::size_t(r * cols + c)].rgb(0, 0));
      CHECK(g.rgb(x0 + cw - 1, y0 + ch - 1) == cells[std::size_t(r * cols + c)].rgb(0, 0));
      CHECK(g.rgb(x0 + cw, y0) == Rgb{255, 255, 255});  // padding after the cell
    }
  CHECK(count_not(g, Rgb{255, 255, 255}, 0, head + 4, left, g.height) > 20);  // row labels
  CHECK(count_not(g, Rgb{255, 255, 255}, left, 0, g.width, head) > 40);     // column labels

  const Image bare = labelled_grid(cells, rows, cols, {}, {}, o);
  CHECK(bare.width == 2 + cols * (cw + 2));
  CHECK(bare.height == 2 + rows * (ch + 2));

  require_error<ArgumentError>([&] { labelled_grid(cells, 2, 2, {}, {}); }, "io.345", "6 cells for 2 x 2");
  require_error<ArgumentError>([&] { labelled_grid(cells, 2, 3, {"x"}, {}); }, "io.345", "1 row labels for 2 rows");
  require_error<ArgumentError>([&] { labelled_grid(cells, 2, 3, {}, {"x"}); }, "io.345", "1 column labels for 3 columns");
  cells[4] = Image(cw, ch + 1, Rgb{});
  require_error<ShapeError>([&] { labelled_grid(cells, 2, 3, {}, {}); }, "io.346", "cell 4 is 30x21");
}

TEST_CASE("Image construction and upscale", "[heatmap]") {
  Image g(2, 1, 1);
  g.set(1, 0, Rgb{30, 60, 90});
  CHECK(g.at(1, 0, 0) == 60);  // grey image: mean of the colour
  CHECK(g.rgb(1, 0) == Rgb{60, 60, 60});
  const Image u = upscale(g, 3);
  CHECK(u.width == 6);
  CHECK(u.height == 3);
  CHECK(u.at(5, 2, 0) == 60);
  CHECK(u.at(2, 2, 0) == 0);
  require_error<ArgumentError>([&] { Image(2, 2, 5); }, "io.340", "5 channels");
  require_error<ArgumentError>([&] { upscale(g, 0); }, "io.342", "factor 0");
  // Sizes are bounded before any int arithmetic or allocation (tests/fuzz/fuzz_image.cpp found
  // upscale overflowing int at factor 2^30).
  CHECK(Image(max_image_side, 1, 1).pixels.size() == std::size_t(max_image_side));
  require_error<ArgumentError>([&] { Image(max_image_side + 1, 1, 1); }, "io.347", "Image: a 32769x1 image");
  require_error<ArgumentError>([&] { Image(1 << 14, 1 << 13, 1); }, "io.347", "at most 32768 pixels per side and 67108864");
  require_error<ArgumentError>([&] { upscale(g, 1 << 30); }, "io.347", "upscale: a 2147483648x1073741824 image");
  GridOptions o;
  o.padding = 1 << 30;
  require_error<ArgumentError>([&] { labelled_grid({g}, 1, 1, {}, {}, o); }, "io.342", "padding 1073741824");
  o.padding = max_image_side;
  require_error<ArgumentError>([&] { labelled_grid({g}, 1, 1, {}, {}, o); }, "io.347", "labelled_grid: a 65538x65537 image");
  o.padding = 0;
  o.font_scale = 65;
  require_error<ArgumentError>([&] { labelled_grid({g}, 1, 1, {"x"}, {}, o); }, "io.342", "font scale 65");
  Tensor<float> tall(Shape{max_image_side + 1, 1}, 0.f);
  require_error<ArgumentError>([&] { heatmap(tall.cview()); }, "io.347", "heatmap: a 1x32769 image");
}
