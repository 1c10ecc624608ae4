# Installed next to attribConfig.cmake only when attrib was built with ONNX support; included
# by it. Defines attrib::onnx when protobuf and libonnx are found on this machine, so that
# find_package(attrib) keeps working without them and find_package(attrib COMPONENTS onnx)
# fails cleanly.
set(attrib_onnx_FOUND FALSE)
find_package(Protobuf QUIET)
if(Protobuf_FOUND AND NOT TARGET onnx_proto)
  find_package(ONNX QUIET CONFIG)
endif()
if(Protobuf_FOUND AND TARGET onnx_proto)
  include("${CMAKE_CURRENT_LIST_DIR}/attribOnnxTargets.cmake")
  set(attrib_onnx_FOUND TRUE)
endif()
