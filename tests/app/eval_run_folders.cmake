# eval --run RUN of a run trained on two folders (train --data A --data B): the run's split.json names
# B's pairs "B/<stem>", and eval scores them from B next to A's (docs/data.md §1). The split.json is
# written here as train writes it (roots: A then B), so no training is needed; B holds 2 Kvasir-SEG
# val images with the bundled model's own masks (eval --save-masks).
# -DEXE=polyplens -DDATA=<kvasir-seg> -DCHECKPOINT=<default.pt> -DOUT=<scratch folder>
file(REMOVE_RECURSE ${OUT})
set(folder ${OUT}/Extra)
include(${CMAKE_CURRENT_LIST_DIR}/run_cli.cmake)

file(READ ${DATA}/val.txt val_list)
string(REGEX MATCHALL "[^\n]+" val_names "${val_list}")
list(GET val_names 0 own)
run(eval --data ${DATA} --split val --checkpoint ${CHECKPOINT} --max-images 3 --threads 2
    --save-masks ${OUT}/masks)
file(MAKE_DIRECTORY ${folder}/images ${folder}/masks)
set(extra_names)
foreach(i 1 2)
  list(GET val_names ${i} stem)
  file(COPY ${DATA}/images/${stem}.jpg DESTINATION ${folder}/images)
  file(COPY ${OUT}/masks/${stem}.png DESTINATION ${folder}/masks)
  string(APPEND extra_names ", \"Extra/${stem}\"")
endforeach()
file(MAKE_DIRECTORY ${OUT}/run)
file(WRITE ${OUT}/run/split.json "{\"mode\": \"official\", \"seed\": \"0\", \"root\": \"${DATA}\", \"roots\": "
           "[\"${DATA}\", \"${folder}\"], \"train\": [], \"val\": [\"${own}\"${extra_names}]}")

# With and without --data: the run's folders, all 3 val images, nothing unresolved.
foreach(data_args "" "--data;${DATA}")
  run(eval --run ${OUT}/run ${data_args} --checkpoint ${CHECKPOINT} --threads 2 --json ${OUT}/eval.json)
  if(last_out MATCHES "no pair|not found|without")
    message(FATAL_ERROR "eval --run ${data_args} left names of the split unresolved:\n${last_out}")
  endif()
  if(NOT last_out MATCHES "3 val images from ${DATA} \\+ ${folder}")
    message(FATAL_ERROR "eval --run ${data_args} does not name both folders:\n${last_out}")
  endif()
  file(READ ${OUT}/eval.json report)
  string(JSON images GET "${report}" per_image images)
  if(NOT images EQUAL 3)
    message(FATAL_ERROR "eval --run ${data_args} scored ${images} images, expected 3 (1 + 2 from Extra)\n${last_out}")
  endif()
endforeach()
message(STATUS "eval --run over two folders: ${images} val images")
