// Checks what an example program wrote, for the example tests (examples/CMakeLists.txt):
//
//   attrib_check_example <output.log> <expected.txt> [<file.png>=<width>x<height> ...]
//
// expected.txt has lines "<key> <value> <relative tolerance>" ('#' starts a comment); the log
// must contain a line "checksum <key>: <number>" for each, within the tolerance. Every PNG must
// decode, have the given size and not be constant. Exit code 0 only if every check passes.
#include <attrib/io/png.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <output.log> <expected.txt> [<file.png>=<w>x<h> ...]\n", argv[0]);
    return 2;
  }
  int failed = 0, passed = 0;
  const auto report = [&](bool ok, const std::string& what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    (ok ? passed : failed)++;
  };

  std::map<std::string, double> printed;
  std::ifstream log(argv[1]);
  if (!log) report(false, std::string("cannot read the example's output ") + argv[1]);
  for (std::string line; std::getline(log, line);) {
    const auto colon = line.rfind(": ");
    if (line.rfind("checksum ", 0) == 0 && colon != std::string::npos)
      printed[line.substr(9, colon - 9)] = std::strtod(line.c_str() + colon + 2, nullptr);
  }
  std::ifstream expected(argv[2]);
  if (!expected) report(false, std::string("cannot read the fixture ") + argv[2]);
  for (std::string line; std::getline(expected, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string key;
    double value = 0, rtol = 0;
    if (!(in >> key >> value >> rtol)) {
      report(false, "malformed fixture line: " + line);
      continue;
    }
    const auto it = printed.find(key);
    if (it == printed.end()) {
      report(false, "checksum " + key + ": not printed by the example");
      continue;
    }
    const double err = std::abs(it->second - value) / std::max(std::abs(value), 1e-30);
    char buf[256];
    std::snprintf(buf, sizeof buf, "checksum %s: %.9g, fixture %.9g (relative difference %.2e, tolerance %.1e)",
                  key.c_str(), it->second, value, err, rtol);
    report(err <= rtol, buf);
  }

  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.rfind('='), x = arg.rfind('x');
    if (eq == std::string::npos || x == std::string::npos || x < eq) {
      report(false, "bad argument " + arg + " (expected <file.png>=<w>x<h>)");
      continue;
    }
    const std::string path = arg.substr(0, eq);
    const int w = std::atoi(arg.substr(eq + 1, x - eq - 1).c_str()), h = std::atoi(arg.substr(x + 1).c_str());
    try {
      const attrib::Image img = attrib::read_png(path, 3);
      report(img.width == w && img.height == h,
             path + ": " + std::to_string(img.width) + "x" + std::to_string(img.height) + ", expected " +
                 std::to_string(w) + "x" + std::to_string(h));
      bool constant = true;
      for (std::size_t k = 3; k < img.pixels.size() && constant; ++k) constant = img.pixels[k] == img.pixels[k % 3];
      report(!constant, path + ": not a constant image");
    } catch (const attrib::Error& e) {
      report(false, path + ": " + e.what());
    }
  }
  std::printf("check_example: %d checks passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
