# Runs examples/04_onnx once and checks it (cmake -P), for the example tests in
# examples/CMakeLists.txt. Variables (-D...):
#   EXAMPLE    the 04_onnx program
#   ARGS       its arguments, separated by '|'
#   EXPECT_RC  the expected exit code (0, or 2 for the error paths)
#   EXPECT     regular expressions, separated by '|', that stdout + stderr must all match
cmake_minimum_required(VERSION 3.16)
string(REPLACE "|" ";" args "${ARGS}")
string(REPLACE "|" ";" expect "${EXPECT}")
execute_process(COMMAND "${EXAMPLE}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("---- 04_onnx ${args} (exit code ${rc})\n${out}${err}")
if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "exit code ${rc}, expected ${EXPECT_RC}")
endif()
foreach(re IN LISTS expect)
  if(NOT "${out}${err}" MATCHES "${re}")
    message(FATAL_ERROR "the output does not match '${re}'")
  endif()
endforeach()
