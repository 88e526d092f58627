#!/usr/bin/env bash
# bench/xsmm_rows.sh [ROUNDS]: rows D and E trained with their products on netc's kernel, and
# with those libxsmm makes kernels for on libxsmm's (bench/gemm_xsmm.c), in turns, ROUNDS times
# (default 4): on one thread (the trainer's CPU seconds, which other processes inflate least)
# and on two (wall seconds); on the AVX-512 path where the CPU has it, and on the AVX2 path
# (trainers built for x86-64-v3, --gemm avx2, LIBXSMM_TARGET=hsw). Prints the median of each.
# Installs Debian's libxsmm-dev if missing (never needed by the tests or setup.sh).
set -eu
cd "$(dirname "$0")/.."
if [ ! -e /usr/include/libxsmm.h ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y libxsmm-dev
fi
[ -e build/runtime/libnetrt.a ] || ./setup.sh
cmake --build build --target netrt netc >/dev/null
rounds=${1:-4}
out=build/bench/xsmm
mkdir -p "$out"
flags="-O3 -fno-math-errno -fno-trapping-math -std=c11 -I runtime"
libs="build/runtime/libnetrt.a /usr/lib/libxsmm.a -lopenblas -lpng -lz -ldl -pthread -lm"
cc $flags -march=native -Wall -Wextra -Werror -c bench/gemm_xsmm.c -o "$out/gemm_xsmm.o"
paths=avx2
grep -qw avx512f /proc/cpuinfo && paths="avx512 avx2"
for row in D E; do
  build/compiler/netc gen "bench/rows/$row.net" -o "$out/$row.c"
  for path in $paths; do
    march=native
    [ "$path" = avx2 ] && march=x86-64-v3
    cc $flags -march=$march -o "$out/$row-$path-netc" "$out/$row.c" $libs
    cc $flags -march=$march -Dnetrt_sgemm=xsmm_sgemm -o "$out/$row-$path-xsmm" "$out/$row.c" \
      "$out/gemm_xsmm.o" $libs
  done
done

# the sum of a column of the trainer's --csv file
column_sum() {
  awk -F, -v col="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
                       NR > 1 { s += $c } END { printf "%.3f\n", s }' "$2"
}
uptime
for r in $(seq "$rounds"); do
  for row in D E; do
    args="--epochs 2"
    [ "$row" = D ] && args="--max-steps 1500 --loss-below 0"
    for path in $paths; do
      target=""
      [ "$path" = avx2 ] && target=hsw
      for threads in 1 2; do
        col=seconds
        [ "$threads" = 1 ] && col=cpu_seconds
        for v in netc xsmm; do
          LIBXSMM_TARGET=$target "$out/$row-$path-$v" --gemm "$path" --threads "$threads" $args \
            --csv "$out/times.csv" --quiet >/dev/null
          echo "$row $path $threads $v $(column_sum "$col" "$out/times.csv")"
        done
      done
    done
  done
done | tee "$out/times.txt"
uptime
/usr/bin/python3 - "$out/times.txt" <<'PY'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    row, path, threads, v, s = line.split()
    t.setdefault((row, path, threads), {}).setdefault(v, []).append(float(s))
print("| row | path | threads | netc's kernel (median s) | libxsmm where it has a kernel | libxsmm / netc |")
print("|---|---|---|---|---|---|")
for (row, path, threads), m in t.items():
    a, b = statistics.median(m["netc"]), statistics.median(m["xsmm"])
    print(f"| {row} | {path} | {threads} | {a:.3f} | {b:.3f} | {b / a:.2f} |")
PY
