#pragma once
// The misuse suite's check and its small hand-built models. Every case is one call of
//   misuse<ErrorType>("what the caller did wrong", "attrib.<kind>.<n>", [&] { ... });
// which requires that exactly that exception type with exactly that stable id is thrown (the
// message must start with "[id] "). tools/list_errors.py reads these calls into the table of
// docs/errors.md ("Misuse suite"), so keep the first two arguments plain string literals.
#include <catch2/catch.hpp>

#include <cmath>
#include <exception>
#include <limits>
#include <string>

#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"

namespace attrib::test {

template <class E, class F>
void misuse(const char* what, const char* id, F&& f) {
  INFO("misuse: " << what << " (expected " << id << ")");
  try {
    f();
  } catch (const E& e) {
    const std::string msg = e.what();
    INFO("message: " << msg);
    CHECK(e.id() == id);
    CHECK(msg.rfind("[" + std::string(id) + "] ", 0) == 0);
    return;
  } catch (const Error& e) {
    FAIL("wrong error type or id: " << e.what());
  } catch (const std::exception& e) {
    FAIL("untyped exception: " << e.what());
  }
  FAIL("nothing thrown");
}

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

/// x [N, 1, 4, 4] -> Conv2d 1->2 (3x3, pad 1) "conv" -> ReLU "relu" -> Flatten "flat" -> Dense 32->3 "fc".
template <class T>
Network<T> small_cnn(std::uint64_t seed = 3) {
  Random rng(seed);
  Network<T> n;
  n.add(detail::init_conv(Conv2d<T>(1, 2, 3, 3, Conv2dOptions().padding(1)), rng), "conv");
  n.add(ReLU<T>(), "relu");
  n.add(Flatten<T>(), "flat");
  n.add(detail::init_dense(Dense<T>(32, 3), rng), "fc");
  return n;
}

/// x [N, 4] -> Dense 4->3 "fc1" -> ReLU "relu" -> Dense 3->2 "fc2".
template <class T>
Network<T> small_mlp(std::uint64_t seed = 5) {
  Random rng(seed);
  Network<T> n;
  n.add(detail::init_dense(Dense<T>(4, 3), rng), "fc1");
  n.add(ReLU<T>(), "relu");
  n.add(detail::init_dense(Dense<T>(3, 2), rng), "fc2");
  return n;
}

/// Deterministic values in [-1, 1].
template <class T>
Tensor<T> input(const Shape& s, std::uint64_t seed = 1) {
  Tensor<T> t(s);
  Random rng(seed);
  rng.fill_uniform(t.view(), -1.0, 1.0);
  return t;
}

}  // namespace attrib::test
