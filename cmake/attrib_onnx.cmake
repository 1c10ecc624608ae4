# Optional target attrib::onnx (include/attrib/io/onnx.hpp): attrib::attrib plus the ONNX protobuf
# classes of Debian's libonnx-dev (imported target onnx_proto, which links protobuf::libprotobuf).
# ATTRIB_WITH_ONNX: AUTO (default) builds it when both packages are found, ON requires them, OFF
# skips the search; AUTO with $ATTRIB_REQUIRE_ONNX_TESTDATA set (CI) behaves as ON. Included from the
# top-level CMakeLists.txt; sets ATTRIB_HAVE_ONNX.
set(ATTRIB_HAVE_ONNX OFF)
string(TOUPPER "${ATTRIB_WITH_ONNX}" _attrib_with_onnx)
if(NOT _attrib_with_onnx STREQUAL "AUTO" AND NOT ATTRIB_WITH_ONNX)
  return()
endif()

find_package(Protobuf QUIET)
if(Protobuf_FOUND)
  find_package(ONNX QUIET CONFIG)
endif()
if(Protobuf_FOUND AND TARGET onnx_proto)
  add_library(attrib_onnx INTERFACE)
  add_library(attrib::onnx ALIAS attrib_onnx)
  set_target_properties(attrib_onnx PROPERTIES EXPORT_NAME onnx)
  target_link_libraries(attrib_onnx INTERFACE attrib onnx_proto)
  set(ATTRIB_HAVE_ONNX ON)
  message(STATUS "attrib: ONNX import enabled (libonnx ${ONNX_VERSION}, protobuf ${Protobuf_VERSION})")
elseif(_attrib_with_onnx STREQUAL "AUTO" AND NOT DEFINED ENV{ATTRIB_REQUIRE_ONNX_TESTDATA})
  message(STATUS "attrib: ONNX import disabled (needs libonnx-dev and libprotobuf-dev)")
else()
  message(FATAL_ERROR "ATTRIB_WITH_ONNX=${ATTRIB_WITH_ONNX} (or ATTRIB_REQUIRE_ONNX_TESTDATA set) but libonnx-dev / "
                      "libprotobuf-dev were not found "
                      "(Protobuf_FOUND=${Protobuf_FOUND}, ONNX_DIR=${ONNX_DIR})")
endif()

# Installed in its own export set, with attribOnnx.cmake, which attribConfig.cmake includes if
# present: consumers on machines without libonnx still find attrib::attrib.
if(ATTRIB_HAVE_ONNX AND ATTRIB_INSTALL)
  install(TARGETS attrib_onnx EXPORT attribOnnxTargets)
  install(EXPORT attribOnnxTargets NAMESPACE attrib:: DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/attrib)
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/attribOnnx.cmake DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/attrib)
endif()
