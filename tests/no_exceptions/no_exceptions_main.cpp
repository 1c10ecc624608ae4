// Built with -fno-exceptions: attrib must compile, and an error must reach the handler that
// set_error_handler installed (with its stable id) instead of a throw. The handler must not
// return, so it ends the process; CTest checks what it printed.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "attrib/attrib.hpp"
#include "attrib/io/safetensors.hpp"

#if !ATTRIB_NO_EXCEPTIONS
#error "this test must be compiled with -fno-exceptions"
#endif

namespace {
void on_error(const char* id, const char* kind, const char* message) {
  const bool ok = std::strncmp(id, "attrib.shape.", 13) == 0 && std::strcmp(kind, "ShapeError") == 0 &&
                  std::strstr(message, "Dense") != nullptr;
  std::printf("handler ran: %s %s %s\n", kind, id, ok ? "as expected" : "UNEXPECTED");
  std::fflush(stdout);
  std::_Exit(ok ? 0 : 1);
}
}  // namespace

int main() {
  attrib::set_error_handler(&on_error);
  // A working call first: the library is usable without exceptions.
  attrib::Dense<float> fc(3, 2);
  attrib::Tensor<float> x(attrib::Shape{1, 3}), y(attrib::Shape{1, 2});
  attrib::Workspace<float> ws;
  fc.forward(x.cview(), y.view(), ws);
  // Then a shape error: 4 inputs into a layer with 3.
  attrib::Tensor<float> bad(attrib::Shape{1, 4});
  fc.forward(bad.cview(), y.view(), ws);
  std::printf("returned after an error\n");
  return 1;
}
