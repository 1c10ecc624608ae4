#pragma once
// Typed exceptions. Every message starts with a stable id "[attrib.<kind>.<number>]" followed
// by the layer (kind and name), what was seen and what was expected.
#include "attrib/core/config.hpp"
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

ATTRIB_BEGIN_NAMESPACE

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

/// Receives every error when attrib is compiled without exceptions (-fno-exceptions or
/// ATTRIB_NO_EXCEPTIONS): the stable id ("attrib.shape.101"), the exception class it would have
/// thrown ("ShapeError") and the whole message ("[attrib.shape.101] Dense 'fc1': ...").
/// It must not return (abort, exit, longjmp, a fiber switch ...); if it does, attrib calls
/// std::abort(). Unused when exceptions are enabled: then every error is thrown.
using ErrorHandler = void (*)(const char* id, const char* kind, const char* message);

namespace detail {
inline void default_error_handler(const char* /*id*/, const char* kind, const char* message) {
  std::fprintf(stderr, "attrib: %s: %s\n", kind, message);
  std::abort();
}
inline std::atomic<ErrorHandler>& error_handler_slot() {
  static std::atomic<ErrorHandler> h{&default_error_handler};
  return h;
}
template <class E> constexpr const char* error_kind() {
  if constexpr (std::is_same_v<E, ShapeError>) return "ShapeError";
  else if constexpr (std::is_same_v<E, ParameterError>) return "ParameterError";
  else if constexpr (std::is_same_v<E, RuleError>) return "RuleError";
  else if constexpr (std::is_same_v<E, ArgumentError>) return "ArgumentError";
  else if constexpr (std::is_same_v<E, IoError>) return "IoError";
  else return "Error";
}
/// Hands an error to the installed handler (no-exception builds); never returns.
[[noreturn]] inline void handle_error(const char* id, const char* kind, const std::string& message) {
  error_handler_slot().load()(id, kind, message.c_str());
  std::abort();  // the handler returned: not allowed
}
}  // namespace detail

/// Installs the handler used when exceptions are disabled (nullptr restores the default,
/// which prints the message to stderr and aborts); returns the previous one. Thread-safe.
inline ErrorHandler set_error_handler(ErrorHandler h) noexcept {
  return detail::error_handler_slot().exchange(h ? h : &detail::default_error_handler);
}

/// The single place attrib throws: throws `e`, or (without exceptions) passes it to the handler.
template <class E>
[[noreturn]] void throw_error(E&& e) {
#if ATTRIB_NO_EXCEPTIONS
  using D = std::decay_t<E>;
  detail::handle_error(e.id().c_str(), detail::error_kind<D>(), e.what());
#else
  throw std::forward<E>(e);
#endif
}

/// Throws E with id "attrib.<id>" and the concatenation of args as message.
template <class E, class... Args>
[[noreturn]] void raise(const char* id, const Args&... args) {
  throw_error(E(std::string("attrib.") + id, detail::cat(args...)));
}

ATTRIB_END_NAMESPACE
