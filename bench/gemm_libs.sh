#!/usr/bin/env bash
# bench/gemm_libs.sh [--gemm CHOICE]...: the rows' products on OpenBLAS, BLIS, libxsmm and
# netrt_sgemm, 1 and 2 threads (bench/gemm_libs.c). Installs Debian's libblis-pthread-dev and
# libxsmm-dev if missing (never needed by the tests or setup.sh), builds libnetrt as
# ./setup.sh does, then the program, in build/bench. BLIS_ARCH_TYPE forces BLIS's kernels: in
# Debian's BLIS 0.9.0 a number (0 skx, 3 haswell, 6 zen3, 25 generic).
set -eu
cd "$(dirname "$0")/.."
blis_inc=/usr/include/x86_64-linux-gnu/blis-pthread
blis_lib=/usr/lib/x86_64-linux-gnu/blis-pthread
if [ ! -e "$blis_inc/blis.h" ] || [ ! -e /usr/include/libxsmm.h ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y libblis-pthread-dev libxsmm-dev
fi
[ -e build/runtime/libnetrt.a ] || ./setup.sh
cmake --build build --target netrt >/dev/null
mkdir -p build/bench
cc -O2 -Wall -Wextra -Werror -I runtime -isystem "$blis_inc" -c bench/gemm_blis.c \
  -o build/bench/gemm_blis.o
cc -O2 -Wall -Wextra -Werror -I runtime -c bench/gemm_libs.c -o build/bench/gemm_libs.o
# OpenBLAS before BLIS: both define cblas_sgemm, and netrt's calls must reach OpenBLAS's;
# gemm_libs checks every result against OpenBLAS's anyway.
cc -o build/bench/gemm_libs build/bench/gemm_libs.o build/bench/gemm_blis.o \
  build/runtime/libnetrt.a /usr/lib/libxsmm.a -lopenblas "$blis_lib/libblis.so" \
  -Wl,-rpath,"$blis_lib" -lpng -lz -lm -ldl -pthread
exec build/bench/gemm_libs "$@"
