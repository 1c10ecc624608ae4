// attrib: explain, audit and inspect models from the command line (docs/cli.md).
#include <cstdio>
#include <exception>
#include <new>

#include "session.hpp"

int main(int argc, char** argv) {
  using namespace attrib::cli;
  try {
    const Options o = parse_args(argc, argv);
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
    std::fprintf(stderr, "attrib: error %s\n", e.what());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "attrib: error [attrib.cli.090] out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attrib: error [attrib.cli.091] %s\n", e.what());
  }
  return 2;
}
