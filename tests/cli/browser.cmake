# The report in a real headless browser (cmake -P): writes a report, renders index.html with
# chromium to a screenshot (which must decode, have the window's size and not be blank), and
# loads every image the page refers to in the same browser (a test-only page next to the
# report, whose script records images that fail to load or have no size).
#   CLI, CHECKER (attrib_check_example), CHROMIUM, WORK_DIR, MODEL, IMAGES ('|'-separated)
#   SCREENSHOT_COPY (optional): copy the screenshot there (docs/img/cli_report.png)
cmake_minimum_required(VERSION 3.16)
if(NOT CHROMIUM)
  message("SKIPPED: chromium not found (Debian package 'chromium'; tools/setup.sh installs it, CI requires it)")
  return()
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
string(REPLACE "|" ";" images "${IMAGES}")
execute_process(COMMAND "${CLI}" report ${MODEL} ${images} --rules Gradient,LrpEpsilon,epsilon_plus,integrated_gradients
                        --out out --quiet
                WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "attrib report failed (${rc}): ${out}${err}")
endif()
set(flags --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
          --user-data-dir=${WORK_DIR}/profile)
execute_process(COMMAND "${CHROMIUM}" ${flags} --window-size=960,1300 --screenshot=${WORK_DIR}/screenshot.png
                        file://${WORK_DIR}/out/index.html
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
if(NOT rc EQUAL 0 OR NOT EXISTS "${WORK_DIR}/screenshot.png")
  message(FATAL_ERROR "chromium --screenshot failed (${rc}): ${out}${err}")
endif()
file(WRITE "${WORK_DIR}/empty.txt" "")
execute_process(COMMAND "${CHECKER}" "${WORK_DIR}/empty.txt" "${WORK_DIR}/empty.txt" "${WORK_DIR}/screenshot.png=960x1300"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("---- screenshot\n${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the screenshot is not a 960x1300 picture with content")
endif()
# every <img> of the page must load and have a size
file(READ "${WORK_DIR}/out/index.html" html)
string(REGEX MATCHALL "<img src=\"[^\"]+\"" tags "${html}")
set(srcs "")
foreach(t IN LISTS tags)
  string(REGEX REPLACE "<img src=\"([^\"]+)\"" "\\1" s "${t}")
  string(APPEND srcs "'out/${s}',")
endforeach()
list(LENGTH tags n)
if(n LESS 4)
  message(FATAL_ERROR "index.html has only ${n} images")
endif()
file(WRITE "${WORK_DIR}/check.html" "<!DOCTYPE html><html><body><script>
var srcs=[${srcs}], bad=[], left=srcs.length;
function done(){document.body.setAttribute('data-result', bad.length ? 'BROKEN ' + bad.join(' ') : 'ALL ' + srcs.length + ' LOADED');}
srcs.forEach(function(s){var i=new Image();
  i.onload=function(){if(!(i.naturalWidth>0&&i.naturalHeight>0))bad.push(s);if(--left==0)done();};
  i.onerror=function(){bad.push(s);if(--left==0)done();};i.src=s;});
</script></body></html>\n")
execute_process(COMMAND "${CHROMIUM}" ${flags} --allow-file-access-from-files --virtual-time-budget=20000 --dump-dom
                        file://${WORK_DIR}/check.html
                RESULT_VARIABLE rc OUTPUT_VARIABLE dom ERROR_VARIABLE err TIMEOUT 120)
if(NOT dom MATCHES "data-result=\"ALL ${n} LOADED\"")
  string(REGEX MATCH "data-result=\"[^\"]*\"" result "${dom}")
  message(FATAL_ERROR "not every image of the page loaded in chromium: ${result} (exit ${rc})\n${err}")
endif()
message("ok: the page renders and all ${n} images load")
if(SCREENSHOT_COPY)
  file(COPY_FILE "${WORK_DIR}/screenshot.png" "${SCREENSHOT_COPY}")
endif()
