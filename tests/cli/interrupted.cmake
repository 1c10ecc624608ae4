# A report interrupted half-way leaves the previous report intact (cmake -P): writes a report,
# then runs a second one that dies after a few files (ATTRIB_CLI_TEST_KILL_AFTER_FILES, as a kill
# would), and checks that index.html and report.json are byte for byte the first run's.
#   CLI, WORK_DIR, MODEL, IMAGE
cmake_minimum_required(VERSION 3.16)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
execute_process(COMMAND "${CLI}" report ${MODEL} ${IMAGE} --rules Gradient --out out --quiet
                WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the first report failed (${rc}): ${out}${err}")
endif()
file(SHA256 "${WORK_DIR}/out/index.html" html1)
file(SHA256 "${WORK_DIR}/out/report.json" json1)
set(ENV{ATTRIB_CLI_TEST_KILL_AFTER_FILES} 3)
execute_process(COMMAND "${CLI}" report ${MODEL} ${IMAGE} --rules LrpEpsilon,Gradient --out out --quiet
                WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
unset(ENV{ATTRIB_CLI_TEST_KILL_AFTER_FILES})
message("interrupted run: exit code ${rc}")
if(rc EQUAL 0)
  message(FATAL_ERROR "the interrupted report claims success")
endif()
file(SHA256 "${WORK_DIR}/out/index.html" html2)
file(SHA256 "${WORK_DIR}/out/report.json" json2)
if(NOT html1 STREQUAL html2 OR NOT json1 STREQUAL json2)
  message(FATAL_ERROR "the interrupted report changed the previous one")
endif()
if(EXISTS "${WORK_DIR}/out/heat_sneaker_LrpEpsilon.png")
  message(FATAL_ERROR "a file of the interrupted report reached the output directory")
endif()
# the next complete run replaces the report
execute_process(COMMAND "${CLI}" report ${MODEL} ${IMAGE} --rules LrpEpsilon --out out --quiet
                WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc)
file(SHA256 "${WORK_DIR}/out/index.html" html3)
if(NOT rc EQUAL 0 OR html3 STREQUAL html1)
  message(FATAL_ERROR "a complete run after the interrupted one did not replace the report (${rc})")
endif()
message("ok: the interrupted report left the previous one intact")
