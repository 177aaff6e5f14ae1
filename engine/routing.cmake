# Routing: topic-filter semantics, the compiled topic automaton and the covering subscription set
# (SPEC §4.1, §4.2, §4.9). Included by engine/CMakeLists.txt; owner: the routing/automaton code.
# No dependency on the event loop, so the configuration reader (loop warnings) and the
# benchmarks can link it alone.
add_library(mqrelay_routing STATIC
  ${CMAKE_CURRENT_LIST_DIR}/topic_match.cpp
  ${CMAKE_CURRENT_LIST_DIR}/topic_automaton.cpp
  ${CMAKE_CURRENT_LIST_DIR}/covering.cpp
)
target_include_directories(mqrelay_routing PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mqrelay_routing PUBLIC mqrelay_codec PRIVATE mqrelay_warnings)
