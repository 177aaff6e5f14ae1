# Every dependency comes from a Debian 12 package (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
# metrics.listen (engine/metrics.cpp). Not linked: the relay loads it with dlopen() only when
# metrics.listen is set (linked, it and GnuTLS behind it cost every process 2.8 MiB of RSS), so
# only its header is used at build time and its SONAME is recorded here.
pkg_check_modules(MHD REQUIRED libmicrohttpd)
find_library(MHD_LIBRARY NAMES microhttpd HINTS ${MHD_LIBRARY_DIRS} REQUIRED)
get_filename_component(MHD_LIBRARY_REAL "${MHD_LIBRARY}" REALPATH)
get_filename_component(MHD_LIBRARY_NAME "${MHD_LIBRARY_REAL}" NAME)
string(REGEX MATCH "^libmicrohttpd\\.so\\.[0-9]+" MHD_SONAME "${MHD_LIBRARY_NAME}")
if(NOT MHD_SONAME)
  message(FATAL_ERROR "cannot tell libmicrohttpd's SONAME from ${MHD_LIBRARY_REAL}")
endif()
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
