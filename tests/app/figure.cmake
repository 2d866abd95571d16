# polyplens figure with the bundled model on real val images: writes a PNG, refuses to overwrite it.
file(REMOVE ${OUT})
execute_process(COMMAND ${EXE} figure --data ${DATA} --split val --checkpoint ${CHECKPOINT} --rows 2 --threads 2
                        --out ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT EXISTS ${OUT})
  message(FATAL_ERROR "figure exited ${rc} / no ${OUT}\n${out}\n${err}")
endif()
file(READ ${OUT} head LIMIT 8 HEX)
if(NOT head STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "${OUT} is not a PNG (starts with ${head})")
endif()
execute_process(COMMAND ${EXE} figure --data ${DATA} --split val --checkpoint ${CHECKPOINT} --rows 2 --out ${OUT}
                RESULT_VARIABLE rc2 OUTPUT_VARIABLE out2 ERROR_VARIABLE err2)
if(rc2 EQUAL 0)
  message(FATAL_ERROR "figure overwrote ${OUT}")
endif()
message(STATUS "figure written (${out}); a second run refused: ${err2}")
