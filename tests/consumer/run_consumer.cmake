# Runs one consumer test at test time (cmake -P): configures, builds and runs a tiny project that
# uses attrib the way a user would. Variables (-D...):
#   CONSUMER           find_package | add_subdirectory (the project in tests/consumer/<CONSUMER>)
#   ATTRIB_SOURCE_DIR  attrib's source tree
#   ATTRIB_BINARY_DIR  the outer build tree (installed from for find_package)
#   WORK_DIR           scratch directory inside the outer build tree (wiped first)
#   GENERATOR, MAKE_PROGRAM, CXX_COMPILER, BUILD_TYPE, EIGEN3_DIR: taken from the outer build
#
# find_package: `cmake --install <outer build> --prefix <WORK_DIR>/prefix`, then the project is
# configured with CMAKE_PREFIX_PATH=<prefix> only; the script fails if attrib was found anywhere
# else or if any include path of the compile command points into the source tree's include/.
cmake_minimum_required(VERSION 3.16)

foreach(var CONSUMER ATTRIB_SOURCE_DIR ATTRIB_BINARY_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if("${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

# run(<what> <command...>): runs the command, echoes its output, fails the test on error.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("---- ${what}\n${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (exit code ${rc})")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

# The consumer must see attrib only through what this script passes.
unset(ENV{CMAKE_PREFIX_PATH})
unset(ENV{CPATH})
unset(ENV{CPLUS_INCLUDE_PATH})

set(project_dir "${ATTRIB_SOURCE_DIR}/tests/consumer/${CONSUMER}")
set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

set(configure_args
  -S "${project_dir}" -B "${build}" -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(BUILD_TYPE)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()
if(EIGEN3_DIR)
  list(APPEND configure_args "-DEigen3_DIR=${EIGEN3_DIR}")
endif()

if(CONSUMER STREQUAL "find_package")
  run("install attrib into ${prefix}"
      "${CMAKE_COMMAND}" --install "${ATTRIB_BINARY_DIR}" --prefix "${prefix}")
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${prefix}")
elseif(CONSUMER STREQUAL "add_subdirectory")
  list(APPEND configure_args "-DATTRIB_SOURCE_DIR=${ATTRIB_SOURCE_DIR}")
else()
  message(FATAL_ERROR "run_consumer.cmake: unknown CONSUMER '${CONSUMER}'")
endif()

run("configure ${CONSUMER} consumer" "${CMAKE_COMMAND}" ${configure_args})

if(CONSUMER STREQUAL "find_package")
  # attrib must come from the prefix ...
  file(STRINGS "${build}/CMakeCache.txt" attrib_dir REGEX "^attrib_DIR:")
  string(REGEX REPLACE "^attrib_DIR:[A-Z]+=" "" attrib_dir "${attrib_dir}")
  get_filename_component(attrib_dir "${attrib_dir}" REALPATH)
  get_filename_component(real_prefix "${prefix}" REALPATH)
  string(FIND "${attrib_dir}/" "${real_prefix}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "find_package(attrib) found '${attrib_dir}', not the test prefix '${real_prefix}'")
  endif()
  # ... and its headers too: no include path into the source tree, one into the prefix.
  if(EXISTS "${build}/compile_commands.json")
    file(READ "${build}/compile_commands.json" commands)
    string(REGEX MATCHALL "(-I|-isystem )[^ \"]+" flags "${commands}")
    get_filename_component(source_include "${ATTRIB_SOURCE_DIR}/include" REALPATH)
    set(prefix_include_seen OFF)
    foreach(flag IN LISTS flags)
      string(REGEX REPLACE "^(-I|-isystem )" "" dir "${flag}")
      get_filename_component(dir "${dir}" REALPATH)
      if(dir STREQUAL source_include)
        message(FATAL_ERROR "the consumer compiles with the source tree's include dir: ${flag}")
      elseif(dir STREQUAL "${real_prefix}/include")
        set(prefix_include_seen ON)
      endif()
    endforeach()
    if(NOT prefix_include_seen)
      message(FATAL_ERROR "no include path into ${real_prefix}/include in:\n${commands}")
    endif()
  else()
    message("(generator ${GENERATOR} writes no compile_commands.json; include paths not checked)")
  endif()
endif()

set(build_args --build "${build}")
if(BUILD_TYPE)
  list(APPEND build_args --config "${BUILD_TYPE}")
endif()
run("build ${CONSUMER} consumer" "${CMAKE_COMMAND}" ${build_args})

set(exe "")
foreach(candidate "${build}/attrib_consumer" "${build}/${BUILD_TYPE}/attrib_consumer"
                  "${build}/attrib_consumer.exe" "${build}/${BUILD_TYPE}/attrib_consumer.exe")
  if(NOT exe AND EXISTS "${candidate}" AND NOT IS_DIRECTORY "${candidate}")
    set(exe "${candidate}")
  endif()
endforeach()
if(NOT exe)
  message(FATAL_ERROR "the consumer executable was not found under ${build}")
endif()
run("run ${exe}" "${exe}")
if(NOT run_output MATCHES "attrib consumer OK")
  message(FATAL_ERROR "the consumer did not report success")
endif()
