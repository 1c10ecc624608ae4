// Forward and gradients of every configuration stored in tests/data/structure.safetensors (made
// by tools/make_structure_fixtures.py with PyTorch in float64) against our structural layers,
// in double (1e-12 relative to the reference's largest magnitude) and in float (1e-5). The
// configurations come from the file's metadata ("config.<name>" = JSON with the kind and the
// constructor arguments).
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "support/support.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/layers/channel_shuffle.hpp"
#include "attrib/layers/concat.hpp"
#include "attrib/layers/const_affine.hpp"
#include "attrib/layers/conv1d.hpp"
#include "attrib/layers/mul.hpp"
#include "attrib/layers/pool1d.hpp"
#include "attrib/layers/reduce_mean.hpp"
#include "attrib/layers/slice.hpp"

using namespace attrib;
using namespace attrib::test;
namespace json = attrib::detail::json;

namespace {

const std::string fixture_path = std::string(ATTRIB_TEST_DATA_DIR) + "/structure.safetensors";

struct Config {
  std::string name;
  json::Value args;
  Index count(const SafeTensors<double>& st, const char* part) const {
    Index k = 0;
    while (st.contains(name + part + std::to_string(k))) ++k;
    return k;
  }
};

std::vector<Config> configs_of(const std::map<std::string, std::string>& metadata, const std::string& kind) {
  std::vector<Config> out;
  for (const auto& [key, value] : metadata) {
    if (key.rfind("config.", 0) != 0) continue;
    json::Value v = json::parse(value);
    if (v.find("kind")->as_string() == kind) out.push_back({key.substr(7), std::move(v)});
  }
  return out;
}

const json::Value& field(const Config& c, const char* key) {
  INFO(c.name << ": argument " << key);
  const json::Value* v = c.args.find(key);
  REQUIRE(v != nullptr);
  return *v;
}
Index integer(const json::Value& v) { return v.is_unsigned() ? Index(v.as_unsigned()) : Index(std::llround(v.as_double())); }
Index arg(const Config& c, const char* key) { return integer(field(c, key)); }
Index arg_or(const Config& c, const char* key, Index fallback) { return c.args.find(key) ? arg(c, key) : fallback; }
bool flag_or(const Config& c, const char* key, bool fallback) {
  const json::Value* v = c.args.find(key);
  return v ? v->as_bool() : fallback;
}
Index item(const Config& c, const char* key, std::size_t i) { return integer(field(c, key).items().at(i)); }
template <class T>
std::vector<T> reals(const Config& c, const char* key) {
  std::vector<T> out;
  for (const auto& v : field(c, key).items()) out.push_back(static_cast<T>(v.as_double()));
  return out;
}

double max_abs(const Tensor<double>& t) {
  double m = 0;
  for (Index i = 0; i < t.size(); ++i) m = std::max(m, std::abs(t[i]));
  return m;
}

/// ours (any precision) against PyTorch's float64 value: max |diff| <= tol * max |ref|.
template <class T>
void check_close(const Tensor<T>& ours, const Tensor<double>& ref, double tol, const std::string& what) {
  INFO(what << ": " << ours.shape() << " vs " << ref.shape());
  REQUIRE(ours.shape() == ref.shape());
  double worst = 0;
  for (Index i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(double(ours[i]) - ref[i]));
  INFO(what << ": max abs error " << worst << " vs scale " << max_abs(ref));
  CHECK(worst <= tol * std::max(max_abs(ref), 1e-300));
}

template <class T>
double tolerance() {
  return std::is_same_v<T, double> ? 1e-12 : 1e-5;
}

template <class T>
struct Fixture {
  SafeTensors<double> ref = SafeTensors<double>::load(fixture_path);
  SafeTensors<T> st = SafeTensors<T>::load(fixture_path);
  const Tensor<T>& get(const std::string& n) const { return st.get(n); }
  const Tensor<double>& ref_of(const std::string& n) const { return ref.get(n); }
};

/// A unary layer: output0 from input0, grad_input0 from grad_output0.
template <class T, class L>
void check_unary(const L& layer, const Fixture<T>& f, const Config& c) {
  const Tensor<T>& x = f.get(c.name + ".input0");
  const Tensor<T>& gy = f.get(c.name + ".grad_output0");
  Workspace<T> ws;
  Tensor<T> y(layer.output_shape(x.shape())), gx(x.shape(), T(123));
  layer.forward(x, y, ws);
  layer.backward(x, gy, gx, ws);
  check_close(y, f.ref_of(c.name + ".output0"), tolerance<T>(), c.name + " forward");
  check_close(gx, f.ref_of(c.name + ".grad_input0"), tolerance<T>(), c.name + " input gradient");
}

template <class T, class Check>
void for_each_config(const std::string& kind, std::size_t min_count, Check&& check) {
  const Fixture<T> f;
  const auto configs = configs_of(f.st.metadata(), kind);
  INFO(kind << ": " << configs.size() << " configurations in " << fixture_path);
  REQUIRE(configs.size() >= min_count);
  for (const auto& c : configs) {
    INFO(c.name);
    check(c, f);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("Structure fixtures: Concat of 2 and 3 inputs on several axes", "[layers][torch][concat]", float,
                   double) {
  using T = TestType;
  for_each_config<T>("Concat", 4, [](const Config& c, const Fixture<T>& f) {
    Concat<T> cat(int(arg(c, "axis")));
    std::vector<ConstView<T>> xs;
    std::vector<Tensor<T>> gx;
    const Index n = c.count(f.ref, ".input");
    for (Index k = 0; k < n; ++k) {
      xs.push_back(f.get(c.name + ".input" + std::to_string(k)).view());
      gx.emplace_back(xs.back().shape());
    }
    Workspace<T> ws;
    Tensor<T> y(f.ref_of(c.name + ".output0").shape());
    cat.forward(xs, y, ws);
    for (Index k = 0; k < n; ++k) cat.backward(xs, int(k), f.get(c.name + ".grad_output0"), gx[std::size_t(k)], ws);
    check_close(y, f.ref_of(c.name + ".output0"), tolerance<T>(), "forward");
    for (Index k = 0; k < n; ++k)
      check_close(gx[std::size_t(k)], f.ref_of(c.name + ".grad_input" + std::to_string(k)), tolerance<T>(), "gradient");
  });
}

TEMPLATE_TEST_CASE("Structure fixtures: Slice (negative, clamped, strided) and Split / chunk",
                   "[layers][torch][slice]", float, double) {
  using T = TestType;
  for_each_config<T>("Slice", 4, [](const Config& c, const Fixture<T>& f) {
    Slice<T> s(int(arg(c, "axis")), arg(c, "start"), arg(c, "end"), arg_or(c, "step", 1));
    check_unary(s, f, c);
  });
  for_each_config<T>("Split", 2, [](const Config& c, const Fixture<T>& f) {
    std::vector<Index> sizes;
    for (std::size_t i = 0; i < field(c, "sizes").items().size(); ++i) sizes.push_back(item(c, "sizes", i));
    const auto parts = split_slices<T>(int(arg(c, "axis")), sizes);
    const Tensor<T>& x = f.get(c.name + ".input0");
    REQUIRE(Index(parts.size()) == c.count(f.ref, ".output"));
    Workspace<T> ws;
    Tensor<T> gx(x.shape()), gpart(x.shape());
    gx.set_zero();
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const std::string sk = std::to_string(k);
      Tensor<T> y(parts[k].output_shape(x.shape()));
      parts[k].forward(x, y, ws);
      check_close(y, f.ref_of(c.name + ".output" + sk), tolerance<T>(), "part " + sk);
      parts[k].backward(x, f.get(c.name + ".grad_output" + sk), gpart, ws);
      gx.add(gpart);
    }
    check_close(gx, f.ref_of(c.name + ".grad_input0"), tolerance<T>(), "gradient of all parts");
  });
}

TEMPLATE_TEST_CASE("Structure fixtures: ChannelShuffle", "[layers][torch][channel_shuffle]", float, double) {
  using T = TestType;
  for_each_config<T>("ChannelShuffle", 2,
                     [](const Config& c, const Fixture<T>& f) { check_unary(ChannelShuffle<T>(arg(c, "groups")), f, c); });
}

TEMPLATE_TEST_CASE("Structure fixtures: Mul with equal shapes, gates and general broadcasting", "[layers][torch][mul]",
                   float, double) {
  using T = TestType;
  for_each_config<T>("Mul", 4, [](const Config& c, const Fixture<T>& f) {
    const Tensor<T>&a = f.get(c.name + ".input0"), &b = f.get(c.name + ".input1");
    Mul<T> mul;
    Workspace<T> ws;
    Tensor<T> y(mul.output_shape(a.shape(), b.shape())), ga(a.shape()), gb(b.shape());
    mul.forward(a, b, y, ws);
    mul.backward(a, b, f.get(c.name + ".grad_output0"), ga, gb, ws);
    check_close(y, f.ref_of(c.name + ".output0"), tolerance<T>(), "forward");
    check_close(ga, f.ref_of(c.name + ".grad_input0"), tolerance<T>(), "first input gradient");
    check_close(gb, f.ref_of(c.name + ".grad_input1"), tolerance<T>(), "second input gradient");
  });
}

TEMPLATE_TEST_CASE("Structure fixtures: ConstAffine as Add / Sub / Mul / Div with a constant",
                   "[layers][torch][const_affine]", float, double) {
  using T = TestType;
  for_each_config<T>("ConstAffine", 5, [](const Config& c, const Fixture<T>& f) {
    const std::string op = field(c, "op").as_string();
    const std::vector<T> k = reals<T>(c, "c");
    const ConstAffine<T> layer = op == "plus"              ? ConstAffine<T>::plus(k)
                                 : op == "minus"           ? ConstAffine<T>::minus(k)
                                 : op == "subtracted_from" ? ConstAffine<T>::subtracted_from(k)
                                 : op == "times"           ? ConstAffine<T>::times(k)
                                                           : ConstAffine<T>::divided_by(k);
    REQUIRE((op == "plus" || op == "minus" || op == "subtracted_from" || op == "times" || op == "divided_by"));
    check_unary(layer, f, c);
  });
}

TEMPLATE_TEST_CASE("Structure fixtures: ReduceMean over the spatial axes", "[layers][torch][reduce_mean]", float,
                   double) {
  using T = TestType;
  for_each_config<T>("ReduceMean", 3, [](const Config& c, const Fixture<T>& f) {
    check_unary(ReduceMean<T>(flag_or(c, "keepdims", true)), f, c);
  });
}

TEMPLATE_TEST_CASE("Structure fixtures: Conv1d input, weight and bias gradients", "[layers][torch][conv1d]", float,
                   double) {
  using T = TestType;
  for_each_config<T>("Conv1d", 6, [](const Config& c, const Fixture<T>& f) {
    Conv1dOptions opt;
    opt.stride(arg_or(c, "stride", 1)).dilation(arg_or(c, "dilation", 1)).groups(arg_or(c, "groups", 1));
    opt.bias(flag_or(c, "bias", true));
    if (c.args.find("padding")) opt.padding(item(c, "padding", 0), item(c, "padding", 1));
    Conv1d<T> conv(arg(c, "cin"), arg(c, "cout"), arg(c, "kernel"), opt);
    conv.set_name(c.name);
    conv.weight().assign(f.get(c.name + ".weight"), c.name);
    REQUIRE(conv.has_bias() == f.st.contains(c.name + ".bias"));
    if (conv.has_bias()) conv.bias().assign(f.get(c.name + ".bias"), c.name);
    check_unary(conv, f, c);
    // Parameter gradients: y is linear in (W, b), so dL/dW_i = <gy, forward_with(e_i, no bias, x)>
    // and dL/db_o = <gy, forward_with(0, e_o, x)>, evaluated for every entry.
    const Tensor<T>& x = f.get(c.name + ".input0");
    const Tensor<T>& gy = f.get(c.name + ".grad_output0");
    Workspace<T> ws;
    Tensor<T> e(conv.weight().shape()), y(gy.shape()), gw(conv.weight().shape());
    for (Index i = 0; i < e.size(); ++i) {
      e.set_zero();
      e[i] = T(1);
      conv.forward_with(e, nullptr, x, y, ws);
      gw[i] = static_cast<T>(dot<T>(gy, y));
    }
    check_close(gw, f.ref_of(c.name + ".grad_weight"), tolerance<T>(), "weight gradient");
    if (!conv.has_bias()) return;
    Tensor<T> eb(conv.bias().shape()), gb(conv.bias().shape());
    e.set_zero();
    for (Index o = 0; o < eb.size(); ++o) {
      eb.set_zero();
      eb[o] = T(1);
      conv.forward_with(e, eb.data(), x, y, ws);
      gb[o] = static_cast<T>(dot<T>(gy, y));
    }
    check_close(gb, f.ref_of(c.name + ".grad_bias"), tolerance<T>(), "bias gradient");
  });
}

TEMPLATE_TEST_CASE("Structure fixtures: MaxPool1d and AvgPool1d (padding, dilation, ceil mode, count_include_pad)",
                   "[layers][torch][pool1d]", float, double) {
  using T = TestType;
  auto options = [](const Config& c) {
    return Pool1dOptions()
        .stride(arg(c, "stride"))
        .padding(arg_or(c, "padding", 0))
        .dilation(arg_or(c, "dilation", 1))
        .ceil_mode(flag_or(c, "ceil_mode", false))
        .count_include_pad(flag_or(c, "count_include_pad", true));
  };
  for_each_config<T>("MaxPool1d", 3,
                     [&](const Config& c, const Fixture<T>& f) { check_unary(MaxPool1d<T>(arg(c, "kernel"), options(c)), f, c); });
  for_each_config<T>("AvgPool1d", 3,
                     [&](const Config& c, const Fixture<T>& f) { check_unary(AvgPool1d<T>(arg(c, "kernel"), options(c)), f, c); });
}

TEST_CASE("Structure fixtures: every configuration is of a tested kind", "[layers][torch]") {
  const auto st = SafeTensors<double>::load(fixture_path);
  std::size_t tested = 0, all = 0;
  for (const char* kind : {"Concat", "Slice", "Split", "ChannelShuffle", "Mul", "ConstAffine", "ReduceMean", "Conv1d",
                           "MaxPool1d", "AvgPool1d"})
    tested += configs_of(st.metadata(), kind).size();
  for (const auto& kv : st.metadata()) all += kv.first.rfind("config.", 0) == 0;
  CHECK(tested == all);
  CHECK(all >= 36);
}
