# Every dependency comes from a Debian 12 package (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)  # metrics.listen (engine/metrics.cpp)
pkg_check_modules(WOLFSSL REQUIRED IMPORTED_TARGET wolfssl)
find_package(simdjson REQUIRED)
find_package(Threads REQUIRED)

# moodycamel::ConcurrentQueue is header-only and ships no CMake config.
find_path(CONCURRENTQUEUE_INCLUDE_DIR concurrentqueue/concurrentqueue.h REQUIRED)
add_library(concurrentqueue INTERFACE)
target_include_directories(concurrentqueue SYSTEM INTERFACE ${CONCURRENTQUEUE_INCLUDE_DIR})

if(MQRELAY_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(MQRELAY_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
