// attrib: explain, audit and inspect models from the command line (docs/cli.md).
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "session.hpp"

namespace {
/// One line: the message's first line. Importer messages that list every unsupported node go on
/// below it for `attrib info` (its purpose) and are summarised otherwise.
void print_error(const std::string& what, bool info) {
  const std::size_t nl = what.find('\n');
  std::fprintf(stderr, "attrib: error %s%s\n", what.substr(0, nl).c_str(),
               nl == std::string::npos || info ? "" : " (attrib info MODEL lists the details)");
  if (nl != std::string::npos && info) std::fprintf(stderr, "%s\n", what.substr(nl + 1).c_str());
}
}  // namespace

int main(int argc, char** argv) {
  using namespace attrib::cli;
  bool info = false;
  try {
    const Options o = parse_args(argc, argv);
    info = o.command == "info";
    if (o.command == "help") {
      std::printf("%s", usage_text().c_str());
      return 0;
    }
    if (o.list) {
      std::printf("rules, composites and methods (docs/rules.md, docs/methods.md):\n%s", list_methods().c_str());
      return 0;
    }
    if (o.command == "explain") return run_explain(o);
    if (o.command == "report") return run_report(o);
    return run_info(o);
  } catch (const attrib::Error& e) {
    print_error(e.what(), info);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "attrib: error [attrib.cli.090] out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attrib: error [attrib.cli.091] %s\n", e.what());
  }
  return 2;
}
