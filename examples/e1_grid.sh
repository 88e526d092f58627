#!/usr/bin/env bash
# Lab E1's grid, one command: batch {256, 400} × hidden width {256, 512, 1024} × lr {0.1, 0.3,
# 0.7} on Fashion-MNIST, 10 epochs each (18 runs, 3 trainers: only the width changes the C).
# The table and curves go to e1-grid/ (results.md, results.csv, curves.png). Arguments go to
# every trainer: examples/e1_grid.sh --epochs 2 is a quick look. docs/sweep.md explains it all.
cd "$(dirname "$0")/.." || exit 1
exec "${NETC:-build/compiler/netc}" sweep examples/e1_grid.net \
  --set batch=256,400 --set width=256,512,1024 --set lr=0.1,0.3,0.7 \
  --out "${OUT:-e1-grid}" ${FORCE:+--force} -- "$@"
