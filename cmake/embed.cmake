# embed.cmake - writes text files into a C source as string literals, at
# build time (the `kamal-c docs` sections, the shell completion drivers):
#   cmake -D DIR=src/config/docs -D EXT=yml -D NAME=docs [-D SKIP=overview]
#         -D OUT=build/gen/kc_docs_data.c -P cmake/embed.cmake
# defines, for the files DIR/*.EXT sorted by name (a file's name is its
# file name without .EXT):
#   const char *const kc_NAME_files[][2]  {name, text} pairs, then {0, 0}
#   const char *const kc_NAME_names[]     the names but SKIP, then 0
file(GLOB files "${DIR}/*.${EXT}")
list(SORT files)
file(RELATIVE_PATH rel "${CMAKE_CURRENT_LIST_DIR}/.." "${DIR}")
set(c "/* Generated from ${rel}/*.${EXT} by cmake/embed.cmake: edit those files. */\n")
string(REPLACE "/*." "/NAME." c "${c}") # no comment opener inside the comment
string(APPEND c "extern const char *const kc_${NAME}_files[][2];\n")
string(APPEND c "extern const char *const kc_${NAME}_names[];\n\n")
string(APPEND c "const char *const kc_${NAME}_files[][2] = {\n")
set(names "")
foreach(f ${files})
  get_filename_component(name "${f}" NAME)
  string(REGEX REPLACE "\\.${EXT}$" "" name "${name}")
  file(READ "${f}" text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "?" "\\?" text "${text}") # no trigraphs
  string(REPLACE "\t" "\\t" text "${text}")
  string(REPLACE "\n" "\\n\"\n     \"" text "${text}")
  string(APPEND c "    {\"${name}\",\n     \"${text}\"},\n")
  if(NOT name STREQUAL "${SKIP}")
    string(APPEND names "    \"${name}\",\n")
  endif()
endforeach()
string(APPEND c "    {0, 0},\n};\n\nconst char *const kc_${NAME}_names[] = {\n${names}    0,\n};\n")
file(WRITE "${OUT}" "${c}")
