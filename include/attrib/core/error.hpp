#pragma once
// Typed exceptions. Every message starts with a stable id "[attrib.<kind>.<number>]" followed
// by the layer (kind and name), what was seen and what was expected.
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace attrib {

class Error : public std::runtime_error {
 public:
  Error(std::string id, const std::string& what)
      : std::runtime_error("[" + id + "] " + what), id_(std::move(id)) {}
  /// Stable identifier, e.g. "attrib.shape.101"; documented in docs/errors.md.
  const std::string& id() const noexcept { return id_; }

 private:
  std::string id_;
};

/// A tensor's rank or dimensions do not fit what a layer or entry point expects.
class ShapeError : public Error {
  using Error::Error;
};
/// A constructor argument or hyper-parameter is invalid (negative stride, alpha - beta != 1 ...).
class ParameterError : public Error {
  using Error::Error;
};
/// A rule has no behaviour for a layer that is present in a runtime network.
class RuleError : public Error {
  using Error::Error;
};
/// An argument at an entry point is out of range (target class, layer address ...).
class ArgumentError : public Error {
  using Error::Error;
};
/// Reading or writing a file failed or the file is malformed.
class IoError : public Error {
  using Error::Error;
};

namespace detail {
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

/// Throws E with id "attrib.<id>" and the concatenation of args as message.
template <class E, class... Args>
[[noreturn]] void raise(const char* id, const Args&... args) {
  throw E(std::string("attrib.") + id, detail::cat(args...));
}

}  // namespace attrib
