#pragma once
// Name carried by every layer for addressing and error messages (no virtual functions).
#include "attrib/core/config.hpp"
#include <ostream>
#include <string>

ATTRIB_BEGIN_NAMESPACE
namespace detail {

/// "Conv2d 'features.0'" for messages, built only when printed: checks on the hot path pass a
/// Who around without allocating.
struct Who {
  const char* kind;
  const std::string* name;
  std::string str() const {
    return name->empty() ? std::string(kind) : std::string(kind) + " '" + *name + "'";
  }
  operator std::string() const { return str(); }  // NOLINT: implicit for message building
  friend std::ostream& operator<<(std::ostream& os, const Who& w) { return os << w.str(); }
};

class Named {
 public:
  const std::string& name() const { return name_; }
  void set_name(std::string n) {
    name_ = std::move(n);
    default_name_ = false;
  }
  /// Name given by a model to an unnamed layer; a later model may rename it.
  void set_default_name(std::string n) {
    name_ = std::move(n);
    default_name_ = true;
  }
  bool has_default_name() const { return name_.empty() || default_name_; }

 protected:
  /// "Conv2d 'features.0'" (or just the kind when unnamed), for error messages (lazy).
  Who who(const char* kind) const { return Who{kind, &name_}; }

 private:
  std::string name_;
  bool default_name_ = false;
};

}  // namespace detail
ATTRIB_END_NAMESPACE
