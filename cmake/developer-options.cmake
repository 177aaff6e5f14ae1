# One INTERFACE target carries the warning flags; every target of ours links it.
add_library(mqrelay_warnings INTERFACE)
target_compile_options(mqrelay_warnings INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wnull-dereference -Wdouble-promotion -Wformat=2)
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  target_compile_definitions(mqrelay_warnings INTERFACE _GLIBCXX_ASSERTIONS)
endif()

if(MQRELAY_SANITIZE AND MQRELAY_TSAN)
  message(FATAL_ERROR "MQRELAY_SANITIZE and MQRELAY_TSAN are exclusive")
endif()
if(MQRELAY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
  add_compile_definitions(MQRELAY_SANITIZER_BUILD=1)
endif()
if(MQRELAY_TSAN)
  # moodycamel::ConcurrentQueue uses std::atomic_thread_fence, which GCC's TSan does not model and
  # warns about (-Wtsan); the queue's own atomics are still instrumented.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  add_link_options(-fsanitize=thread)
  add_compile_definitions(MQRELAY_SANITIZER_BUILD=1)
endif()
if(MQRELAY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MQRELAY_FUZZ needs clang: CC=clang CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
