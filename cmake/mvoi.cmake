# Helpers shared by every CMakeLists.txt of the project.

# mvoi_protobuf_c(OUTVAR a.proto b.proto ...): generate protobuf-c sources in the build tree.
function(mvoi_protobuf_c out)
  foreach(p ${ARGN})
    get_filename_component(abs ${p} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    get_filename_component(n ${p} NAME_WE)
    set(c ${CMAKE_CURRENT_BINARY_DIR}/${n}.pb-c.c)
    set(h ${CMAKE_CURRENT_BINARY_DIR}/${n}.pb-c.h)
    file(GLOB deps ${dir}/*.proto)
    add_custom_command(OUTPUT ${c} ${h}
      COMMAND ${PROTOC_C} --proto_path=${dir} --c_out=${CMAKE_CURRENT_BINARY_DIR} ${abs}
      DEPENDS ${deps} VERBATIM)
    list(APPEND gen ${c} ${h})
  endforeach()
  set(${out} ${gen} PARENT_SCOPE)
endfunction()

# mvoi_criterion_test(NAME src.c... LIBS lib... [LABELS ...] [TIMEOUT s]): one executable.
# Integration tests (LABELS integration) are one ctest per Test(suite, name), so that ctest
# runs them side by side, bounds each with TIMEOUT (seconds) and names the one that fails.
# The other (unit) binaries are one ctest each, their tests one after another in Criterion's
# own worker processes: a ctest per unit test started a Criterion runner per test, and those
# runners cost more than the tests (test_impact_core's 68 tests: 36.6 CPU s one ctest each
# against 10.9 as one, under the sanitizers; 11.4 against 2.4 without). TIMEOUT then bounds
# a test as before, plus 5 s a test for the others (Criterion 2.4.1's own --timeout can
# deadlock on a loaded machine: docs/libraries.md#criterion).
function(mvoi_criterion_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  # main(): Criterion's, with --filter=suite/name matched exactly (tests/criterion_main.c)
  if(NOT TARGET mvoi_criterion_main)
    add_library(mvoi_criterion_main OBJECT ${PROJECT_SOURCE_DIR}/tests/criterion_main.c)
    target_link_libraries(mvoi_criterion_main PUBLIC PkgConfig::CRITERION)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} mvoi_criterion_main PkgConfig::CRITERION)
  target_compile_definitions(${name} PRIVATE
    MVOI_SOURCE_DIR="${PROJECT_SOURCE_DIR}" MVOI_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # MVOI_BUYER: the buyer the test runs configure for mvoictl, as scripts/run's mvoictl.env
  # does (mvoictl has no default buyer); a test about its absence unsets it.
  set(env "MVOI_SOURCE_DIR=${PROJECT_SOURCE_DIR};MVOI_BINARY_DIR=${PROJECT_BINARY_DIR};MVOI_CURVE=off;MVOI_BUYER=heerlen")
  set(tests "")
  foreach(src ${T_SOURCES})
    file(STRINGS ${src} decls REGEX "^(Test\\(|ParameterizedTest\\([^,]+,) *[A-Za-z0-9_]+, *[A-Za-z0-9_]+")
    foreach(d ${decls})
      string(REGEX REPLACE "^(Test\\(|ParameterizedTest\\([^,]+,) *([A-Za-z0-9_]+), *([A-Za-z0-9_]+).*" "\\2/\\3" t "${d}")
      list(APPEND tests ${t})
    endforeach()
  endforeach()
  if(NOT "integration" IN_LIST T_LABELS)
    list(LENGTH tests n)
    math(EXPR bound "${T_TIMEOUT} + 5 * ${n}")
    # COST: about half a second a test under the sanitizers, so that a fresh checkout (no
    # ctest cost data) starts the larger binaries early rather than alone at the end
    math(EXPR cost "${n} / 2")
    add_test(NAME ${name} COMMAND ${name} -j1)
    set_tests_properties(${name} PROPERTIES TIMEOUT ${bound} ENVIRONMENT "${env}" COST ${cost})
    if(T_LABELS)
      set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
    endif()
    return()
  endif()
  foreach(t ${tests})
    add_test(NAME ${name}:${t} COMMAND ${name} --filter=${t} -j1)
    set_tests_properties(${name}:${t} PROPERTIES TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${env}"
                         LABELS "${T_LABELS}")
  endforeach()
endfunction()

# Tests of other concerns run the services without CURVE, by explicit setting (MVOI_CURVE=off,
# which every service warns about at start); the CURVE tests (test_curve) and scripts/run
# set their keys themselves. Call at the end of a directory's CMakeLists.txt: every add_test
# of the directory so far, except those named in EXCEPT, gets MVOI_CURVE=off, and mvoictl
# the test runs' configured buyer (MVOI_BUYER=heerlen, as mvoi_criterion_test; those in
# EXCEPT run scripts/run and take it from its mvoictl.env).
function(mvoi_plaintext_tests)
  cmake_parse_arguments(P "" "" "EXCEPT" ${ARGN})
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(t ${tests})
    if(NOT t IN_LIST P_EXCEPT)
      set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT "MVOI_CURVE=off;MVOI_BUYER=heerlen")
    endif()
  endforeach()
endfunction()

# mvoi_link_closure(target OUTVAR): every library target links, directly or through the
# libraries it links (LINK_LIBRARIES and INTERFACE_LINK_LIBRARIES, generator expressions
# dropped), sorted. Call it after the targets it names are defined.
function(mvoi_link_closure target out)
  set(seen "")
  get_target_property(todo ${target} LINK_LIBRARIES)
  while(todo)
    list(POP_FRONT todo lib)
    if(NOT lib OR lib MATCHES "^\\$<" OR lib IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${lib})
    if(TARGET ${lib})
      get_target_property(type ${lib} TYPE)
      set(more "")
      if(NOT type STREQUAL "INTERFACE_LIBRARY")
        get_target_property(more ${lib} LINK_LIBRARIES)
      endif()
      get_target_property(iface ${lib} INTERFACE_LINK_LIBRARIES)
      foreach(l ${more} ${iface})
        if(l AND NOT l MATCHES "-NOTFOUND$")
          list(APPEND todo ${l})
        endif()
      endforeach()
    endif()
  endwhile()
  list(SORT seen)
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# mvoi_check_core(target [STORAGE] [FORBID lib...]): a service's core library is its domain
# logic without sockets, loop or service plumbing; the service library wires it. Fails the
# configure step naming every forbidden library in target's link closure. STORAGE: the
# core's domain logic is defined on LMDB records (say why in the caller's comment), so
# LMDB and mvoi_store are allowed; without it they are forbidden too. Call after the
# targets the core links are defined.
function(mvoi_check_core target)
  cmake_parse_arguments(C "STORAGE" "" "FORBID" ${ARGN})
  set(forbidden PkgConfig::ZMQ PkgConfig::UV PkgConfig::MHD PkgConfig::CURL mvoi_bus
      mvoi_server mvoi_feed mvoi_service mvoi_mvoi_zap mvoi_mvoi_curve mvoi_inbox ${C_FORBID})
  if(NOT C_STORAGE)
    list(APPEND forbidden PkgConfig::LMDB mvoi_store mvoi_outbox)
  endif()
  mvoi_link_closure(${target} closure)
  set(bad "")
  foreach(lib ${forbidden})
    if(lib IN_LIST closure)
      list(APPEND bad ${lib})
    endif()
  endforeach()
  if(bad)
    list(JOIN bad ", " bad)
    message(FATAL_ERROR "${target} links ${bad}: a core library stays without sockets, "
                        "loop and service plumbing (its service library wires them)")
  endif()
endfunction()
