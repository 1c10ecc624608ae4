# Runs the attrib program once and checks it (cmake -P), for tests/cli/CMakeLists.txt.
#   CLI        the attrib program
#   WORK_DIR   wiped, then the working directory of the run
#   ARGS       arguments separated by '|'
#   EXPECT_RC  the exit code
#   EXPECT     regular expressions separated by '|' that stdout + stderr must match, in this order
#   FILES      files (relative to WORK_DIR) that must exist afterwards, separated by '|'
#   ABSENT     paths that must not exist afterwards
cmake_minimum_required(VERSION 3.16)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND "${CLI}" ${args} WORKING_DIRECTORY "${WORK_DIR}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("---- attrib ${args}\n${out}${err}---- exit code ${rc}")
if(NOT rc STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "exit code ${rc}, expected ${EXPECT_RC}")
endif()
set(all "${out}${err}")
if(NOT "${EXPECT}" STREQUAL "")
  string(REPLACE "|" ";" expects "${EXPECT}")
  foreach(e IN LISTS expects)
    if(NOT all MATCHES "${e}")
      message(FATAL_ERROR "the output does not match '${e}'")
    endif()
  endforeach()
endif()
if(EXPECT_RC EQUAL 2 AND NOT err MATCHES "^attrib: error \\[attrib\\.[a-z]+\\.[0-9]+\\] ")
  message(FATAL_ERROR "an error must start with 'attrib: error [attrib.<id>] ...' on stderr")
endif()
if(EXPECT_RC EQUAL 2 AND NOT ARGS MATCHES "^info")  # an error: exactly one line, no stack trace
  string(REGEX MATCHALL "\n" lines "${err}")
  list(LENGTH lines n)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "an error must be one line 'attrib: error [attrib.<id>] ...' on stderr")
  endif()
endif()
string(REPLACE "|" ";" files "${FILES}")
foreach(f IN LISTS files)
  if(NOT EXISTS "${WORK_DIR}/${f}")
    message(FATAL_ERROR "missing output file ${f}")
  endif()
endforeach()
string(REPLACE "|" ";" absent "${ABSENT}")
foreach(f IN LISTS absent)
  if(EXISTS "${WORK_DIR}/${f}")
    message(FATAL_ERROR "${f} must not exist")
  endif()
endforeach()
