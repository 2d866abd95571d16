# The same eval figures from the headless build (EXE) and the desktop build (REFERENCE): both decode
# with the same code and run the same predictor, so they agree to within 0.002 Dice.
if(NOT REFERENCE OR NOT EXISTS "${REFERENCE}")
  message(STATUS "no desktop build given (-DPOLYPLENS_REFERENCE_EXE=...); nothing to compare")
  return()
endif()
file(MAKE_DIRECTORY ${OUT})
foreach(which headless desktop)
  if(which STREQUAL "headless")
    set(exe ${EXE})
  else()
    set(exe ${REFERENCE})
  endif()
  execute_process(COMMAND ${exe} eval --data ${DATA} --split val --checkpoint ${CHECKPOINT} --max-images 30
                          --threads 2 --json ${OUT}/${which}.json RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${which} eval exited ${rc}\n${out}\n${err}")
  endif()
  file(READ ${OUT}/${which}.json j)
  string(JSON ${which}_polyp GET "${j}" dataset_level classes 1 dice)
  string(JSON ${which}_mdice GET "${j}" dataset_level mDice)
  string(JSON ${which}_img GET "${j}" per_image mean_dice)
endforeach()
foreach(k polyp mdice img)
  # CMake has no floating-point math; awk compares.
  execute_process(COMMAND sh -c "awk 'BEGIN{d=${headless_${k}}-(${desktop_${k}}); if(d<0)d=-d; exit !(d<=0.002)}'"
                  RESULT_VARIABLE close)
  if(NOT close EQUAL 0)
    message(FATAL_ERROR "${k}: headless ${headless_${k}} vs desktop ${desktop_${k}} differ by more than 0.002")
  endif()
endforeach()
message(STATUS "30 val images: polyp Dice headless ${headless_polyp} / desktop ${desktop_polyp}; mDice "
               "${headless_mdice} / ${desktop_mdice}; per-image ${headless_img} / ${desktop_img}")
