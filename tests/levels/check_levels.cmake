# Checks that includes between the library's levels point one way (docs/design.md):
#   core -> detail -> layers -> graph -> rules -> engine -> models -> methods -> metrics -> io -> report
# A header of one of the levels listed below may include only headers of its own or a lower
# level. explain.hpp (between models and methods) is not in a folder and not checked.
# Run: cmake -DROOT=<repo>/include/attrib -P check_levels.cmake
set(levels core detail layers graph rules engine models methods metrics io report)
set(failed 0)
list(LENGTH levels n)
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  list(GET levels ${i} level)
  file(GLOB headers "${ROOT}/${level}/*.hpp")
  foreach(h ${headers})
    file(STRINGS "${h}" includes REGEX "^#include \"attrib/[a-z_]+/")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include \"attrib/([a-z_]+)/.*" "\\1" target "${line}")
      list(FIND levels "${target}" j)
      if(j GREATER i OR j EQUAL -1)
        message(SEND_ERROR "${h}: level '${level}' includes level '${target}' (${line})")
        set(failed 1)
      endif()
    endforeach()
  endforeach()
endforeach()
if(failed)
  message(FATAL_ERROR "include levels violated")
endif()
message(STATUS "include levels: ok")
