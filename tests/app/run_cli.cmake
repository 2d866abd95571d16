# run(ARGS...): runs ${EXE} ARGS, fails the test with its output unless it exits 0; the output is left
# in ${last_out}. Included by the CLI test scripts.
function(run)
  execute_process(COMMAND ${EXE} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "polyplens ${ARGN} exited ${rc}\n${out}\n${err}")
  endif()
  set(last_out "${out}${err}" PARENT_SCOPE)
endfunction()

# expect_run_files(DIR): fails unless DIR holds a whole run directory.
function(expect_run_files dir)
  foreach(f config.json split.json last.pt best.pt metrics.jsonl)
    if(NOT EXISTS ${dir}/${f})
      message(FATAL_ERROR "the run directory has no ${f}")
    endif()
  endforeach()
endfunction()
