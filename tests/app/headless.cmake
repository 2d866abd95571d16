# CLI tests of the headless build (POLYPLENS_WITH_GUI=OFF): what it links, what it refuses, and the real
# train -> eval path on Kvasir-SEG images.
set(_kvasir ${POLYPLENS_TEST_DATA}/kvasir-seg)
set(_env "POLYPLENS_DATA=${POLYPLENS_TEST_DATA};POLYPLENS_LOG=warn;OMP_NUM_THREADS=2")

add_test(NAME headless.cli_version COMMAND polyplens --version)
set_tests_properties(headless.cli_version PROPERTIES LABELS headless
                     PASS_REGULAR_EXPRESSION "polyplens ${PROJECT_VERSION} \\(headless build\\)")

# The binary links LibTorch and the C/C++ runtime only: no Qt, OpenCV, GStreamer, GLib or spdlog.
add_test(NAME headless.links_no_gui_libraries COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:polyplens>
         -P ${CMAKE_CURRENT_SOURCE_DIR}/app/check_ldd.cmake)
set_tests_properties(headless.links_no_gui_libraries PROPERTIES LABELS headless)

# Commands of the desktop build exit 2 and say why.
foreach(_cmd annotate make-sample)
  add_test(NAME headless.refuses_${_cmd} COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:polyplens> -DARGS=${_cmd}
           -DEXPECT_RC=2 "-DEXPECT_OUT=not part of this build" -P ${CMAKE_CURRENT_SOURCE_DIR}/app/expect_exit.cmake)
  set_tests_properties(headless.refuses_${_cmd} PROPERTIES LABELS headless)
endforeach()
add_test(NAME headless.refuses_window COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:polyplens>
         "-DARGS=--video;x.mp4" -DEXPECT_RC=2 "-DEXPECT_OUT=not part of this build"
         -P ${CMAKE_CURRENT_SOURCE_DIR}/app/expect_exit.cmake)
add_test(NAME headless.refuses_bench_pipeline COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:polyplens>
         "-DARGS=bench;pipeline" -DEXPECT_RC=2 "-DEXPECT_OUT=not part of this build"
         -P ${CMAKE_CURRENT_SOURCE_DIR}/app/expect_exit.cmake)
set_tests_properties(headless.refuses_window headless.refuses_bench_pipeline PROPERTIES LABELS headless)

# train a few iterations on real images, kill-free resume, then eval the result with a JSON report.
add_test(NAME headless.train_resume_eval COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:polyplens> -DDATA=${_kvasir}
         -DOUT=${CMAKE_CURRENT_BINARY_DIR}/headless_run -P ${CMAKE_CURRENT_SOURCE_DIR}/app/train_eval.cmake)
set_tests_properties(headless.train_resume_eval PROPERTIES LABELS headless TIMEOUT 600 ENVIRONMENT "${_env}")

# The bundled model scored by this build and by the desktop build (when CI points at it) agree.
set(POLYPLENS_REFERENCE_EXE "" CACHE FILEPATH "A desktop build's polyplens, to compare eval figures with")
add_test(NAME headless.eval_matches_desktop_build COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:polyplens>
         -DREFERENCE=${POLYPLENS_REFERENCE_EXE} -DDATA=${_kvasir}
         -DCHECKPOINT=${PROJECT_SOURCE_DIR}/resources/models/default.pt -DOUT=${CMAKE_CURRENT_BINARY_DIR}/headless_eval
         -P ${CMAKE_CURRENT_SOURCE_DIR}/app/compare_eval.cmake)
set_tests_properties(headless.eval_matches_desktop_build PROPERTIES LABELS headless TIMEOUT 600 ENVIRONMENT "${_env}"
                     SKIP_REGULAR_EXPRESSION "no desktop build given")

# The paper's Figure 12 without OpenCV: a PNG from the bundled model, never overwritten.
add_test(NAME headless.figure COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:polyplens> -DDATA=${_kvasir}
         -DCHECKPOINT=${PROJECT_SOURCE_DIR}/resources/models/default.pt -DOUT=${CMAKE_CURRENT_BINARY_DIR}/figure12.png
         -P ${CMAKE_CURRENT_SOURCE_DIR}/app/figure.cmake)
set_tests_properties(headless.figure PROPERTIES LABELS headless TIMEOUT 300 ENVIRONMENT "${_env}")

# Any images/ + masks/ folder (CVC-ClinicDB, ETIS ...): eval on a folder without split files (JPEG images,
# PNG masks, an image without a mask named), train on two folders at once (--data twice).
add_test(NAME headless.any_folder COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:polyplens> -DDATA=${_kvasir}
         -DCHECKPOINT=${PROJECT_SOURCE_DIR}/resources/models/default.pt -DOUT=${CMAKE_CURRENT_BINARY_DIR}/headless_any_folder
         -P ${CMAKE_CURRENT_SOURCE_DIR}/app/any_folder.cmake)
set_tests_properties(headless.any_folder PROPERTIES LABELS headless TIMEOUT 300 ENVIRONMENT "${_env}")

# Data-parallel training: polyplens train --nproc 2 over Gloo, resumed with --nproc 1 (where this LibTorch has Gloo).
add_test(NAME headless.train_nproc COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:polyplens> -DDATA=${_kvasir}
         -DOUT=${CMAKE_CURRENT_BINARY_DIR}/headless_train_nproc -P ${CMAKE_CURRENT_SOURCE_DIR}/app/distributed.cmake)
set_tests_properties(headless.train_nproc PROPERTIES LABELS headless TIMEOUT 300 ENVIRONMENT "${_env}"
                     SKIP_REGULAR_EXPRESSION "this build has no distributed training")
