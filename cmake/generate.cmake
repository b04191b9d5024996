# generate.cmake - the man pages and shell completions, written by the
# kamal-c just built (its hidden __man and __completion verbs read the command
# table and the schema table), at build time:
#   cmake -D KAMAL_C=build/kamal-c -D OUT=build/share -P cmake/generate.cmake
# The man pages are also gzipped (-n: no name or time in them), as Debian
# installs them.
function(kc_generate file)
  execute_process(COMMAND "${KAMAL_C}" ${ARGN} OUTPUT_FILE "${OUT}/${file}.tmp"
    ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "kamal-c ${ARGN} failed (${rc}): ${err}")
  endif()
  file(RENAME "${OUT}/${file}.tmp" "${OUT}/${file}")
endfunction()
function(kc_gzip file)
  execute_process(COMMAND gzip -9nc "${OUT}/${file}" OUTPUT_FILE "${OUT}/${file}.gz"
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${file} failed (${rc})")
  endif()
endfunction()

file(MAKE_DIRECTORY "${OUT}")
kc_generate(kamal-c.1 __man 1)
kc_generate(kamal-c-deploy.yml.5 __man 5)
kc_generate(kamal-c.bash __completion bash)
kc_generate(_kamal-c __completion zsh)
kc_generate(kamal-c.fish __completion fish)
kc_gzip(kamal-c.1)
kc_gzip(kamal-c-deploy.yml.5)
