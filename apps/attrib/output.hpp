#pragma once
// The output directory: every file is first written to a hidden staging directory inside
// --out and moved into place only when the whole result is complete (index.html last), so an
// interrupted run leaves the previous report as it was. Nothing is written outside --out.
#include <string>
#include <vector>

#include "cli.hpp"

namespace attrib::cli {

class Staging {
 public:
  explicit Staging(std::string out);
  ~Staging();  ///< removes the staging directory unless committed
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  void text(const std::string& name, const std::string& content);
  void png(const std::string& name, const Image& img);
  /// Moves every file into --out (`last` after all others) and removes the staging directory.
  void commit(const std::string& last = "");
  const std::vector<std::string>& files() const { return files_; }
  const std::string& out() const { return out_; }

 private:
  void written(const std::string& name);
  std::string out_, dir_;
  std::vector<std::string> files_;
  bool committed_ = false;
};

}  // namespace attrib::cli
