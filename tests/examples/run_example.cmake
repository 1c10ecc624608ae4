# Runs one example and checks its output (cmake -P), for the example tests in
# examples/CMakeLists.txt. Variables (-D...):
#   EXAMPLE   the example program; run as `EXAMPLE WORK_DIR` inside WORK_DIR (wiped first)
#   CHECKER   attrib_check_example (tests/examples/check_example.cpp)
#   EXPECTED  the fixture with the expected checksums
#   PNGS      list of <file.png>=<w>x<h>, relative to WORK_DIR
cmake_minimum_required(VERSION 3.16)
foreach(var EXAMPLE CHECKER WORK_DIR EXPECTED)
  if("${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_example.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
execute_process(COMMAND "${EXAMPLE}" "${WORK_DIR}" WORKING_DIRECTORY "${WORK_DIR}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("---- ${EXAMPLE}\n${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the example failed (exit code ${rc})")
endif()
file(WRITE "${WORK_DIR}/output.log" "${out}")
set(pngs "")
foreach(p IN LISTS PNGS)
  list(APPEND pngs "${WORK_DIR}/${p}")
endforeach()
execute_process(COMMAND "${CHECKER}" "${WORK_DIR}/output.log" "${EXPECTED}" ${pngs}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("---- checks\n${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the example's output does not pass the checks")
endif()
