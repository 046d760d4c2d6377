# Renders one scdoc page: cmake -DSCDOC=... -DIN=page.scd -DOUT=page -P scdoc.cmake
# (scdoc reads standard input only; a failed render leaves no page behind).
execute_process(COMMAND ${SCDOC} INPUT_FILE ${IN} OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "scdoc failed on ${IN}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
