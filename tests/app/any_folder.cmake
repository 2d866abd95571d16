# Any images/ + masks/ folder, as researchers bring CVC-ClinicDB, ETIS or PolypGen (core/data/dataset.h):
#  1. eval on a folder without train.txt/val.txt: JPEG images with PNG masks (matched by name; the masks
#     are the bundled model's own predictions for 4 Kvasir-SEG val images, written by eval --save-masks,
#     so scoring the model against them gives Dice 1), and an image without a mask that is named;
#  2. train on two folders at once (--data twice): Kvasir-SEG's official split plus that folder, which
#     has no split files and so trains in full; its pairs are named "SelfLabelled/<stem>" in split.json;
#  3. eval refuses a repeated --data.
# -DEXE=polyplens -DDATA=<kvasir-seg> -DCHECKPOINT=<default.pt> -DOUT=<scratch folder>
file(REMOVE_RECURSE ${OUT})
set(folder ${OUT}/SelfLabelled)
include(${CMAKE_CURRENT_LIST_DIR}/run_cli.cmake)

# The folder: PNG masks from the bundled model, the JPEG images they belong to, no split files.
run(eval --data ${DATA} --split val --checkpoint ${CHECKPOINT} --max-images 4 --threads 2
    --save-masks ${folder}/masks)
file(GLOB masks ${folder}/masks/*.png)
list(LENGTH masks n)
if(NOT n EQUAL 4)
  message(FATAL_ERROR "eval --save-masks wrote ${n} PNG masks, expected 4")
endif()
file(MAKE_DIRECTORY ${folder}/images)
set(stems)
foreach(m ${masks})
  get_filename_component(stem ${m} NAME_WLE)
  list(APPEND stems ${stem})
  file(COPY ${DATA}/images/${stem}.jpg DESTINATION ${folder}/images)
endforeach()
# One image without a mask: a problem that names it, the other pairs still count.
file(READ ${DATA}/val.txt val_list)
string(REGEX MATCHALL "[^\n]+" val_names "${val_list}")
list(GET val_names 10 lonely)
file(COPY ${DATA}/images/${lonely}.jpg DESTINATION ${folder}/images)

# 1. eval --split all (and --split val) score every pair of a folder without split files.
foreach(which all val)
  run(eval --data ${folder} --split ${which} --checkpoint ${CHECKPOINT} --threads 2 --json ${OUT}/eval_${which}.json)
  foreach(want "no train.txt/val.txt" "${lonely}.jpg: no mask with the same name")
    if(NOT last_out MATCHES "${want}")
      message(FATAL_ERROR "eval --split ${which} output lacks '${want}':\n${last_out}")
    endif()
  endforeach()
  file(READ ${OUT}/eval_${which}.json report)
  string(JSON images GET "${report}" per_image images)
  string(JSON polyp GET "${report}" dataset_level classes 1 dice)
  if(NOT images EQUAL 4)
    message(FATAL_ERROR "eval --split ${which} scored ${images} images, expected 4")
  endif()
  # The masks are the model's own predictions: it agrees with them.
  execute_process(COMMAND sh -c "awk 'BEGIN{exit !(${polyp} >= 0.99)}'" RESULT_VARIABLE agrees)
  if(NOT agrees EQUAL 0)
    message(FATAL_ERROR "polyp Dice against the model's own masks is ${polyp}, expected about 1")
  endif()
endforeach()

# 2. Two folders: Kvasir-SEG (official split) + the unsplit folder (all-train), capped to 12 images.
run(train --data ${DATA} --data ${folder} --preset ann-r18-live --max-images 12 --epochs 1 --batch 2 --crop 64x64
    --val-every 1 --threads 2 --amp off --out ${OUT}/run)
if(NOT last_out MATCHES "SelfLabelled/<stem>")
  message(FATAL_ERROR "train does not say how the second folder's pairs are named:\n${last_out}")
endif()
file(READ ${OUT}/run/split.json split)
string(JSON n_train LENGTH "${split}" train)
string(JSON n_val LENGTH "${split}" val)
if(NOT n_train EQUAL 11 OR NOT n_val EQUAL 1)
  message(FATAL_ERROR "split.json has ${n_train} train / ${n_val} val names, expected 11 / 1:\n${split}")
endif()
foreach(stem ${stems})
  if(NOT split MATCHES "\"SelfLabelled/${stem}\"")
    message(FATAL_ERROR "split.json does not train on SelfLabelled/${stem}:\n${split}")
  endif()
endforeach()
file(READ ${OUT}/run/config.json config)
string(JSON extra GET "${config}" extra_data_roots 0)
if(NOT "${extra}" STREQUAL "${folder}")
  message(FATAL_ERROR "config.json's extra_data_roots is '${extra}', expected ${folder}")
endif()

# 3. eval scores one folder: a repeated --data is a usage error, not a silent choice.
execute_process(COMMAND ${EXE} eval --data ${DATA} --data ${folder} --checkpoint ${CHECKPOINT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT "${out}${err}" MATCHES "--data is given 2 times")
  message(FATAL_ERROR "eval with two --data: exit ${rc}, expected 2 with a message\n${out}${err}")
endif()
message(STATUS "eval on an unsplit JPEG/PNG folder: 4 images, polyp Dice ${polyp}; train on Kvasir-SEG + it: "
               "${n_train} train / ${n_val} val")
