# Cross-compiling netc for 64-bit ARM Linux (aarch64) with Debian's cross compiler
# (gcc-aarch64-linux-gnu), against Debian's arm64 libraries installed beside the host's
# (multiarch: dpkg --add-architecture arm64; libopenblas-dev:arm64 zlib1g-dev:arm64
# libpng-dev:arm64, in /usr/lib/aarch64-linux-gnu and /usr/include/aarch64-linux-gnu).
# tests/cross/aarch64.sh installs all of it and uses this file:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
# find_library and find_path look in lib/aarch64-linux-gnu and include/aarch64-linux-gnu first,
# so the arm64 OpenBLAS (and its cblas.h) is found, never the host's in x86_64-linux-gnu.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# ctest runs the test programs under qemu-user: every test whose command is a target built here
# gets this prefix. The arm64 libc's loader (/lib/ld-linux-aarch64.so.1, from libc6:arm64) and
# libraries are installed on the host, so qemu needs no sysroot (-L).
find_program(NETC_QEMU_AARCH64 qemu-aarch64)
if(NETC_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${NETC_QEMU_AARCH64})
endif()
