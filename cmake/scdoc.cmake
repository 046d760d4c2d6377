# Renders one scdoc page: cmake -DSCDOC=... -DIN=page.scd -DOUT=page -P scdoc.cmake
# (scdoc reads standard input only; a failed render leaves no page behind).
# The page is set ragged-right without hyphenation, as systemd's are: the
# names, paths and D-Bus members it is full of must not break at a hyphen.
execute_process(COMMAND ${SCDOC} INPUT_FILE ${IN} OUTPUT_VARIABLE page RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "scdoc failed on ${IN}")
endif()
# (scdoc says so before .TH, which resets both.)
string(REGEX REPLACE "(\n\\.TH [^\n]*\n)" "\\1.nh\n.ad l\n" set "${page}")
if(set STREQUAL page)
  message(FATAL_ERROR "scdoc gave ${IN} no .TH line")
endif()
file(WRITE ${OUT}.tmp "${set}")
file(RENAME ${OUT}.tmp ${OUT})
